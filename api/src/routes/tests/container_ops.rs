//! pause, unpause, rename, top, stats and update: what the router passes on and how it answers.

use std::sync::Arc;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{Fake, call};
use crate::Error;
use crate::backend::{ContainerOpsBackend, StatsOptions, StatsStream};
use crate::stats::ContainerStats;
use crate::types::{ContainerTopResponse, ContainerUpdateRequest, ContainerUpdateResponse};

/// Knows only the container `c`; echoes what it was given.
impl ContainerOpsBackend for Fake {
    async fn container_pause(&self, id: &str) -> Result<(), Error> {
        known(id)
    }

    async fn container_unpause(&self, id: &str) -> Result<(), Error> {
        known(id)
    }

    async fn container_rename(&self, id: &str, name: &str) -> Result<(), Error> {
        known(id)?;
        match name {
            "" => Err(Error::invalid("Neither old nor new names may be empty")),
            _ => Ok(()),
        }
    }

    async fn container_top(&self, id: &str, ps_args: &str) -> Result<ContainerTopResponse, Error> {
        known(id)?;
        Ok(ContainerTopResponse {
            titles: vec!["ARGS".into()],
            processes: vec![vec![ps_args.into()]],
        })
    }

    async fn container_stats(&self, id: &str, opts: StatsOptions) -> Result<StatsStream, Error> {
        known(id)?;
        let n = if opts.stream { 3 } else { 1 };
        let sample = ContainerStats {
            name: format!("stream={} one-shot={}", opts.stream, opts.one_shot),
            ..ContainerStats::default()
        };
        Ok(Box::pin(futures::stream::iter(vec![sample; n])))
    }

    async fn container_update(
        &self,
        id: &str,
        req: ContainerUpdateRequest,
    ) -> Result<ContainerUpdateResponse, Error> {
        known(id)?;
        Ok(ContainerUpdateResponse {
            warnings: vec![format!(
                "memory={} pids={:?} restart={}",
                req.memory, req.pids_limit, req.restart_policy.name
            )],
        })
    }
}

fn known(id: &str) -> Result<(), Error> {
    match id {
        "c" => Ok(()),
        other => Err(Error::not_found(format!("No such container: {other}"))),
    }
}

#[tokio::test]
async fn pause_unpause_and_rename_answer_204() {
    for uri in [
        "/containers/c/pause",
        "/containers/c/unpause",
        "/containers/c/rename?name=new",
    ] {
        let (status, _, body) = call("POST", uri).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NO_CONTENT, ""),
            "{uri}"
        );
    }
    let (status, _, body) = call("POST", "/containers/x/pause").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"message":"No such container: x"}"#);
    let (status, _, _) = call("POST", "/containers/c/rename").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn top_passes_ps_args() {
    let (status, _, body) = call("GET", "/v1.47/containers/c/top?ps_args=aux").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"Titles":["ARGS"],"Processes":[["aux"]]}"#);
}

#[tokio::test]
async fn stats_stream_by_default_and_one_shot_from_1_41() {
    let (status, headers, body) = call("GET", "/containers/c/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(CONTENT_TYPE).is_none());
    assert_eq!(body.lines().count(), 3);
    assert!(body.contains(r#""name":"stream=true one-shot=false""#));

    let (_, headers, body) = call("GET", "/v1.47/containers/c/stats?stream=0&one-shot=1").await;
    assert_eq!(headers[CONTENT_TYPE], "application/json");
    assert_eq!(body.lines().count(), 1);
    assert!(body.contains(r#""name":"stream=false one-shot=true""#));

    let (_, _, body) = call("GET", "/v1.40/containers/c/stats?stream=false&one-shot=1").await;
    assert!(body.contains(r#""name":"stream=false one-shot=false""#));
}

#[tokio::test]
async fn update_reads_the_body_and_pids_limit_as_moby() {
    let body = r#"{"Memory":67108864,"PidsLimit":-1,"RestartPolicy":{"Name":"always"}}"#;
    let (status, answer) = update("/containers/c/update", body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        r#"{"Warnings":["memory=67108864 pids=Some(0) restart=always"]}"#
    );
    let (_, answer) = update("/v1.39/containers/c/update", body).await;
    assert!(answer.contains("pids=None"), "{answer}");
}

async fn update(uri: &str, body: &'static str) -> (StatusCode, String) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    let resp = crate::router(Arc::new(Fake::default()))
        .oneshot(req)
        .await
        .expect("infallible");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}
