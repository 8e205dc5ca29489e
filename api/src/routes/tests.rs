//! Router tests against a fake backend, without a socket (axum's `examples/testing`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::Error;
use crate::backend::SystemBackend;
use crate::types::{Platform, SystemInfo, SystemVersion};

struct Fake;

impl SystemBackend for Fake {
    fn version(&self) -> SystemVersion {
        SystemVersion {
            platform: Platform {
                name: "fake".into(),
            },
            components: vec![],
            version: "0.0.0".into(),
            api_version: "1.47".into(),
            min_api_version: "1.24".into(),
            git_commit: String::new(),
            go_version: String::new(),
            os: "linux".into(),
            arch: "amd64".into(),
            kernel_version: "6.0".into(),
            build_time: None,
            experimental: false,
        }
    }

    async fn info(&self) -> Result<SystemInfo, Error> {
        Err(Error::system("info is broken in this fake"))
    }
}

async fn call(method: &str, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let resp = super::router(Arc::new(Fake))
        .oneshot(req)
        .await
        .expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn versioned_and_plain_paths_reach_the_same_route() {
    for uri in [
        "/version",
        "/v1.24/version",
        "/v1.47/version",
        "/v1.47/version?x=1",
    ] {
        let (status, headers, body) = call("GET", uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers["Api-Version"], "1.47");
        assert!(body.contains("\"MinAPIVersion\":\"1.24\""), "{body}");
    }
}

#[tokio::test]
async fn ping_has_the_negotiation_headers() {
    let (status, headers, body) = call("HEAD", "/v1.40/_ping").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "");
    assert_eq!(headers["Docker-Experimental"], "false");
    assert_eq!(headers["Ostype"], "linux");
    assert_eq!(headers["Pragma"], "no-cache");
}

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    let cases = [
        (
            "GET",
            "/info",
            StatusCode::INTERNAL_SERVER_ERROR,
            "info is broken in this fake",
        ),
        ("GET", "/nope", StatusCode::NOT_FOUND, "page not found"),
        ("PUT", "/version", StatusCode::NOT_FOUND, "page not found"),
        (
            "GET",
            "/v1.99/version",
            StatusCode::BAD_REQUEST,
            "client version 1.99 is too new. Maximum supported API version is 1.47",
        ),
    ];
    for (method, uri, status, message) in cases {
        let (s, headers, body) = call(method, uri).await;
        assert_eq!(s, status, "{method} {uri}");
        assert_eq!(headers["Content-Type"], "application/json");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["message"], message);
    }
}
