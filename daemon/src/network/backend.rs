//! `api::backend::NetworkBackend` for the daemon: the networks, with their containers' names,
//! filtered and found as dockerd does it.

use api::backend::NetworkBackend;
use api::filters::Filters;
use api::types::{
    Network, NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse,
    NetworkDisconnectRequest,
};

use crate::daemon::Daemon;
use crate::error::{Error, Result};

impl NetworkBackend for Daemon {
    async fn network_list(&self, filters: Filters) -> Result<Vec<Network>, api::Error> {
        Ok(select(self.networks(), &filters)?)
    }

    async fn network_inspect(&self, term: &str) -> Result<Network, api::Error> {
        Ok(find(self.networks(), term)?)
    }

    async fn network_create(
        &self,
        req: NetworkCreateRequest,
    ) -> Result<NetworkCreateResponse, api::Error> {
        Ok(self.create_network(req).await?)
    }

    async fn network_delete(&self, term: &str) -> Result<(), api::Error> {
        Ok(self.delete_network(term).await?)
    }

    async fn network_connect(
        &self,
        term: &str,
        req: NetworkConnectRequest,
    ) -> Result<(), api::Error> {
        Ok(self.connect_network(term, req).await?)
    }

    async fn network_disconnect(
        &self,
        term: &str,
        req: NetworkDisconnectRequest,
    ) -> Result<(), api::Error> {
        Ok(self.disconnect_network(term, req).await?)
    }
}

impl Daemon {
    /// Every network, its containers named.
    pub(crate) fn networks(&self) -> Vec<Network> {
        let mut list = self.network.list();
        let names = self.containers.names();
        for n in &mut list {
            for (id, c) in &mut n.containers {
                if let Some(name) = names.get(id) {
                    c.name.clone_from(name);
                }
            }
        }
        list
    }
}

/// The networks `f` selects: `name` and `id` (substrings), `driver`, `scope`, `type`
/// (`builtin` or `custom`), `label`, `dangling`.
fn select(list: Vec<Network>, f: &Filters) -> Result<Vec<Network>> {
    if let Some(t) = f
        .get("type")
        .iter()
        .find(|t| *t != "custom" && *t != "builtin")
    {
        return Err(Error::Invalid(format!("invalid filter: 'type'='{t}'")));
    }
    Ok(list
        .into_iter()
        .filter(|n| {
            f.any("name", |v| n.name.contains(v))
                && f.any("id", |v| n.id.contains(v))
                && f.any("driver", |v| n.driver == v)
                && f.any("scope", |v| n.scope == v)
                && f.any("type", |v| {
                    (v == "builtin") == super::user::PREDEFINED.contains(&n.name.as_str())
                })
                && f.match_labels(Some(&n.labels))
                && f.any("dangling", |v| {
                    (v == "true" || v == "1") == n.containers.is_empty()
                })
        })
        .collect())
}

/// The network `term` names: an exact name or full ID, else a unique ID prefix.
pub(super) fn find(list: Vec<Network>, term: &str) -> Result<Network> {
    if let Some(n) = list.iter().find(|n| n.name == term || n.id == term) {
        return Ok(n.clone());
    }
    let mut by_prefix = list.into_iter().filter(|n| n.id.starts_with(term));
    match (by_prefix.next(), by_prefix.next()) {
        (Some(n), None) if !term.is_empty() => Ok(n),
        (Some(_), Some(_)) => Err(Error::Invalid(format!("network {term} is ambiguous"))),
        _ => Err(Error::NoSuchNetwork(term.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use api::types::NetworkContainer;

    use super::*;

    /// A built-in network as the daemon shows it, with an ID starting `id`.
    fn network(name: &str, driver: &str, id: &str) -> Network {
        let identity = netdriver::NetworkIdentity {
            id: format!("{id}{}", "0".repeat(64 - id.len())),
            created: jiff::Timestamp::UNIX_EPOCH,
        };
        super::super::plain(name, driver, &identity)
    }

    fn networks() -> Vec<Network> {
        let mut bridge = network("bridge", "bridge", "6caeaa24");
        bridge
            .containers
            .insert("c1".into(), NetworkContainer::default());
        bridge.labels.insert("app".into(), "web".into());
        vec![
            bridge,
            network("host", "host", "196a01f7"),
            network("none", "null", "6cae01f7"),
        ]
    }

    fn names(filters: &str) -> Result<Vec<String>> {
        let f = Filters::parse(Some(filters)).expect("filters");
        Ok(select(networks(), &f)?
            .into_iter()
            .map(|n| n.name)
            .collect())
    }

    #[test]
    fn networks_filter_as_dockerd() {
        assert_eq!(names("{}").unwrap(), ["bridge", "host", "none"]);
        assert_eq!(names(r#"{"driver":["null"]}"#).unwrap(), ["none"]);
        assert_eq!(names(r#"{"name":["o"]}"#).unwrap(), ["host", "none"]);
        assert_eq!(names(r#"{"id":["01f7"]}"#).unwrap(), ["host", "none"]);
        assert_eq!(names(r#"{"label":["app=web"]}"#).unwrap(), ["bridge"]);
        assert_eq!(names(r#"{"dangling":["true"]}"#).unwrap(), ["host", "none"]);
        assert_eq!(names(r#"{"dangling":["false"]}"#).unwrap(), ["bridge"]);
        assert!(names(r#"{"type":["custom"]}"#).unwrap().is_empty());
        let mut more = networks();
        more.push(network("mine", "bridge", "77"));
        let f = Filters::parse(Some(r#"{"type":["custom"]}"#)).expect("filters");
        let custom: Vec<String> = select(more, &f)
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(custom, ["mine"]);
        assert_eq!(names(r#"{"type":["builtin"]}"#).unwrap().len(), 3);
        assert_eq!(
            names(r#"{"type":["user"]}"#).unwrap_err().to_string(),
            "invalid filter: 'type'='user'"
        );
    }

    #[test]
    fn networks_are_found_by_name_id_and_unique_prefix() {
        for term in ["bridge", "6caeaa24", &networks()[0].id] {
            assert_eq!(find(networks(), term).expect(term).name, "bridge");
        }
        let e = find(networks(), "6cae").expect_err("two start so");
        assert!(matches!(e, Error::Invalid(_)));
        assert_eq!(e.to_string(), "network 6cae is ambiguous");
        let e = find(networks(), "nope").expect_err("unknown");
        assert_eq!(e.to_string(), "network nope not found");
        assert!(find(networks(), "").is_err());
    }
}
