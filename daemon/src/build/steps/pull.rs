//! FROM's image: the store's, or pulled through the registry client (moby's
//! `GetImageAndReleasableLayer` + `pullForBuilder`): when the store lacks it, or always with
//! `pull=1`; the credentials are the `X-Registry-Config` entry of the image's registry
//! (`ResolveAuthConfig`), the pull's progress messages are the build's output.

use std::collections::BTreeMap;

use api::types::AuthConfig;

use super::*;

/// The key of Docker Hub's credentials (moby's `IndexServer`).
const INDEX_SERVER: &str = "https://index.docker.io/v1/";

impl Builder {
    /// The image `name` names, pulled first when the store does not have it or `pull` is
    /// asked for.
    pub(super) async fn local_or_pulled(&self, name: &str) -> Result<ImageId, Failure> {
        if !self.opts.pull {
            let n = name.to_owned();
            match self.images.blocking(move |s| s.inspect(&n)).await {
                Ok(d) => return Ok(d.id),
                Err(Error::Image(e)) if e.kind() == graph::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        let r = graph::Reference::parse_normalized(name).map_err(Error::from)?;
        let tag = match (r.digest(), r.tag()) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.to_owned(),
            (None, None) => "latest".to_owned(),
        };
        let opts = PullOptions {
            image: r.name(),
            tag: Some(tag),
            platform: None,
            auth: auth_for(&self.opts.auth_configs, r.domain()),
        };
        let mut progress = self.registry.pull(&self.images, &self.events, opts).await?;
        while let Some(m) = progress.next().await {
            if let Some(e) = m.error {
                return Err(Failure::from(e));
            }
            if !self.opts.quiet {
                self.out.send(m);
            }
        }
        let n = name.to_owned();
        Ok(self.images.blocking(move |s| s.inspect(&n)).await?.id)
    }
}

/// moby's `ResolveAuthConfig`: the entry of the registry `domain` (Docker Hub's under
/// [`INDEX_SERVER`]), else one whose key is that host written as a URL.
fn auth_for(configs: &BTreeMap<String, AuthConfig>, domain: &str) -> Option<AuthConfig> {
    if domain == "docker.io" {
        return configs.get(INDEX_SERVER).cloned();
    }
    if let Some(c) = configs.get(domain) {
        return Some(c.clone());
    }
    configs
        .iter()
        .find(|(k, _)| hostname(k) == domain)
        .map(|(_, c)| c.clone())
}

/// moby's `ConvertToHostname`: the host of a registry key written as a URL.
fn hostname(key: &str) -> &str {
    let rest = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))
        .unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_by_registry_as_moby_resolves_them() {
        let user = |u: &str| AuthConfig {
            username: u.into(),
            ..AuthConfig::default()
        };
        let configs: BTreeMap<String, AuthConfig> = [
            (INDEX_SERVER.to_owned(), user("hub")),
            ("127.0.0.1:5000".to_owned(), user("local")),
            ("https://reg.example.com/v2/".to_owned(), user("legacy")),
        ]
        .into();
        let name = |d: &str| auth_for(&configs, d).map(|c| c.username);
        assert_eq!(name("docker.io").as_deref(), Some("hub"));
        assert_eq!(name("127.0.0.1:5000").as_deref(), Some("local"));
        assert_eq!(name("reg.example.com").as_deref(), Some("legacy"));
        assert_eq!(name("other.example.com"), None);
    }
}
