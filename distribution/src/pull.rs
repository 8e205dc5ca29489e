//! The pull side of a session: manifests (verified when asked by digest), the platform's
//! manifest out of an index, the config, and layer streams.

use bytes::Bytes;
use hyper::Method;
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};

use crate::blob::BlobStream;
use crate::error::BlobKind;
use crate::manifest::platform::{self, PlatformSpec};
use crate::manifest::{self, Descriptor, ImageManifest, Manifest, media};
use crate::reference::{ImageRef, Target};
use crate::session::{Session, error_of, read_body};
use crate::{Digest, Error};

/// A manifest as fetched: its bytes, their digest and what they say.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// The digest of the bytes (a by-digest fetch is verified against it).
    pub digest: Digest,
    /// The media type it was read as.
    pub media_type: String,
    /// The exact bytes.
    pub bytes: Bytes,
    /// The parsed manifest or index.
    pub manifest: Manifest,
}

/// What a reference resolves to on a registry: the session that found it, the digest to record
/// as the repo digest, and the image manifest for the platform.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The session, for the config and the layers.
    pub session: Session,
    /// The repo digest (`RepoDigests`, "Digest: ..."): the digest of what the reference names,
    /// the index when it is one.
    pub digest: Digest,
    /// The index, when the reference named one.
    pub index: Option<FetchedManifest>,
    /// The image manifest chosen (for an index, the platform's).
    pub manifest: ImageManifest,
    /// Its digest.
    pub manifest_digest: Digest,
    /// Its exact bytes.
    pub manifest_bytes: Bytes,
}

fn accept_headers() -> Vec<(HeaderName, HeaderValue)> {
    media::MANIFEST_ACCEPT
        .iter()
        .map(|m| (ACCEPT, HeaderValue::from_static(m)))
        .collect()
}

impl Session {
    /// Fetches the manifest `reference` (a tag or `sha256:...` digest). A manifest asked by
    /// digest must hash to it. `image` is the full reference, for the schema 1 refusal.
    pub async fn manifest(&self, reference: &str, image: &str) -> Result<FetchedManifest, Error> {
        let url = self.url(&format!("manifests/{reference}"));
        let response = self.get(Method::GET, &url, &accept_headers()).await?;
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = read_body(response, &url).await?;
        let digest = match reference.parse::<Digest>() {
            Ok(asked) => {
                if !asked.matches(&bytes) {
                    return Err(Error::ManifestVerification {
                        digest: asked.to_string(),
                    });
                }
                asked
            }
            Err(_) => Digest::sha256(&bytes),
        };
        let manifest = manifest::parse(&content_type, &bytes, image)?;
        let media_type = match &manifest {
            Manifest::Image(m) => m.media_type.clone(),
            Manifest::Index(i) => i.media_type.clone(),
        };
        Ok(FetchedManifest {
            digest,
            media_type,
            bytes,
            manifest,
        })
    }

    /// Resolves `image` for `platform`: its manifest, and for an index the platform's entry.
    /// Config and layer media types are checked as dockerd checks them.
    pub async fn resolve(
        &self,
        image: &ImageRef,
        platform: &PlatformSpec,
    ) -> Result<Resolved, Error> {
        let full = image.to_string();
        let top = self.manifest(image.manifest_reference(), &full).await?;
        let (index, chosen) = match &top.manifest {
            Manifest::Image(_) => (None, top.clone()),
            Manifest::Index(i) => {
                let entry = platform::choose(i, platform)?;
                let child = self.manifest(entry.digest.as_str(), &full).await?;
                if matches!(child.manifest, Manifest::Index(_)) {
                    return Err(Error::UnsupportedManifest(child.media_type));
                }
                (Some(top.clone()), child)
            }
        };
        let Manifest::Image(manifest) = chosen.manifest else {
            return Err(Error::UnsupportedManifest(chosen.media_type));
        };
        let manifest = *manifest;
        for d in std::iter::once(&manifest.config).chain(&manifest.layers) {
            if !media::is_supported_blob_type(&d.media_type) {
                return Err(Error::UnsupportedMediaType(d.media_type.clone()));
            }
        }
        let digest = match &image.target {
            Target::Digest(d, _) => d.clone(),
            Target::Tag(_) => top.digest.clone(),
        };
        Ok(Resolved {
            session: self.clone(),
            digest,
            index,
            manifest,
            manifest_digest: chosen.digest,
            manifest_bytes: chosen.bytes,
        })
    }

    /// Opens a blob as a verified stream. A foreign layer is fetched from this registry by
    /// digest like any other, its `urls` ignored, as dockerd does on Linux.
    pub async fn blob(&self, descriptor: &Descriptor, kind: BlobKind) -> Result<BlobStream, Error> {
        let url = self.url(&format!("blobs/{}", descriptor.digest));
        let response = self.get(Method::GET, &url, &[]).await?;
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        Ok(BlobStream::new(
            response.into_body(),
            descriptor.digest.clone(),
            kind,
            Some(descriptor.size),
        ))
    }

    /// Fetches and verifies an image config.
    pub async fn config(&self, descriptor: &Descriptor) -> Result<Bytes, Error> {
        self.blob(descriptor, BlobKind::Config).await?.bytes().await
    }
}

/// Words a pull's failure as dockerd does (moby's `translatePullError`): an unknown manifest
/// or repository, or a denied pull, becomes a not-found naming the image; anything else stays
/// as it is.
pub fn translate_pull_error(err: Error, image: &ImageRef) -> Error {
    let Error::Registry { errors, .. } = &err else {
        return err;
    };
    let message = match errors.first().code.as_str() {
        "DENIED" => format!(
            "pull access denied for {}, repository does not exist or may require 'docker login'",
            image.repository.familiar_name()
        ),
        "MANIFEST_UNKNOWN" => format!("manifest for {} not found", image.familiar()),
        "NAME_UNKNOWN" => format!("repository {} not found", image.repository.familiar_name()),
        _ => return err,
    };
    for extra in &errors.0[1..] {
        tracing::info!("ignoring extra error returned from registry: {extra}");
    }
    Error::NotFound {
        message,
        cause: crate::errcode::RegistryErrors(vec![errors.first().clone()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errcode::{RegistryError, RegistryErrors};
    use crate::reference::Repository;

    fn registry(code: &str) -> Error {
        Error::Registry {
            status: 404,
            errors: RegistryErrors(vec![RegistryError::new(code)]),
        }
    }

    #[test]
    fn pull_errors_in_dockerds_words() {
        let image = ImageRef::tagged(Repository::split("127.0.0.1:5000/nothing"), "nope");
        assert_eq!(
            translate_pull_error(registry("MANIFEST_UNKNOWN"), &image).to_string(),
            "manifest for 127.0.0.1:5000/nothing:nope not found: manifest unknown: manifest unknown"
        );
        assert_eq!(
            translate_pull_error(registry("NAME_UNKNOWN"), &image).to_string(),
            "repository 127.0.0.1:5000/nothing not found: name unknown: repository name not known to registry"
        );
        let hub = ImageRef::tagged(Repository::split("someone/private"), "latest");
        assert_eq!(
            translate_pull_error(registry("DENIED"), &hub).to_string(),
            "pull access denied for someone/private, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
        );
        let other = translate_pull_error(registry("UNAUTHORIZED"), &hub);
        assert_eq!(other.to_string(), "unauthorized: authentication required");
        assert_eq!(other.kind(), crate::ErrorKind::Unauthorized);
    }
}
