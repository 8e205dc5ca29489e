//! Where a registry's API is reached, in the order dockerd tries them (moby's
//! `lookupV2Endpoints`): for Docker Hub its mirrors, then `registry-1.docker.io`; for any other
//! registry HTTPS, then, when the registry is insecure, plain HTTP.

use crate::config::RegistryConfig;
use crate::reference::{DOCKER_HUB, DOCKER_HUB_INDEX, DOCKER_HUB_REGISTRY};

/// How an HTTPS endpoint's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tls {
    /// Verified against the system roots plus the `*.crt` of `certs.d/<host>/`, presenting the
    /// client certificate found there (if any).
    Verify {
        /// The directory name under the certs directory (`127.0.0.1:5000`), if certificates
        /// are read for this endpoint.
        certs_host: Option<String>,
    },
    /// Not verified: an insecure registry (dockerd's `InsecureSkipVerify`).
    SkipVerify,
}

/// One place to reach a registry's `/v2/` API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://host[:port]` or `http://...`, with a mirror's path if it has one, no trailing
    /// slash.
    pub base: String,
    /// Whether this is a Docker Hub mirror (its failures move on to the next endpoint).
    pub mirror: bool,
    /// The certificate check (ignored for plain HTTP).
    pub tls: Tls,
}

impl Endpoint {
    /// A verified HTTPS endpoint for `host[:port]`, with certificates from the certs
    /// directory's `host[:port]` entry.
    pub fn https(host: &str) -> Endpoint {
        Endpoint {
            base: format!("https://{host}"),
            mirror: false,
            tls: Tls::Verify {
                certs_host: Some(host.to_owned()),
            },
        }
    }

    /// Whether this endpoint is plain HTTP.
    pub fn is_http(&self) -> bool {
        self.base.starts_with("http://")
    }

    /// The `scheme://authority` part (connections are pooled by it).
    pub fn origin(&self) -> &str {
        let after_scheme = self.base.find("://").map_or(0, |i| i + 3);
        let end = self.base[after_scheme..]
            .find('/')
            .map_or(self.base.len(), |i| after_scheme + i);
        &self.base[..end]
    }

    /// The URL of `/v2/` plus `path` (`library/nginx/manifests/latest`).
    pub fn v2(&self, path: &str) -> String {
        format!("{}/v2/{path}", self.base)
    }
}

impl RegistryConfig {
    /// The endpoints to try for a registry `domain`, in order. Mirrors are included only when
    /// asked (a login never sends Docker Hub credentials to a mirror).
    pub async fn endpoints(&self, domain: &str, include_mirrors: bool) -> Vec<Endpoint> {
        if domain == DOCKER_HUB || domain == DOCKER_HUB_INDEX {
            let mut endpoints = Vec::new();
            if include_mirrors {
                for m in self.mirrors() {
                    let base = m.trim_end_matches('/').to_owned();
                    let host = base.split_once("://").map_or("", |(_, r)| r);
                    let host = host.split('/').next().unwrap_or_default().to_owned();
                    let tls = self.tls_for(&host).await;
                    endpoints.push(Endpoint {
                        base,
                        mirror: true,
                        tls,
                    });
                }
            }
            // Docker Hub is verified against the system roots only, as dockerd's
            // `tlsconfig.ServerDefault()`.
            endpoints.push(Endpoint {
                base: format!("https://{DOCKER_HUB_REGISTRY}"),
                mirror: false,
                tls: Tls::Verify { certs_host: None },
            });
            return endpoints;
        }
        let tls = self.tls_for(domain).await;
        let insecure = tls == Tls::SkipVerify;
        let mut endpoints = vec![Endpoint {
            base: format!("https://{domain}"),
            mirror: false,
            tls,
        }];
        if insecure {
            endpoints.push(Endpoint {
                base: format!("http://{domain}"),
                mirror: false,
                tls: Tls::SkipVerify,
            });
        }
        endpoints
    }

    /// moby's `newTLSConfig`: certificates are read only for a secure registry.
    async fn tls_for(&self, host: &str) -> Tls {
        if self.is_secure(host).await {
            Tls::Verify {
                certs_host: self.certs_dir().map(|_| host.to_owned()),
            }
        } else {
            Tls::SkipVerify
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn endpoints_in_dockerds_order() {
        let c = RegistryConfig::new(
            &[],
            &["https://mirror.example:5000".to_owned()],
            Some("/etc/wharf/certs.d".into()),
        )
        .unwrap();
        let hub = c.endpoints("docker.io", true).await;
        assert_eq!(hub.len(), 2);
        assert_eq!(hub[0].base, "https://mirror.example:5000");
        assert!(hub[0].mirror);
        assert_eq!(
            hub[0].tls,
            Tls::Verify {
                certs_host: Some("mirror.example:5000".into())
            }
        );
        assert_eq!(hub[1].base, "https://registry-1.docker.io");
        assert_eq!(hub[1].v2(""), "https://registry-1.docker.io/v2/");
        assert_eq!(c.endpoints("docker.io", false).await.len(), 1);

        let local = c.endpoints("127.0.0.1:5000", true).await;
        let bases: Vec<&str> = local.iter().map(|e| e.base.as_str()).collect();
        assert_eq!(bases, ["https://127.0.0.1:5000", "http://127.0.0.1:5000"]);
        assert_eq!(local[0].tls, Tls::SkipVerify);
        assert!(local[1].is_http());

        let remote = c.endpoints("192.0.2.7:443", true).await;
        assert_eq!(remote.len(), 1);
        assert_eq!(
            remote[0].tls,
            Tls::Verify {
                certs_host: Some("192.0.2.7:443".into())
            }
        );
        let m = Endpoint {
            base: "https://m.example/prefix".into(),
            mirror: true,
            tls: Tls::SkipVerify,
        };
        assert_eq!(m.origin(), "https://m.example");
        assert_eq!(m.v2("x"), "https://m.example/prefix/v2/x");
    }
}
