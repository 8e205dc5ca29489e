//! The network step of start-up, and the networks `GET /networks` shows (`backend` lists,
//! filters and finds them).
//!
//! `netdriver` does the work (bridge, addresses, firewall, endpoints); this module hands it the
//! configuration and maps what it reports to Docker's network objects.

mod backend;
mod ops;
mod user;

pub(crate) use user::forbidden;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use api::types::{Ipam, IpamConfig, Network as ApiNetwork};
use netdriver::{BuiltinNetworks, NetDriver, NetworkIdentity};

/// The daemon's networking: the three built-in networks, and the driver unless networking is
/// disabled (`--bridge=none`).
#[derive(Debug)]
pub struct Network {
    builtin: BuiltinNetworks,
    driver: Option<Arc<NetDriver>>,
}

impl Network {
    /// Sets up the bridge, addresses and firewall as configured; state lives in
    /// `cfg.state_dir`.
    pub async fn init(cfg: netdriver::Config) -> Result<Self> {
        let state_dir = &cfg.state_dir;
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("creating {}", state_dir.display()))?;
        let builtin = netdriver::builtin_networks(state_dir)?;
        let driver = NetDriver::init(cfg).await?;
        if let Some(d) = &driver {
            tracing::info!(bridge = d.bridge_name(), subnet = %d.subnet(), "bridge ready");
        } else {
            tracing::info!("networking disabled (--bridge=none)");
        }
        Ok(Network {
            builtin,
            driver: driver.map(Arc::new),
        })
    }

    /// The bridge driver, shared with the containers (`None` with `--bridge=none`).
    pub fn driver(&self) -> Option<Arc<NetDriver>> {
        self.driver.clone()
    }

    /// The IDs of the built-in networks.
    pub fn builtin(&self) -> &BuiltinNetworks {
        &self.builtin
    }

    /// The network drivers `/info` lists.
    pub fn drivers(&self) -> Vec<String> {
        let mut d = vec!["host".to_owned(), "null".to_owned()];
        if self.driver.is_some() {
            d.insert(0, "bridge".to_owned());
        }
        d
    }

    /// `bridge` (when networking is on), `host` and `none`, as Docker shows them.
    pub fn list(&self) -> Vec<ApiNetwork> {
        let mut out = Vec::new();
        if let Some(d) = &self.driver {
            let info = d.info();
            let mut n = plain(&info.name, "bridge", &info.identity);
            n.ipam.config = vec![IpamConfig {
                subnet: info.subnet.trunc().to_string(),
                gateway: info.gateway.to_string(),
                ..IpamConfig::default()
            }];
            let opt = |k: &str, v: String| (format!("com.docker.network.{k}"), v);
            n.options = BTreeMap::from([
                opt("bridge.default_bridge", info.default_bridge.to_string()),
                opt("bridge.enable_icc", info.icc.to_string()),
                opt(
                    "bridge.enable_ip_masquerade",
                    info.ip_masquerade.to_string(),
                ),
                opt(
                    "bridge.host_binding_ipv4",
                    info.host_binding_ipv4.to_string(),
                ),
                opt("bridge.name", info.bridge.clone()),
                opt("driver.mtu", info.mtu.to_string()),
            ]);
            n.containers = info
                .endpoints
                .iter()
                .map(|e| (e.container_id.clone(), user::container(e)))
                .collect();
            out.push(n);
        }
        out.push(plain("host", "host", &self.builtin.host));
        out.push(plain("none", "null", &self.builtin.none));
        if let Some(d) = &self.driver {
            for (cfg, endpoints) in d.user_networks() {
                out.push(user::show(&cfg, &endpoints));
            }
        }
        out
    }

    /// Closes the driver; what stays on the host is described in `netdriver`'s docs. The
    /// containers must have let go of it first.
    pub async fn shutdown(self) {
        let Some(d) = self.driver else { return };
        match Arc::try_unwrap(d) {
            Ok(d) => {
                if let Err(e) = d.shutdown().await {
                    tracing::warn!(error = %e, "network shutdown");
                }
            }
            // Its state is saved on every change; only pending veth deletions are not awaited.
            Err(_) => tracing::warn!("network driver still in use at shutdown"),
        }
    }
}

/// A network with Docker's defaults for the fields wharf does not use.
fn plain(name: &str, driver: &str, identity: &NetworkIdentity) -> ApiNetwork {
    ApiNetwork {
        name: name.into(),
        id: identity.id.clone(),
        created: identity.created.to_string(),
        scope: "local".into(),
        driver: driver.into(),
        ipam: Ipam {
            driver: "default".into(),
            ..Ipam::default()
        },
        ..ApiNetwork::default()
    }
}
