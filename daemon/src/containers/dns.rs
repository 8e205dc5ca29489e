//! The embedded DNS for containers on user-defined networks (`netdriver::dns`): served in the
//! container's namespace at `127.0.0.11` while it runs, with its names registered on each
//! user network it is on, its `--link` aliases, and forwarding only when it has a way out.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use netdriver::Endpoint;

use super::{Containers, Record, attachments};
use crate::error::Error;

/// Where containers on user networks send their queries (`resolv.conf`'s nameserver).
pub(crate) const EMBEDDED_DNS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 11));

/// The port of every resolver.
const DNS_PORT: u16 = 53;

/// `ip:53` for each of `ips`.
pub(crate) fn upstreams(ips: &[IpAddr]) -> Vec<SocketAddr> {
    ips.iter()
        .map(|ip| SocketAddr::new(*ip, DNS_PORT))
        .collect()
}

/// Whether any of `endpoints` is on a user-defined network (the container uses the embedded
/// DNS).
pub(crate) fn on_user_network(endpoints: &[Endpoint]) -> bool {
    endpoints.iter().any(|e| !e.network.is_empty())
}

impl Containers {
    /// Serves the embedded DNS to a running container on user networks (its namespace at
    /// `netns`, its `endpoints`), registers its names on each, its links, and whether its
    /// queries may be forwarded. Nothing for a container on no user network.
    pub(crate) async fn dns_up(
        &self,
        rec: &Record,
        netns: &Path,
        endpoints: &[Endpoint],
    ) -> Result<(), Error> {
        let net = &self.inner.net;
        let Some(dns) = &net.dns else { return Ok(()) };
        if !on_user_network(endpoints) {
            return Ok(());
        }
        let own: Vec<IpAddr> = rec
            .host_config
            .dns
            .iter()
            .flatten()
            .filter_map(|s| s.parse().ok())
            .collect();
        dns.attach(&rec.id, netns, upstreams(&own)).await?;
        self.dns_names(rec, endpoints);
        Ok(())
    }

    /// Registers the container's names on its user networks (`endpoints` are its live ones),
    /// its link aliases, and whether it has a way out (else nothing is forwarded).
    pub(crate) fn dns_names(&self, rec: &Record, endpoints: &[Endpoint]) {
        let net = &self.inner.net;
        let Some(dns) = &net.dns else { return };
        if !on_user_network(endpoints) {
            return;
        }
        let atts = attachments::of(&rec.host_config, rec.networks.as_ref(), net);
        let mut links = Vec::new();
        let mut way_out = false;
        for a in &atts {
            let Some(n) = a.net.as_ref().filter(|n| n.user) else {
                continue;
            };
            let Some(ep) = endpoints.iter().find(|e| e.network == n.driver_key) else {
                continue;
            };
            way_out |= !n.internal;
            let names = attachments::dns_names(
                &rec.name,
                rec.short_id(),
                &rec.config.hostname,
                &a.settings,
            );
            dns.register(&n.name, &rec.id, ep.ip, names);
            for link in a.settings.links.iter().flatten() {
                let (target, alias) = link.split_once(':').unwrap_or((link, link));
                match self.get(target) {
                    Ok(t) => links.push((alias.trim_start_matches('/').to_owned(), t.id.clone())),
                    Err(_) => {
                        tracing::warn!(container = %rec.id, link = %link, "link to an unknown container")
                    }
                }
            }
        }
        dns.set_links(&rec.id, links);
        dns.set_forwarding(&rec.id, way_out);
    }

    /// Forgets the container's names on the user networks of `endpoints`, and stops serving
    /// it when it is on none any more (`all`: the run ends).
    pub(crate) fn dns_down(&self, id: &str, endpoints: &[Endpoint], all: bool) {
        let net = &self.inner.net;
        let (Some(dns), Some(driver)) = (&net.dns, &net.driver) else {
            return;
        };
        for ep in endpoints.iter().filter(|e| !e.network.is_empty()) {
            if let Some(cfg) = driver.user_network(&ep.network) {
                dns.unregister(&cfg.name, id);
            }
        }
        if all {
            dns.detach(id);
            dns.set_links(id, Vec::new());
            // Forgets the container in the set of those that forward nothing.
            dns.set_forwarding(id, true);
        }
    }
}
