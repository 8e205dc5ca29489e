//! `/containers`: create, lifecycle, list and inspect. The streaming endpoints (wait, attach,
//! logs) are in `container_io`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use crate::backend::{ContainerListOptions, DeleteOptions, StopOptions};
use crate::extract::{Json, Path, Query, moby_bool};
use crate::filters::Filters;
use crate::respond::large_json;
use crate::signal::Signal;
use crate::types::{ContainerCreateRequest, ContainerStatus};
use crate::version::ApiVersion;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/containers/json", get(container_list::<B>))
        .route("/containers/create", post(container_create::<B>))
        .route("/containers/{id}", delete(container_delete::<B>))
        .route("/containers/{id}/json", get(container_inspect::<B>))
        .route("/containers/{id}/start", post(container_start::<B>))
        .route("/containers/{id}/stop", post(container_stop::<B>))
        .route("/containers/{id}/restart", post(container_restart::<B>))
        .route("/containers/{id}/kill", post(container_kill::<B>))
        .route("/containers/{id}/resize", post(container_resize::<B>))
}

/// `POST /containers/create` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CreateQuery {
    name: String,
}

/// `POST /containers/{id}/stop` and `/restart` query: numbers as sent, so a bad one gets
/// Docker's message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StopQuery {
    signal: String,
    t: String,
}

/// `POST /containers/{id}/kill` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct KillQuery {
    signal: String,
}

/// `DELETE /containers/{id}` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeleteQuery {
    #[serde(deserialize_with = "moby_bool")]
    force: bool,
    #[serde(deserialize_with = "moby_bool")]
    v: bool,
    #[serde(deserialize_with = "moby_bool")]
    link: bool,
}

/// `GET /containers/json` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    #[serde(deserialize_with = "moby_bool")]
    all: bool,
    limit: String,
    #[serde(deserialize_with = "moby_bool")]
    size: bool,
    filters: Option<String>,
}

/// `GET /containers/{id}/json` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InspectQuery {
    #[serde(deserialize_with = "moby_bool")]
    size: bool,
}

/// `POST /containers/{id}/resize` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResizeQuery {
    h: String,
    w: String,
}

/// The filters `GET /containers/json` accepts (moby's `acceptedPsFilterTags`).
const LIST_FILTERS: &[&str] = &[
    "ancestor",
    "before",
    "exited",
    "expose",
    "health",
    "id",
    "is-task",
    "isolation",
    "label",
    "name",
    "network",
    "publish",
    "since",
    "status",
    "volume",
];

/// `POST /containers/create`.
async fn container_create<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<CreateQuery>,
    Json(req): Json<ContainerCreateRequest>,
) -> Result<Response, Error> {
    let name = non_empty(&q.name);
    let created = b.container_create(name, req).await?;
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

/// `POST /containers/{id}/start`.
async fn container_start<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    b.container_start(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /containers/{id}/stop`.
async fn container_stop<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Extension(v): Extension<ApiVersion>,
    Query(q): Query<StopQuery>,
) -> Result<StatusCode, Error> {
    b.container_stop(&id, stop_options(&q, v)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /containers/{id}/restart`.
async fn container_restart<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Extension(v): Extension<ApiVersion>,
    Query(q): Query<StopQuery>,
) -> Result<StatusCode, Error> {
    b.container_restart(&id, stop_options(&q, v)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /containers/{id}/kill`: every failure says which container, as moby's router does.
async fn container_kill<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<KillQuery>,
) -> Result<StatusCode, Error> {
    let kill = async {
        let signal = non_empty(&q.signal).map_or(Ok(Signal::KILL), Signal::parse)?;
        b.container_kill(&id, signal).await
    };
    kill.await
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| Error {
            message: format!("Cannot kill container: {id}: {}", e.message),
            ..e
        })
}

/// `DELETE /containers/{id}`.
async fn container_delete<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<StatusCode, Error> {
    let opts = DeleteOptions {
        force: q.force,
        remove_volumes: q.v,
        link: q.link,
    };
    b.container_delete(&id, opts).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /containers/json`.
async fn container_list<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Error> {
    let filters = Filters::parse(q.filters.as_deref())?;
    check_list_filters(&filters)?;
    let limit = match non_empty(&q.limit) {
        Some(l) => l.parse::<i64>().map_err(|_| bad_value("limit", l))?,
        None => 0,
    };
    let opts = ContainerListOptions {
        all: q.all || !filters.get("status").is_empty(),
        limit: usize::try_from(limit).ok().filter(|&l| l > 0),
        size: q.size,
        filters,
    };
    large_json(b.container_list(opts).await?).await
}

/// `GET /containers/{id}/json`.
async fn container_inspect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<InspectQuery>,
) -> Result<Response, Error> {
    large_json(b.container_inspect(&id, q.size).await?).await
}

/// `POST /containers/{id}/resize`.
async fn container_resize<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<ResizeQuery>,
) -> Result<StatusCode, Error> {
    let dimension = |key: &str, raw: &str| raw.parse::<u32>().map_err(|_| bad_value(key, raw));
    let (h, w) = (dimension("h", &q.h)?, dimension("w", &q.w)?);
    b.container_resize(&id, h, w).await?;
    Ok(StatusCode::OK)
}

/// `signal` (honoured from API 1.42, as moby does) and `t`.
fn stop_options(q: &StopQuery, v: ApiVersion) -> Result<StopOptions, Error> {
    let signal = match non_empty(&q.signal) {
        Some(s)
            if v >= (ApiVersion {
                major: 1,
                minor: 42,
            }) =>
        {
            Some(Signal::parse(s)?)
        }
        _ => None,
    };
    let timeout = match non_empty(&q.t) {
        Some(t) => Some(t.parse::<i64>().map_err(|_| bad_value("t", t))?),
        None => None,
    };
    Ok(StopOptions { signal, timeout })
}

/// Checks filter keys and the values the router can judge alone, with moby's messages.
fn check_list_filters(f: &Filters) -> Result<(), Error> {
    f.only(LIST_FILTERS)?;
    let invalid = |key: &str, v: &str| Error::invalid(format!("invalid filter '{key}={v}'"));
    if let Some(v) = f
        .get("status")
        .iter()
        .find(|v| ContainerStatus::parse(v).is_none())
    {
        return Err(invalid("status", v));
    }
    if let Some(v) = f.get("exited").iter().find(|v| v.parse::<i32>().is_err()) {
        return Err(invalid("exited", v));
    }
    if let Some(v) = f
        .get("is-task")
        .iter()
        .find(|v| *v != "true" && *v != "false")
    {
        return Err(invalid("is-task", v));
    }
    let health = ["starting", "healthy", "unhealthy", "none"];
    if let Some(v) = f
        .get("health")
        .iter()
        .find(|v| !health.contains(&v.as_str()))
    {
        return Err(Error::invalid(format!(
            "Unrecognised filter value for health: {v}"
        )));
    }
    Ok(())
}

fn non_empty(v: &str) -> Option<&str> {
    Some(v).filter(|s| !s.is_empty())
}

fn bad_value(key: &str, raw: &str) -> Error {
    Error::invalid(format!("invalid value for {key}: {raw:?}"))
}
