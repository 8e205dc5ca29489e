//! `POST /containers/{id}/exec` and `/exec/{id}/...`: create, start (a session like attach's,
//! or detached), resize, inspect.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::UPGRADE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;

use super::container_io::{Session, conn_fd, plain_attach, switch_to_session};
use crate::backend::ExecStartOptions;
use crate::extract::{Json, Path, Query};
use crate::hijack::DetachHook;
use crate::stream::detach_keys;
use crate::types::{ExecCreateRequest, ExecStartRequest, IdResponse};
use crate::version::{API_VERSION, ApiVersion};
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/containers/{id}/exec", post(exec_create::<B>))
        .route("/exec/{id}/start", post(exec_start::<B>))
        .route("/exec/{id}/resize", post(exec_resize::<B>))
        .route("/exec/{id}/json", get(exec_inspect::<B>))
}

/// `POST /exec/{id}/resize` query: kept as sent, so a bad one gets Docker's message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResizeQuery {
    h: String,
    w: String,
}

/// The largest start body read (it holds three small fields).
const MAX_START_BODY: usize = 64 * 1024;

/// `POST /containers/{id}/exec`.
async fn exec_create<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Json(req): Json<ExecCreateRequest>,
) -> Result<Response, Error> {
    if req.cmd.as_ref().is_none_or(Vec::is_empty) {
        return Err(Error::invalid("No exec command specified"));
    }
    if !req.detach_keys.is_empty() && detach_keys(&req.detach_keys).is_err() {
        return Err(Error::system(format!(
            "Invalid escape keys ({}) provided",
            req.detach_keys
        )));
    }
    let id = b.exec_create(&id, req).await?;
    Ok((StatusCode::CREATED, axum::Json(IdResponse { id })).into_response())
}

/// `POST /exec/{id}/start`: detached, a 200 once the process runs; attached, with `Upgrade:
/// tcp` a 101 and a two-way session on the connection (without, a 200 whose body is the
/// output), the process started once the answer's headers are out.
async fn exec_start<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    mut req: Request,
) -> Result<Response, Error> {
    let version = req
        .extensions()
        .get::<ApiVersion>()
        .copied()
        .unwrap_or(API_VERSION);
    let body = std::mem::take(req.body_mut());
    let bytes = axum::body::to_bytes(body, MAX_START_BODY)
        .await
        .map_err(|e| Error::invalid(format!("reading the request body: {e}")))?;
    // moby reads an empty body as no options.
    let start: ExecStartRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        ExecStartRequest::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|e| Error::invalid(e.to_string()))?
    };
    let opts = ExecStartOptions {
        detach: start.detach,
        // Not before API 1.42, and only with a tty (moby's rule).
        console_size: start.console_size.filter(|_| {
            start.tty
                && version
                    >= (ApiVersion {
                        major: 1,
                        minor: 42,
                    })
        }),
    };
    // Taken before answering: hyper hands the connection over once the 101 is sent.
    let upgrade = req
        .headers()
        .contains_key(UPGRADE)
        .then(|| hyper::upgrade::on(&mut req));
    let Some(session) = b.exec_start(&id, opts).await? else {
        return Ok(StatusCode::OK.into_response());
    };
    let keys = detach_keys(&session.detach_keys)?;
    Ok(match upgrade {
        Some(on) => {
            let on_detach: DetachHook = Box::pin(async move { b.exec_detached(&id).await });
            let session = Session {
                att: session.attachment,
                keys,
                on_detach,
            };
            switch_to_session(on, conn_fd(&req), session, version)
        }
        None => plain_attach(session.attachment, req.into_body()),
    })
}

/// `POST /exec/{id}/resize`.
async fn exec_resize<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<ResizeQuery>,
) -> Result<StatusCode, Error> {
    let dimension = |key: &str, raw: &str| {
        raw.parse::<u32>()
            .map_err(|_| Error::invalid(format!("invalid resize {key} {raw:?}")))
    };
    let (h, w) = (dimension("height", &q.h)?, dimension("width", &q.w)?);
    b.exec_resize(&id, h, w).await?;
    Ok(StatusCode::OK)
}

/// `GET /exec/{id}/json`. The backend gives the detach keys as they were given; moby keeps
/// them as bytes, which Go's JSON writes in base64 (`ctrl-p,ctrl-q` is `EBE=`).
async fn exec_inspect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let mut inspect = b.exec_inspect(&id).await?;
    if !inspect.detach_keys.is_empty() {
        let bytes = detach_keys(&inspect.detach_keys).unwrap_or_default();
        inspect.detach_keys = base64::engine::general_purpose::STANDARD.encode(bytes);
    }
    Ok(axum::Json(inspect).into_response())
}
