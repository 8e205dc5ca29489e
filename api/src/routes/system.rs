//! `/_ping`, `/version`, `/info`, `/auth`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::extract::Json as JsonBody;
use crate::types::{AuthConfig, AuthResponse, SystemInfo, SystemVersion};
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/_ping", get(system_ping).head(system_ping))
        .route("/version", get(system_version::<B>))
        .route("/info", get(system_info::<B>))
        .route("/auth", post(system_auth::<B>))
}

/// `GET|HEAD /_ping`: `OK`, never cached, with the headers clients negotiate from.
async fn system_ping() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, "no-cache, no-store, must-revalidate"),
            (PRAGMA, "no-cache"),
        ],
        [("Docker-Experimental", "false"), ("Swarm", "inactive")],
        "OK",
    )
}

/// `GET /version`.
async fn system_version<B: Backend>(State(b): State<Arc<B>>) -> Json<SystemVersion> {
    Json(b.version())
}

/// `GET /info`.
async fn system_info<B: Backend>(State(b): State<Arc<B>>) -> Result<Json<SystemInfo>, Error> {
    b.info().await.map(Json)
}

/// `POST /auth`: `docker login` checks the credentials against the registry.
async fn system_auth<B: Backend>(
    State(b): State<Arc<B>>,
    JsonBody(auth): JsonBody<AuthConfig>,
) -> Result<Json<AuthResponse>, Error> {
    b.login(auth).await.map(Json)
}
