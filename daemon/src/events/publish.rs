//! What the daemon calls to publish an event, one method per kind of object, each with the
//! attributes dockerd gives it (moby's `daemon/events.go` and `daemon/images/image_events.go`).
//!
//! The caller names the action as dockerd does (`create`, `die`, `exec_create: sh -c ...`)
//! and adds what the action carries (`exitCode`, `signal`, `execID`, ...).

use std::collections::BTreeMap;

use api::types::{EventActor, EventMessage};

use super::Events;
use crate::containers::Record;

/// Engine events are `local` (`swarm` is for cluster objects).
const SCOPE: &str = "local";

impl Events {
    /// A container event (moby's `LogContainerEventWithAttributes`): `extra`, then the
    /// container's labels (a label wins over an extra of the same key, as in moby), then
    /// `image` (its `Config.Image`, as the user named it) and `name` (without `/`). Carries the
    /// legacy `status`, `id` and `from`.
    pub(crate) fn container(&self, rec: &Record, action: &str, extra: &[(&str, String)]) {
        let mut attrs: BTreeMap<String, String> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        if let Some(labels) = &rec.config.labels {
            attrs.extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if !rec.config.image.is_empty() {
            attrs.insert("image".into(), rec.config.image.clone());
        }
        attrs.insert("name".into(), rec.name.trim_start_matches('/').to_owned());
        let from = attrs.get("image").cloned();
        self.publish(EventMessage {
            status: Some(action.to_owned()),
            id: Some(rec.id.clone()),
            from,
            ..message("container", action, &rec.id, attrs)
        });
    }

    /// An image event (moby's `LogImageEventWithAttributes`): `id` is what dockerd names the
    /// actor with (the image ID, or for pull and push the reference), `name` its `name`
    /// attribute; `labels` are the image's (`None` once it is deleted). Carries the legacy
    /// `status` and `id`.
    pub(crate) fn image(
        &self,
        id: &str,
        name: &str,
        action: &str,
        labels: Option<&BTreeMap<String, String>>,
    ) {
        let mut attrs = labels.cloned().unwrap_or_default();
        if !name.is_empty() {
            attrs.insert("name".into(), name.to_owned());
        }
        self.publish(EventMessage {
            status: Some(action.to_owned()),
            id: Some(id.to_owned()),
            ..message("image", action, id, attrs)
        });
    }

    /// A network event (moby's `LogNetworkEventWithAttributes`): the network's `name` and
    /// driver (`type`), and for `connect`/`disconnect` the `container`'s ID.
    pub(crate) fn network(
        &self,
        id: &str,
        name: &str,
        driver: &str,
        action: &str,
        container: Option<&str>,
    ) {
        let mut attrs = BTreeMap::from([
            ("name".to_owned(), name.to_owned()),
            ("type".to_owned(), driver.to_owned()),
        ]);
        if let Some(c) = container {
            attrs.insert("container".into(), c.to_owned());
        }
        self.publish(message("network", action, id, attrs));
    }

    /// A volume event (moby's `LogVolumeEvent`): the volume's name is the actor; `attrs` as
    /// the action has them (`driver` always; `container`, `destination`, `read/write`,
    /// `propagation` for a mount).
    pub(crate) fn volume(&self, name: &str, action: &str, attrs: &[(&str, String)]) {
        let attrs = attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        self.publish(message("volume", action, name, attrs));
    }
}

impl Events {
    /// A prune's event (moby's `*Prune`): no actor, the bytes freed as `reclaimed`; container
    /// and image prunes carry the legacy `status`.
    pub(crate) fn prune(&self, kind: &str, reclaimed: u64) {
        let attrs = BTreeMap::from([("reclaimed".to_owned(), reclaimed.to_string())]);
        let legacy = matches!(kind, "container" | "image").then(|| "prune".to_owned());
        self.publish(EventMessage {
            status: legacy,
            ..message(kind, "prune", "", attrs)
        });
    }
}

/// An event without the legacy fields (the bus stamps the time).
fn message(
    kind: &str,
    action: &str,
    id: &str,
    attributes: BTreeMap<String, String>,
) -> EventMessage {
    EventMessage {
        kind: kind.to_owned(),
        action: action.to_owned(),
        actor: EventActor {
            id: id.to_owned(),
            attributes,
        },
        scope: SCOPE.to_owned(),
        ..EventMessage::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    /// The last event, its time zeroed (the time is the bus's; the rest is the shape).
    fn last(bus: &Events) -> EventMessage {
        let sub = bus.subscribe(Some(Timestamp::UNIX_EPOCH), None, |_| true);
        let mut e = EventMessage::clone(&sub.replay[sub.replay.len() - 1]);
        assert!(e.time_nano > 1_700_000_000_000_000_000);
        (e.time, e.time_nano) = (0, 0);
        e
    }

    fn json(e: &EventMessage) -> serde_json::Value {
        serde_json::to_value(e).unwrap()
    }

    #[test]
    fn container_events_carry_dockerds_attributes_and_legacy_fields() {
        let bus = Events::default();
        let mut rec = Record::sample(&"8".repeat(64), "/trace-c1");
        rec.config.image = "busybox".into();
        rec.config.labels = Some(BTreeMap::from([
            ("app".to_owned(), "trace".to_owned()),
            ("exitCode".to_owned(), "label".to_owned()),
        ]));
        bus.container(&rec, "die", &[("exitCode", "137".into())]);
        let text = serde_json::to_string(&last(&bus)).unwrap();
        let id = "8".repeat(64);
        assert_eq!(
            text,
            format!(
                "{{\"status\":\"die\",\"id\":\"{id}\",\"from\":\"busybox\",\"Type\":\"container\",\
                 \"Action\":\"die\",\"Actor\":{{\"ID\":\"{id}\",\"Attributes\":{{\"app\":\"trace\",\
                 \"exitCode\":\"label\",\"image\":\"busybox\",\"name\":\"trace-c1\"}}}},\
                 \"scope\":\"local\",\"time\":0,\"timeNano\":0}}"
            )
        );
    }

    #[test]
    fn image_network_and_volume_events_as_dockerd() {
        let bus = Events::default();
        let labels = BTreeMap::from([("org.example.anchor".to_owned(), "1".to_owned())]);
        bus.image("sha256:9ecf", "busybox:ev", "tag", Some(&labels));
        let v = json(&last(&bus));
        assert_eq!(v["status"], "tag");
        assert_eq!(v["id"], "sha256:9ecf");
        assert!(v.get("from").is_none());
        assert_eq!(
            v["Actor"]["Attributes"],
            serde_json::json!({"name": "busybox:ev", "org.example.anchor": "1"})
        );
        bus.network("6cae", "bridge", "bridge", "connect", Some("837f"));
        let v = json(&last(&bus));
        assert!(v.get("status").is_none() && v.get("id").is_none());
        assert_eq!(
            v["Actor"],
            serde_json::json!({"ID": "6cae", "Attributes":
                {"container": "837f", "name": "bridge", "type": "bridge"}})
        );
        bus.volume("data", "destroy", &[("driver", "local".into())]);
        let v = json(&last(&bus));
        assert_eq!(v["Type"], "volume");
        assert_eq!(v["Actor"]["ID"], "data");
        assert_eq!(v["Actor"]["Attributes"]["driver"], "local");
    }
}
