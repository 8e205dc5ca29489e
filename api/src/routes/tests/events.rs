//! `GET /events` against the fake backend: the times and filters that reach it, and the
//! stream's shape.

use std::sync::Arc;

use axum::http::StatusCode;

use super::{Fake, call};
use crate::Error;
use crate::backend::{EventStream, EventsBackend, EventsOptions};
use crate::types::{EventActor, EventMessage};

/// Answers two events that say what the route passed on.
impl EventsBackend for Fake {
    async fn events(&self, opts: EventsOptions) -> Result<EventStream, Error> {
        let said = |action: String| {
            Arc::new(EventMessage {
                kind: "daemon".into(),
                action,
                actor: EventActor::default(),
                scope: "local".into(),
                ..EventMessage::default()
            })
        };
        let first = said(format!(
            "since={:?} until={:?}",
            opts.since.map(|t| t.as_second()),
            opts.until.map(|t| t.as_second())
        ));
        let second = said(format!("type={:?}", opts.filters.get("type")));
        Ok(Box::pin(futures::stream::iter([first, second])))
    }
}

/// The `Action` of each line of `body`.
fn actions(body: &str) -> Vec<String> {
    body.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object a line");
            v["Action"].as_str().expect("Action").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn events_stream_one_object_a_line() {
    let uri =
        "/v1.41/events?since=0&until=1795841148.5&filters=%7B%22type%22%3A%5B%22image%22%5D%7D";
    let (s, headers, body) = call("GET", uri).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(headers["Content-Type"], "application/json");
    assert_eq!(
        actions(&body),
        ["since=Some(0) until=Some(1795841148)", "type=[\"image\"]"]
    );
    // Neither legacy field is written for a daemon event.
    assert!(!body.contains("\"status\""), "{body}");
    let (_, _, body) = call("GET", "/events").await;
    assert_eq!(actions(&body)[0], "since=None until=None");
}

#[tokio::test]
async fn events_refuse_bad_times_as_dockerd() {
    let (s, _, body) = call("GET", "/events?since=20&until=10").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        r#"{"message":"`since` time (20) cannot be after `until` time (10)"}"#
    );
    let (s, _, body) = call("GET", "/events?since=1m").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body, r#"{"message":"invalid value for since: \"1m\""}"#);
    let (s, _, _) = call("GET", "/events?filters=nope").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
