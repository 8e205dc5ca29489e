//! `GET /events`: `EventMessage` and its `EventActor`.

use std::collections::BTreeMap;

use serde::Serialize;

/// `EventMessage`: one line of `GET /events`.
///
/// The legacy `status`, `id` and `from` come first, as dockerd writes them for container and
/// image events (moby's `backFillLegacy`; the spec dropped them, the CLI before 25 and
/// docker-py still read them); other types leave them out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct EventMessage {
    /// The action (legacy).
    #[serde(rename = "status", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The actor's ID (legacy).
    #[serde(rename = "id", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A container's image, as its `Config.Image` names it (legacy).
    #[serde(rename = "from", skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `container`, `image`, `network`, `volume`, `daemon`, ...
    #[serde(rename = "Type")]
    pub kind: String,
    /// `create`, `start`, `die`, `exec_create: sh -c ...`, ...
    #[serde(rename = "Action")]
    pub action: String,
    /// What the event is about.
    #[serde(rename = "Actor")]
    pub actor: EventActor,
    /// `local` (`swarm` events do not exist here).
    #[serde(rename = "scope")]
    pub scope: String,
    /// Unix seconds.
    #[serde(rename = "time")]
    pub time: i64,
    /// Unix nanoseconds.
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

/// `EventActor`: the object an event is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct EventActor {
    /// A container's or network's ID, a volume's name, an image's ID or reference.
    #[serde(rename = "ID")]
    pub id: String,
    /// Attributes in key order, as Go writes a map: for a container its name, image and
    /// labels, and what the action adds (`exitCode`, `signal`, ...).
    #[serde(rename = "Attributes")]
    pub attributes: BTreeMap<String, String>,
}
