//! `/containers/{id}/wait`, `/attach` and `/logs`: the endpoints whose answers outlive the
//! handler. Each sends its headers as soon as the backend has accepted the request, and the
//! body as the container produces it.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONNECTION, CONTENT_TYPE, UPGRADE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use futures::StreamExt;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use serde::Deserialize;

use crate::backend::{AttachOptions, Attachment, LogsOptions, StdStream, WaitCondition};
use crate::extract::{Path, Query, moby_bool};
use crate::hijack::{ConnFd, DetachHook, attach_session, copy_body, until_headers_read};
use crate::stream::{
    DetachScanner, RAW_STREAM, content_type, detach_keys, encode, encode_frame, encode_log,
    json_line,
};
use crate::version::{API_VERSION, ApiVersion};
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/containers/{id}/wait", post(container_wait::<B>))
        .route("/containers/{id}/attach", post(container_attach::<B>))
        .route("/containers/{id}/logs", get(container_logs::<B>))
}

/// `POST /containers/{id}/wait` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WaitQuery {
    condition: String,
}

/// `POST /containers/{id}/attach` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AttachQuery {
    #[serde(deserialize_with = "moby_bool")]
    stream: bool,
    #[serde(deserialize_with = "moby_bool")]
    logs: bool,
    #[serde(deserialize_with = "moby_bool")]
    stdin: bool,
    #[serde(deserialize_with = "moby_bool")]
    stdout: bool,
    #[serde(deserialize_with = "moby_bool")]
    stderr: bool,
    #[serde(rename = "detachKeys")]
    detach_keys: String,
}

/// `GET /containers/{id}/logs` query: the times as sent, so a bad one gets Docker's message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogsQuery {
    #[serde(deserialize_with = "moby_bool")]
    follow: bool,
    #[serde(deserialize_with = "moby_bool")]
    stdout: bool,
    #[serde(deserialize_with = "moby_bool")]
    stderr: bool,
    since: Option<String>,
    until: Option<String>,
    #[serde(deserialize_with = "moby_bool")]
    timestamps: bool,
    tail: Option<String>,
    #[serde(deserialize_with = "moby_bool")]
    details: bool,
}

/// `POST /containers/{id}/wait`: headers at once (the CLI waits for them before it starts the
/// container), the result when the condition is met.
async fn container_wait<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> Result<Response, Error> {
    let condition = match q.condition.as_str() {
        "" | "not-running" => WaitCondition::NotRunning,
        "next-exit" => WaitCondition::NextExit,
        "removed" => WaitCondition::Removed,
        other => return Err(Error::invalid(format!("invalid condition: {other:?}"))),
    };
    let done = b.container_wait(&id, condition).await?;
    let body = futures::stream::once(async move { Ok::<_, Infallible>(json_line(&done.await)) });
    Ok((
        [(CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}

/// `POST /containers/{id}/attach`: with `Upgrade: tcp`, a 101 and a two-way session on the
/// connection; without, a 200 whose body is the output (and whose request body is the input).
async fn container_attach<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    mut req: Request,
) -> Result<Response, Error> {
    let keys = detach_keys(&q.detach_keys)?;
    let version = req.extensions().get::<ApiVersion>().copied();
    // Taken before answering: hyper hands the connection over once the 101 is sent.
    let upgrade = req
        .headers()
        .contains_key(UPGRADE)
        .then(|| hyper::upgrade::on(&mut req));
    let opts = AttachOptions {
        stream: q.stream,
        logs: q.logs,
        stdin: q.stdin,
        stdout: q.stdout,
        stderr: q.stderr,
    };
    let att = b.container_attach(&id, opts).await?;
    Ok(match upgrade {
        Some(on) => {
            let on_detach: DetachHook = Box::pin(async move { b.container_detached(&id).await });
            let session = Session {
                att,
                keys,
                on_detach,
            };
            switch_to_session(on, conn_fd(&req), session, version.unwrap_or(API_VERSION))
        }
        None => plain_attach(att, req.into_body()),
    })
}

/// A session about to be wired to an upgraded connection.
pub(super) struct Session {
    /// The output and stdin.
    pub(super) att: Attachment,
    /// The detach keys, watched for under a tty.
    pub(super) keys: Vec<u8>,
    /// Run when the client types them.
    pub(super) on_detach: DetachHook,
}

/// Answers 101 and runs the session on the connection once hyper releases it.
pub(super) fn switch_to_session(
    on: OnUpgrade,
    fd: Option<ConnFd>,
    session: Session,
    v: ApiVersion,
) -> Response {
    let Session {
        att,
        keys,
        on_detach,
    } = session;
    let ct = content_type(v, att.tty);
    let detach = att.tty.then(|| DetachScanner::new(keys));
    tokio::spawn(async move {
        match on.await {
            Ok(upgraded) => {
                // No output before the client has read the headers (see `until_headers_read`).
                if let Some(fd) = fd {
                    until_headers_read(fd).await;
                }
                if attach_session(TokioIo::new(upgraded), att, detach).await {
                    on_detach.await;
                }
            }
            Err(e) => tracing::debug!(error = %e, "attach: the connection was not upgraded"),
        }
    });
    let mut resp = (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (CONTENT_TYPE, ct),
            (CONNECTION, "Upgrade"),
            (UPGRADE, "tcp"),
        ],
    )
        .into_response();
    // dockerd's status line is `HTTP/1.1 101 UPGRADED`.
    resp.extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(b"UPGRADED"));
    resp
}

/// The connection's descriptor, when the server noted it (not in router tests).
pub(super) fn conn_fd(req: &Request) -> Option<ConnFd> {
    req.extensions()
        .get::<ConnectInfo<ConnFd>>()
        .map(|ConnectInfo(fd)| *fd)
}

/// Attach without an upgrade: output as a streamed body, raw-stream typed as moby sends it.
pub(super) fn plain_attach(att: Attachment, body: Body) -> Response {
    if let Some(sink) = att.input {
        tokio::spawn(copy_body(body, sink));
    }
    let tty = att.tty;
    let out = att.output.map(move |f| f.map(|f| encode_frame(tty, &f)));
    ([(CONTENT_TYPE, RAW_STREAM)], Body::from_stream(out)).into_response()
}

/// `GET /containers/{id}/logs`.
async fn container_logs<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Extension(v): Extension<ApiVersion>,
    Query(q): Query<LogsQuery>,
) -> Result<Response, Error> {
    let opts = LogsOptions {
        follow: q.follow,
        stdout: q.stdout,
        stderr: q.stderr,
        since: unix_time("since", q.since.as_deref())?,
        until: unix_time("until", q.until.as_deref())?,
        tail: tail(q.tail.as_deref()),
        details: q.details,
    };
    if !opts.stdout && !opts.stderr {
        return Err(Error::invalid(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    let timestamps = q.timestamps;
    let logs = b.container_logs(&id, opts).await?;
    let tty = logs.tty;
    // Past the headers a failure can only be told in-band, as moby does.
    let body = logs.entries.map(move |e| {
        Ok::<_, Infallible>(match e {
            Ok(entry) => encode_log(tty, timestamps, &entry),
            Err(e) => encode(
                tty,
                StdStream::Stderr,
                format!("Error grabbing logs: {e}\n").as_bytes(),
            ),
        })
    });
    Ok((
        [(CONTENT_TYPE, content_type(v, tty))],
        Body::from_stream(body),
    )
        .into_response())
}

/// `since`/`until`: Unix seconds with an optional fraction (`1795841119.462964806`), as the
/// CLI sends them; absent, empty or `0` means no bound.
pub(super) fn unix_time(key: &str, raw: Option<&str>) -> Result<Option<Timestamp>, Error> {
    let raw = match raw {
        None | Some("") | Some("0") => return Ok(None),
        Some(r) => r,
    };
    let bad = || Error::invalid(format!("invalid value for {key}: {raw:?}"));
    let (secs, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let secs = secs.parse::<u64>().map_err(|_| bad())?;
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    // The fraction's first nine digits are nanoseconds: `5` is 500 000 000.
    let nanos = format!("{:0<9}", &frac[..frac.len().min(9)]);
    let nanos = nanos.parse::<i32>().map_err(|_| bad())?;
    // Past year 9999 every record is before the bound.
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    Ok(Some(Timestamp::new(secs, nanos).unwrap_or(Timestamp::MAX)))
}

/// `tail`: `all`, absent, negative or unreadable means every record, as moby reads it.
fn tail(raw: Option<&str>) -> Option<usize> {
    raw.and_then(|t| t.parse::<i64>().ok())
        .and_then(|n| usize::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_bounds_parse_as_the_cli_sends_them() {
        let at = |s, n| Some(Timestamp::new(s, n).unwrap());
        assert_eq!(unix_time("since", None).unwrap(), None);
        assert_eq!(unix_time("since", Some("0")).unwrap(), None);
        assert_eq!(unix_time("since", Some("12")).unwrap(), at(12, 0));
        assert_eq!(
            unix_time("since", Some("12.5")).unwrap(),
            at(12, 500_000_000)
        );
        assert_eq!(
            unix_time("since", Some("12.0000000019")).unwrap(),
            at(12, 1)
        );
        assert!(unix_time("until", Some("1h")).is_err());
        assert!(unix_time("until", Some("1.x")).is_err());
        assert_eq!(tail(Some("all")), None);
        assert_eq!(tail(Some("-1")), None);
        assert_eq!(tail(Some("3")), Some(3));
        assert_eq!(tail(None), None);
    }
}
