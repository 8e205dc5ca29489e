//! `/volumes` routes against the fake backend: status codes and list filters.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::{Fake, call};
use crate::Error;
use crate::backend::{ListedVolume, VolumeBackend};
use crate::types::{Volume, VolumeCreateOptions};

fn volume(name: &str, labels: &[(&str, &str)]) -> Volume {
    Volume {
        name: name.into(),
        driver: "local".into(),
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        scope: "local".into(),
        ..Volume::default()
    }
}

impl VolumeBackend for Fake {
    async fn volume_create(&self, opts: VolumeCreateOptions) -> Result<Volume, Error> {
        Ok(volume(&opts.name, &[]))
    }

    async fn volume_list(&self) -> Result<Vec<ListedVolume>, Error> {
        Ok(vec![
            ListedVolume {
                volume: volume("data", &[("app", "web")]),
                in_use: true,
            },
            ListedVolume {
                volume: volume("cache", &[]),
                in_use: false,
            },
        ])
    }

    async fn volume_inspect(&self, name: &str) -> Result<Volume, Error> {
        Err(Error::not_found(format!("get {name}: no such volume")))
    }

    async fn volume_delete(&self, _: &str, _: bool) -> Result<(), Error> {
        Ok(())
    }
}

fn names(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).expect("json");
    v["Volumes"]
        .as_array()
        .expect("Volumes")
        .iter()
        .map(|v| v["Name"].as_str().expect("Name").to_owned())
        .collect()
}

#[tokio::test]
async fn volume_routes_answer_as_dockerd() {
    let req = Request::post("/v1.47/volumes/create")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"Name":"x"}"#))
        .expect("request");
    let resp = crate::router(Arc::new(Fake::default()))
        .oneshot(req)
        .await
        .expect("infallible");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (status, _, body) = call("GET", "/volumes/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"message":"get nope: no such volume"}"#);
    let (status, _, _) = call("DELETE", "/volumes/x?force=1").await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (_, _, body) = call("GET", "/volumes").await;
    assert_eq!(names(&body), ["data", "cache"]);
    let (_, _, body) = call(
        "GET",
        "/volumes?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D",
    )
    .await;
    assert_eq!(names(&body), ["cache"]);
    let (_, _, body) = call(
        "GET",
        "/volumes?filters=%7B%22label%22%3A%5B%22app%3Dweb%22%5D%7D",
    )
    .await;
    assert_eq!(names(&body), ["data"]);
    let (_, _, body) = call("GET", "/volumes?filters=%7B%22name%22%3A%5B%22ach%22%5D%7D").await;
    assert_eq!(names(&body), ["cache"]);
    let (status, _, body) = call(
        "GET",
        "/volumes?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, r#"{"message":"invalid filter 'dangling=maybe'"}"#);
}
