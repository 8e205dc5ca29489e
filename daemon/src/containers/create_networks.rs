//! The networks a new container is on: its `NetworkMode`'s and what `NetworkingConfig` adds,
//! with their endpoint settings checked (what an endpoint cannot have is refused).

use std::collections::BTreeMap;

use api::types::{EndpointSettings, HostConfig, NetworkingConfig};

use super::Containers;
use super::attachments;
use super::plumbing::Mode;
use crate::error::Error;

impl Containers {
    /// The networks a new container is on, with the settings `NetworkingConfig` gives them
    /// (checked: what an endpoint cannot have is refused, not dropped). `HostConfig.Links`
    /// are the `NetworkMode` network's links when it is user-defined, as dockerd takes them.
    pub(super) fn networks_at_create(
        &self,
        hc: &HostConfig,
        nc: NetworkingConfig,
    ) -> Result<Option<BTreeMap<String, EndpointSettings>>, Error> {
        let net = &self.inner.net;
        if !Mode::of(hc, net)?.bridged() {
            return Ok(None);
        }
        let primary = attachments::primary_name(hc).to_owned();
        let mut map = BTreeMap::new();
        for (key, mut settings) in nc.endpoints_config.unwrap_or_default() {
            // Keyed by name or ID: recorded by name when the network exists.
            let target = match key.as_str() {
                "default" => net.lookup(&primary),
                k => net.lookup(k),
            };
            attachments::check(&settings, target.as_ref())?;
            attachments::clear_live(&mut settings);
            // The CLI keys the `NetworkMode` network's settings by the mode (`default`).
            let name = match &target {
                _ if key == hc.network_mode || key == primary => primary.clone(),
                Some(t) if t.name == primary || t.id == primary => primary.clone(),
                Some(t) => t.name.clone(),
                None => key,
            };
            map.insert(name, settings);
        }
        let entry = map.entry(primary.clone()).or_default();
        let links = hc.links.clone().unwrap_or_default();
        if !links.is_empty() && net.lookup(&primary).is_some_and(|t| t.user) {
            entry.links.get_or_insert_with(Vec::new).extend(links);
        }
        Ok(Some(map))
    }
}
