//! `GET /events`: the daemon's events as a stream of JSON objects, one per line, each sent as
//! it happens.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use jiff::Timestamp;
use serde::Deserialize;

use super::container_io::unix_time;
use crate::backend::EventsOptions;
use crate::extract::Query;
use crate::filters::Filters;
use crate::stream::json_line;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new().route("/events", get(system_events::<B>))
}

/// `GET /events` query: the times as sent, so a bad one gets a message naming it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventsQuery {
    since: Option<String>,
    until: Option<String>,
    filters: Option<String>,
}

/// `GET /events`.
async fn system_events<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<EventsQuery>,
) -> Result<Response, Error> {
    let since = event_time("since", q.since.as_deref())?;
    let until = event_time("until", q.until.as_deref())?;
    if let (Some(s), Some(u)) = (since, until)
        && u < s
    {
        return Err(Error::invalid(format!(
            "`since` time ({}) cannot be after `until` time ({})",
            q.since.unwrap_or_default(),
            q.until.unwrap_or_default()
        )));
    }
    // moby checks no filter key here: an unknown one matches nothing it names.
    let filters = Filters::parse(q.filters.as_deref())?;
    let opts = EventsOptions {
        since,
        until,
        filters,
    };
    let events = b.events(opts).await?;
    let body = events.map(|e| Ok::<_, Infallible>(json_line(&*e)));
    Ok((
        [(CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}

/// `since`/`until` as moby's `eventTime` reads them: Unix seconds with an optional fraction;
/// absent or empty is no bound, and unlike for logs `0` is the epoch (`--since 0` replays
/// every kept event).
fn event_time(key: &str, raw: Option<&str>) -> Result<Option<Timestamp>, Error> {
    match raw {
        Some("0") => Ok(Some(Timestamp::UNIX_EPOCH)),
        _ => unix_time(key, raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_read_zero_as_the_epoch() {
        assert_eq!(event_time("since", None).unwrap(), None);
        assert_eq!(event_time("since", Some("")).unwrap(), None);
        assert_eq!(
            event_time("since", Some("0")).unwrap(),
            Some(Timestamp::UNIX_EPOCH)
        );
        assert_eq!(
            event_time("until", Some("12.5")).unwrap(),
            Some(Timestamp::new(12, 500_000_000).unwrap())
        );
        assert_eq!(
            event_time("until", Some("x")).unwrap_err().message,
            "invalid value for until: \"x\""
        );
    }
}
