//! The push side of a session: is a blob there (`HEAD`), mount it from another repository of
//! the same registry, upload it, and put the manifest last.
//!
//! Uploads go as the registry allows: with the digest known, one monolithic `PUT` of the
//! whole stream; with the digest computed on the way (a layer compressed as it is sent), one
//! streamed `PATCH` then `PUT ?digest=`, as dockerd does; and in chunks of the registry's size
//! when it asks for them (`OCI-Chunk-Min-Length`).

use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt, TryStreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderValue, LOCATION};
use hyper::{Method, Response, StatusCode};

use crate::auth::{Access, repository_scope};
use crate::blob::discard;
use crate::digest::Hasher;
use crate::manifest::ImageManifest;
use crate::reference::Repository;
use crate::session::{Session, error_of};
use crate::transport::{body, resolve};
use crate::{Digest, Error};

/// The header a registry uses to ask for chunked uploads of at least this many bytes.
const CHUNK_MIN_LENGTH: &str = "oci-chunk-min-length";
/// The header carrying a content digest.
const CONTENT_DIGEST: &str = "docker-content-digest";

/// An upload the registry has opened (`202 Accepted` and its `Location`).
#[derive(Debug, Clone)]
pub struct UploadStart {
    location: String,
    chunk_min: Option<u64>,
}

impl UploadStart {
    /// Sends the content in `PATCH`es of `size` bytes (the last may be shorter), whatever
    /// the registry asked: for registries that limit a request's size.
    pub fn with_chunk_size(mut self, size: u64) -> Self {
        self.chunk_min = Some(size.max(1));
        self
    }
}

/// What a mount attempt did.
#[derive(Debug, Clone)]
pub enum Mount {
    /// The blob is now in the repository (`201 Created`).
    Mounted,
    /// The registry did not mount it and opened an upload instead: upload into it.
    Upload(UploadStart),
}

/// A blob that was uploaded: its digest and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The digest of what was sent.
    pub digest: Digest,
    /// Bytes sent.
    pub size: u64,
}

impl Session {
    /// Whether the repository has the blob (`HEAD`): its size if so.
    pub async fn blob_exists(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        let url = self.url(&format!("blobs/{digest}"));
        let response = self.get(Method::HEAD, &url, &[]).await?;
        match response.status() {
            s if s.is_success() => {
                let size = header(&response, CONTENT_LENGTH.as_str()).and_then(|v| v.parse().ok());
                discard(response.into_body()).await;
                Ok(Some(size.unwrap_or(0)))
            }
            StatusCode::NOT_FOUND => {
                discard(response.into_body()).await;
                Ok(None)
            }
            _ => Err(error_of(response).await),
        }
    }

    /// Asks the registry to mount `digest` from the repository `from` (same registry).
    pub async fn mount_blob(&self, digest: &Digest, from: &Repository) -> Result<Mount, Error> {
        let query =
            serde_urlencoded::to_string([("mount", digest.as_str()), ("from", from.path())])
                .map_err(|e| Error::Protocol(format!("encoding the mount query: {e}")))?;
        let url = format!("{}?{query}", self.url("blobs/uploads/"));
        let extra = [repository_scope(from.path(), Access::Pull)];
        let response = self
            .send(Method::POST, &url, &[], body::empty(), &extra)
            .await?;
        match response.status() {
            StatusCode::CREATED => {
                discard(response.into_body()).await;
                Ok(Mount::Mounted)
            }
            StatusCode::ACCEPTED => Ok(Mount::Upload(self.upload_start(response).await?)),
            _ => Err(error_of(response).await),
        }
    }

    /// Opens an upload (`POST /blobs/uploads/`).
    pub async fn start_upload(&self) -> Result<UploadStart, Error> {
        let url = self.url("blobs/uploads/");
        let response = self
            .send(Method::POST, &url, &[], body::empty(), &[])
            .await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(error_of(response).await);
        }
        self.upload_start(response).await
    }

    async fn upload_start(
        &self,
        response: Response<hyper::body::Incoming>,
    ) -> Result<UploadStart, Error> {
        let location = self.location(&response)?;
        let chunk_min = header(&response, CHUNK_MIN_LENGTH).and_then(|v| v.parse().ok());
        discard(response.into_body()).await;
        Ok(UploadStart {
            location,
            chunk_min,
        })
    }

    fn location<B>(&self, response: &Response<B>) -> Result<String, Error> {
        let l = header(response, LOCATION.as_str()).ok_or_else(|| {
            Error::Protocol("the registry's upload answer has no Location".into())
        })?;
        Ok(resolve(&self.endpoint().v2(""), &l))
    }

    /// Uploads a blob from `content`. With `expected` (its digest known) the upload is one
    /// `PUT`; without, the digest is computed as the bytes go and committed at the end. Into
    /// `start` when a mount opened an upload, else a new one. The digest sent is checked
    /// against `expected`.
    pub async fn upload_blob<S, E>(
        &self,
        content: S,
        expected: Option<&Digest>,
        start: Option<UploadStart>,
    ) -> Result<Uploaded, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<body::BoxError> + 'static,
    {
        let start = match start {
            Some(s) => s,
            None => self.start_upload().await?,
        };
        let tally = Arc::new(Mutex::new((Hasher::sha256(), 0u64)));
        let content = tap(content, tally.clone());
        let monolithic = start.chunk_min.is_none() && expected.is_some();
        let (location, put_body) = match (start.chunk_min, expected) {
            (Some(min), _) => (
                self.patch_chunks(start.location, content, min.max(1))
                    .await?,
                body::empty(),
            ),
            (None, Some(_)) => (start.location, stream_body(content)),
            (None, None) => (
                self.patch_stream(start.location, content).await?,
                body::empty(),
            ),
        };
        // A monolithic PUT names the caller's digest (the registry checks it); otherwise
        // everything was sent already and the tally holds the digest.
        let digest = match expected {
            Some(d) if monolithic => d.clone(),
            _ => finished(&tally).0,
        };
        let url = with_query(&location, "digest", digest.as_str());
        let headers = [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )];
        let response = self
            .send(Method::PUT, &url, &headers, put_body, &[])
            .await?;
        if response.status() != StatusCode::CREATED {
            return Err(error_of(response).await);
        }
        discard(response.into_body()).await;
        let (sent, size) = finished(&tally);
        if let Some(e) = expected
            && *e != sent
        {
            return Err(Error::Protocol(format!(
                "uploaded content hashes to {sent}, not {e}"
            )));
        }
        Ok(Uploaded { digest: sent, size })
    }

    /// One streamed `PATCH` of everything (dockerd's way); the next location.
    async fn patch_stream(&self, location: String, content: Tapped) -> Result<String, Error> {
        let headers = [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )];
        let response = self
            .send(
                Method::PATCH,
                &location,
                &headers,
                stream_body(content),
                &[],
            )
            .await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(error_of(response).await);
        }
        let next = self.location(&response)?;
        discard(response.into_body()).await;
        Ok(next)
    }

    /// `PATCH`es of at least `min` bytes each (the last may be shorter), with their ranges.
    async fn patch_chunks(
        &self,
        mut location: String,
        mut content: Tapped,
        min: u64,
    ) -> Result<String, Error> {
        let mut offset = 0u64;
        let mut buf = BytesMut::new();
        loop {
            let next = content.next().await.transpose()?;
            if let Some(chunk) = &next {
                buf.extend_from_slice(chunk);
            }
            let last = next.is_none();
            if (buf.len() as u64) < min && !last {
                continue;
            }
            if buf.is_empty() {
                return Ok(location);
            }
            let chunk = buf.split().freeze();
            let end = offset + chunk.len() as u64 - 1;
            let headers = [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (CONTENT_RANGE, value(&format!("{offset}-{end}"))?),
                (CONTENT_LENGTH, value(&chunk.len().to_string())?),
            ];
            offset = end + 1;
            let response = self
                .send(Method::PATCH, &location, &headers, body::full(chunk), &[])
                .await?;
            if response.status() != StatusCode::ACCEPTED {
                return Err(error_of(response).await);
            }
            location = self.location(&response)?;
            discard(response.into_body()).await;
            if last {
                return Ok(location);
            }
        }
    }

    /// Puts a manifest under `reference` (a tag, or its digest) and returns its digest.
    pub async fn put_manifest(
        &self,
        reference: &str,
        manifest: &ImageManifest,
    ) -> Result<Digest, Error> {
        self.put_manifest_bytes(reference, &manifest.media_type, manifest.to_bytes())
            .await
    }

    /// Puts manifest bytes of `media_type` under `reference`; the registry's digest must be
    /// the bytes' own.
    pub async fn put_manifest_bytes(
        &self,
        reference: &str,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest, Error> {
        let digest = Digest::sha256(&bytes);
        let url = self.url(&format!("manifests/{reference}"));
        let headers = [(CONTENT_TYPE, value(media_type)?)];
        let response = self
            .send(Method::PUT, &url, &headers, body::full(bytes), &[])
            .await?;
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        let theirs = header(&response, CONTENT_DIGEST);
        discard(response.into_body()).await;
        if let Some(theirs) = theirs
            && theirs != digest.as_str()
        {
            return Err(Error::Protocol(format!(
                "the registry stored the manifest as {theirs}, not {digest}"
            )));
        }
        Ok(digest)
    }
}

/// The caller's stream, hashed and counted into `tally` as it is read.
type Tapped = futures::stream::BoxStream<'static, Result<Bytes, Error>>;

fn tap<S, E>(content: S, tally: Arc<Mutex<(Hasher, u64)>>) -> Tapped
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Into<body::BoxError> + 'static,
{
    content
        .map_err(|e| {
            let e: body::BoxError = e.into();
            Error::UploadSource("blob".into(), e.to_string())
        })
        .inspect_ok(move |chunk| {
            let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
            t.0.update(chunk);
            t.1 += chunk.len() as u64;
        })
        .boxed()
}

fn stream_body(content: Tapped) -> body::Body {
    BodyExt::boxed_unsync(StreamBody::new(
        content
            .map_ok(Frame::data)
            .map_err(|e| -> body::BoxError { Box::new(e) }),
    ))
}

/// The digest and size of everything the tally saw.
fn finished(tally: &Mutex<(Hasher, u64)>) -> (Digest, u64) {
    let t = tally.lock().unwrap_or_else(|p| p.into_inner());
    (t.0.clone().finish(), t.1)
}

fn header<B>(response: &Response<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn value(s: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(s).map_err(|_| Error::Protocol(format!("invalid header value {s:?}")))
}

fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    let pair = serde_urlencoded::to_string([(key, value)]).unwrap_or_default();
    format!("{url}{sep}{pair}")
}
