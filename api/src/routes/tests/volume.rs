//! `/volumes` routes against the fake backend: status codes, and what reaches the backend.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::{Fake, call, passed};
use crate::Error;
use crate::backend::VolumeBackend;
use crate::filters::Filters;
use crate::types::{Volume, VolumeCreateOptions};

fn volume(name: &str) -> Volume {
    Volume {
        name: name.into(),
        driver: "local".into(),
        scope: "local".into(),
        ..Volume::default()
    }
}

/// Lists one volume per filter value it was given; `force` deletes only `x`.
impl VolumeBackend for Fake {
    async fn volume_create(&self, opts: VolumeCreateOptions) -> Result<Volume, Error> {
        Ok(volume(&opts.name))
    }

    async fn volume_list(&self, filters: Filters) -> Result<Vec<Volume>, Error> {
        let keys = ["name", "driver", "label", "dangling"];
        Ok(passed(&filters, &keys).iter().map(|n| volume(n)).collect())
    }

    async fn volume_inspect(&self, name: &str) -> Result<Volume, Error> {
        Err(Error::not_found(format!("get {name}: no such volume")))
    }

    async fn volume_delete(&self, name: &str, force: bool) -> Result<(), Error> {
        match (name, force) {
            ("x", true) => Ok(()),
            _ => Err(Error::conflict(format!("remove {name}: volume is in use"))),
        }
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
    let (status, _, _) = call("DELETE", "/volumes/x?force=0").await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, _, body) = call("GET", "/volumes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"Volumes":[],"Warnings":null}"#);
    let (_, _, body) = call(
        "GET",
        "/volumes?filters=%7B%22dangling%22%3A%5B%22true%22%5D%2C%22label%22%3A%5B%22app%3Dweb%22%5D%7D",
    )
    .await;
    assert_eq!(names(&body), ["label=app=web", "dangling=true"]);
    let (status, _, body) = call("GET", "/volumes?filters=%7B%22id%22%3A%5B%22x%22%5D%7D").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, r#"{"message":"invalid filter 'id'"}"#);
}
