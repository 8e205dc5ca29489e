//! The name table: which container has which names and address on which network, and the
//! per-container link aliases. Pure data, no I/O; the listeners read it for every query.

use std::collections::HashMap;
use std::net::Ipv4Addr;

/// One container's registration on one network.
#[derive(Debug, Clone)]
struct Entry {
    container: String,
    ip: Ipv4Addr,
    /// Normalised (lowercase, no trailing dot); the first is the name PTR answers with.
    names: Vec<String>,
}

/// Every registration, by network, and the link aliases, by container.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Network → its registrations, in registration order (so answers are stable).
    networks: HashMap<String, Vec<Entry>>,
    /// Container → `(alias, target container)`, normalised alias.
    links: HashMap<String, Vec<(String, String)>>,
}

/// A DNS name as the table keys it: ASCII lowercase (DNS names are case-insensitive), without
/// the trailing dot of a fully qualified name.
pub(crate) fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

impl Table {
    /// Records `container` on `network` with `ip` and `names`, replacing what was there.
    pub(crate) fn register(
        &mut self,
        network: &str,
        container: &str,
        ip: Ipv4Addr,
        names: &[String],
    ) {
        let mut norm: Vec<String> = Vec::with_capacity(names.len());
        for n in names.iter().map(|n| normalise(n)) {
            if !n.is_empty() && !norm.contains(&n) {
                norm.push(n);
            }
        }
        let entries = self.networks.entry(network.to_string()).or_default();
        let entry = Entry {
            container: container.to_string(),
            ip,
            names: norm,
        };
        match entries.iter_mut().find(|e| e.container == container) {
            Some(e) => *e = entry,
            None => entries.push(entry),
        }
    }

    /// Forgets `container` on `network`; the network goes when its last container does.
    pub(crate) fn unregister(&mut self, network: &str, container: &str) {
        if let Some(entries) = self.networks.get_mut(network) {
            entries.retain(|e| e.container != container);
            if entries.is_empty() {
                self.networks.remove(network);
            }
        }
    }

    /// Replaces `container`'s link aliases (`(alias, target container)`).
    pub(crate) fn set_links(&mut self, container: &str, links: Vec<(String, String)>) {
        let links: Vec<(String, String)> = links
            .into_iter()
            .map(|(alias, target)| (normalise(&alias), target))
            .filter(|(alias, _)| !alias.is_empty())
            .collect();
        if links.is_empty() {
            self.links.remove(container);
        } else {
            self.links.insert(container.to_string(), links);
        }
    }

    /// The networks `container` is registered on, in a stable order (by name).
    fn networks_of(&self, container: &str) -> Vec<(&str, &[Entry])> {
        let mut nets: Vec<(&str, &[Entry])> = self
            .networks
            .iter()
            .filter(|(_, entries)| entries.iter().any(|e| e.container == container))
            .map(|(n, entries)| (n.as_str(), entries.as_slice()))
            .collect();
        nets.sort_by(|a, b| a.0.cmp(b.0));
        nets
    }

    /// Whether `container` is registered on some network. A container that is not gets only
    /// forwarding: it resolves no container name.
    pub(crate) fn knows(&self, container: &str) -> bool {
        self.networks
            .values()
            .any(|entries| entries.iter().any(|e| e.container == container))
    }

    /// The addresses `name` has for a query from `from`: every container registered under it
    /// on the first network shared with `from` that has it (as dockerd answers from one
    /// network), `name.<network>` naming that network explicitly, then `from`'s link aliases.
    /// Empty when the name is not a container's here.
    pub(crate) fn lookup(&self, from: &str, name: &str) -> Vec<Ipv4Addr> {
        let name = normalise(name);
        let nets = self.networks_of(from);
        for (_, entries) in &nets {
            let ips = addresses(entries, &name);
            if !ips.is_empty() {
                return ips;
            }
        }
        // `web.mynet`: the name on that network only.
        if let Some((short, net)) = name.rsplit_once('.')
            && let Some((_, entries)) = nets.iter().find(|(n, _)| n.eq_ignore_ascii_case(net))
        {
            let ips = addresses(entries, short);
            if !ips.is_empty() {
                return ips;
            }
        }
        let Some(links) = self.links.get(from) else {
            return Vec::new();
        };
        for (alias, target) in links {
            if *alias != name {
                continue;
            }
            for (_, entries) in &nets {
                if let Some(e) = entries.iter().find(|e| e.container == *target) {
                    return vec![e.ip];
                }
            }
        }
        Vec::new()
    }

    /// The name of the container at `ip` on a network `from` is on, as `name.network` (what
    /// dockerd answers to a PTR query).
    pub(crate) fn reverse(&self, from: &str, ip: Ipv4Addr) -> Option<String> {
        self.networks_of(from)
            .into_iter()
            .find_map(|(net, entries)| {
                entries
                    .iter()
                    .find(|e| e.ip == ip)
                    .and_then(|e| e.names.first())
                    .map(|n| format!("{n}.{net}"))
            })
    }
}

/// The addresses of the containers in `entries` registered under the normalised `name`.
fn addresses(entries: &[Entry], name: &str) -> Vec<Ipv4Addr> {
    entries
        .iter()
        .filter(|e| e.names.iter().any(|n| n == name))
        .map(|e| e.ip)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
