//! `POST /auth` (`docker login`) and `GET /distribution/{name}/json`.

use api::types::{AuthConfig, AuthResponse, DistributionInspect, OciDescriptor, OciPlatform};
use distribution::{Manifest, Platform};
use graph::Reference;

use super::pull::remote_of;
use super::{Registry, credentials};
use crate::error::Result;

impl Registry {
    /// Checks the credentials against the registry `serveraddress` names (Docker Hub when it
    /// names none), as dockerd's `AuthenticateToRegistry`: never stored, never logged.
    pub(crate) async fn login(&self, auth: AuthConfig) -> Result<AuthResponse> {
        let server = auth.server_address.clone();
        let ok = self.client.login(&server, &credentials(Some(auth))).await?;
        Ok(AuthResponse {
            status: ok.status.to_owned(),
            identity_token: ok.identity_token.unwrap_or_default(),
        })
    }

    /// What `name` (`latest` when it has no tag) is on its registry: the manifest or index
    /// it names, and the platforms it serves (an image manifest's from its config).
    pub(crate) async fn inspect(
        &self,
        name: &str,
        auth: Option<AuthConfig>,
    ) -> Result<DistributionInspect> {
        let named = Reference::parse_normalized(name)?;
        let named = if named.is_name_only() {
            named.with_tag("latest")?
        } else {
            named
        };
        let remote = remote_of(&named)?;
        let (session, top) = self
            .client
            .top_manifest(&remote, &credentials(auth))
            .await?;
        let platforms = match &top.manifest {
            Manifest::Index(index) => index
                .manifests
                .iter()
                .filter_map(|d| d.platform.as_ref())
                .map(oci_platform)
                .collect(),
            Manifest::Image(m) => {
                let config = session.config(&m.config).await?;
                let platform: Platform = serde_json::from_slice(&config).unwrap_or_default();
                vec![oci_platform(&platform)]
            }
        };
        Ok(DistributionInspect {
            descriptor: OciDescriptor {
                media_type: top.media_type.clone(),
                digest: top.digest.to_string(),
                size: top.bytes.len() as i64,
            },
            platforms,
        })
    }
}

fn oci_platform(p: &Platform) -> OciPlatform {
    OciPlatform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
        variant: p.variant.clone(),
    }
}
