//! Which events a reader's `filters` select: moby's `daemon/events/filter.go`, key by key.
//!
//! Every key must match (a key not given matches everything); within a key, any value may.
//! Keys moby does not know select nothing more or less.

use api::filters::Filters;
use api::types::EventMessage;

/// The object types whose filter key (`container=...`, `volume=...`) matches an event by its
/// actor's ID or `name` attribute, by prefix (moby's `fuzzyMatchName`), whatever the event's
/// type. `image` is matched apart (see [`EventFilter::image`]).
const BY_NAME: &[&str] = &[
    "daemon",
    "container",
    "plugin",
    "volume",
    "network",
    "node",
    "service",
    "secret",
    "config",
];

/// Actions matched by prefix when named bare: `exec_create: sh -c ...` is an `exec_create`
/// (moby #25798).
const PREFIXED_ACTIONS: &[&str] = &["health_status", "exec_create", "exec_start"];

/// A reader's filters.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventFilter {
    filters: Filters,
}

impl EventFilter {
    /// The filters as the route parsed them.
    pub(crate) fn new(filters: Filters) -> Self {
        EventFilter { filters }
    }

    /// moby's `Filter.Include`.
    pub(crate) fn include(&self, ev: &EventMessage) -> bool {
        let f = &self.filters;
        let attrs = &ev.actor.attributes;
        self.action(&ev.action)
            && exact(f, "type", &ev.kind)
            && exact(f, "scope", &ev.scope)
            && BY_NAME.iter().all(|key| {
                let name = attrs.get("name").map_or("", String::as_str);
                fuzzy(f, key, &ev.actor.id) || fuzzy(f, key, name)
            })
            && self.image(ev)
            && (f.get("label").is_empty() || f.match_kv_list("label", Some(attrs)))
    }

    fn action(&self, action: &str) -> bool {
        let values = self.filters.get("event");
        if values
            .iter()
            .any(|v| PREFIXED_ACTIONS.contains(&v.as_str()))
        {
            fuzzy(&self.filters, "event", action)
        } else {
            exact(&self.filters, "event", action)
        }
    }

    /// `image=`: an image event's ID or `name`, a container event's `image` attribute, each
    /// also without its tag (`busybox` selects `busybox:latest`).
    fn image(&self, ev: &EventMessage) -> bool {
        let attr = if ev.kind == "image" { "name" } else { "image" };
        let name = ev.actor.attributes.get(attr).map_or("", String::as_str);
        let f = &self.filters;
        exact(f, "image", &ev.actor.id)
            || exact(f, "image", name)
            || exact(f, "image", &strip_tag(&ev.actor.id))
            || exact(f, "image", &strip_tag(name))
    }
}

/// moby's `Args.ExactMatch`: no values for `key`, or one equal to `source`.
fn exact(f: &Filters, key: &str, source: &str) -> bool {
    f.any(key, |v| v == source)
}

/// moby's `Args.FuzzyMatch`: no values for `key`, or one equal to or a prefix of `source`.
fn fuzzy(f: &Filters, key: &str, source: &str) -> bool {
    f.any(key, |v| source.starts_with(v))
}

/// The repository of a reference without its tag or digest, in its familiar form (moby's
/// `stripTag`); anything that is not a reference stays as it is.
fn strip_tag(name: &str) -> String {
    graph::Reference::parse_normalized(name)
        .map(|r| r.familiar_name())
        .unwrap_or_else(|_| name.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use api::types::EventActor;

    use super::*;

    fn event(kind: &str, action: &str, id: &str, attrs: &[(&str, &str)]) -> EventMessage {
        EventMessage {
            kind: kind.into(),
            action: action.into(),
            actor: EventActor {
                id: id.into(),
                attributes: attrs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<BTreeMap<_, _>>(),
            },
            scope: "local".into(),
            ..EventMessage::default()
        }
    }

    fn selects(filters: &str, ev: &EventMessage) -> bool {
        EventFilter::new(Filters::parse(Some(filters)).expect("filters")).include(ev)
    }

    #[test]
    fn events_filter_as_moby() {
        let start = event(
            "container",
            "start",
            "837fe9ccd288",
            &[("app", "trace"), ("image", "busybox"), ("name", "trace-c1")],
        );
        let exec = event(
            "container",
            "exec_create: sh -c true",
            "837fe9ccd288",
            &[("image", "busybox:1.36"), ("name", "trace-c1")],
        );
        let tag = event(
            "image",
            "tag",
            "sha256:9ecf3dc0b6a9",
            &[("name", "busybox:ev")],
        );
        let connect = event(
            "network",
            "connect",
            "6caeaa246b27",
            &[
                ("container", "837fe9ccd288"),
                ("name", "bridge"),
                ("type", "bridge"),
            ],
        );
        assert!(selects("{}", &start));
        assert!(selects(r#"{"type":["image","container"]}"#, &start));
        assert!(!selects(r#"{"type":["image"]}"#, &start));
        assert!(selects(r#"{"event":["start"]}"#, &start));
        assert!(!selects(r#"{"event":["star"]}"#, &start));
        // A bare exec_create selects the action that carries the command.
        assert!(selects(r#"{"event":["exec_create"]}"#, &exec));
        assert!(!selects(r#"{"event":["exec_die"]}"#, &exec));
        // container=: ID prefix or name (prefix too), and no other object's events.
        assert!(selects(r#"{"container":["837f"]}"#, &start));
        assert!(selects(r#"{"container":["trace-c"]}"#, &start));
        assert!(!selects(r#"{"container":["other"]}"#, &start));
        assert!(!selects(r#"{"container":["837f"]}"#, &connect));
        assert!(selects(r#"{"network":["bridge"]}"#, &connect));
        assert!(!selects(r#"{"network":["bridge"]}"#, &start));
        // image=: a container's image, an image event's name, with or without the tag.
        assert!(selects(r#"{"image":["busybox"]}"#, &start));
        assert!(selects(r#"{"image":["busybox"]}"#, &exec));
        assert!(selects(r#"{"image":["busybox:1.36"]}"#, &exec));
        assert!(!selects(r#"{"image":["busybox:1.37"]}"#, &exec));
        assert!(selects(r#"{"image":["busybox"]}"#, &tag));
        assert!(selects(r#"{"image":["sha256:9ecf3dc0b6a9"]}"#, &tag));
        assert!(!selects(r#"{"image":["alpine"]}"#, &tag));
        // label=: every value must match the attributes.
        assert!(selects(r#"{"label":["app=trace"]}"#, &start));
        assert!(selects(r#"{"label":["app"]}"#, &start));
        assert!(!selects(r#"{"label":["app=other"]}"#, &start));
        assert!(!selects(r#"{"label":["app"]}"#, &exec));
        // Keys combine; scope and daemon are keys too; unknown keys change nothing.
        assert!(selects(
            r#"{"type":["container"],"event":["start"],"scope":["local"]}"#,
            &start
        ));
        assert!(!selects(r#"{"scope":["swarm"]}"#, &start));
        assert!(!selects(r#"{"daemon":["x"]}"#, &start));
        assert!(selects(r#"{"colour":["red"]}"#, &start));
    }
}
