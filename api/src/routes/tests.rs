//! Router tests against a fake backend, without a socket (axum's `examples/testing`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::Error;
use crate::backend::{
    ByteStream, ImageBackend, ImageListOptions, ImportOptions, MessageStream, NetworkBackend,
    SystemBackend,
};
use crate::filters::Filters;
use crate::types::{
    HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImageSummary, JsonMessage,
};
use crate::types::{Network, Platform, SystemInfo, SystemVersion};
use futures::StreamExt;

mod build;
mod container;
mod container_files;
mod container_ops;
mod distribution;
mod events;
mod exec;
mod prune;
mod volume;

/// A backend whose answers the tests choose; `ctr` records what the container routes passed.
#[derive(Default)]
struct Fake {
    ctr: container::FakeContainers,
    reg: distribution::FakeRegistry,
    exec: exec::FakeExecs,
}

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

/// A network called `name`.
fn network(name: &str) -> Network {
    Network {
        name: name.into(),
        id: "6caeaa24".repeat(8),
        ..Network::default()
    }
}

/// What the router passed on, as names (`key=value` for each filter value).
fn passed(filters: &Filters, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .flat_map(|k| filters.get(k).iter().map(move |v| format!("{k}={v}")))
        .collect()
}

/// Lists one network per filter value it was given; knows only `bridge`.
impl NetworkBackend for Fake {
    async fn network_list(&self, filters: Filters) -> Result<Vec<Network>, Error> {
        let keys = ["name", "id", "driver", "type", "scope", "label", "dangling"];
        Ok(passed(&filters, &keys).iter().map(|n| network(n)).collect())
    }

    async fn network_inspect(&self, term: &str) -> Result<Network, Error> {
        match term {
            "bridge" => Ok(network("bridge")),
            _ => Err(Error::not_found(format!("network {term} not found"))),
        }
    }

    async fn network_create(
        &self,
        req: crate::types::NetworkCreateRequest,
    ) -> Result<crate::types::NetworkCreateResponse, Error> {
        Ok(crate::types::NetworkCreateResponse {
            id: req.name,
            warning: String::new(),
        })
    }

    async fn network_delete(&self, term: &str) -> Result<(), Error> {
        self.network_inspect(term).await.map(drop)
    }

    async fn network_connect(
        &self,
        term: &str,
        _: crate::types::NetworkConnectRequest,
    ) -> Result<(), Error> {
        self.network_inspect(term).await.map(drop)
    }

    async fn network_disconnect(
        &self,
        term: &str,
        _: crate::types::NetworkDisconnectRequest,
    ) -> Result<(), Error> {
        self.network_inspect(term).await.map(drop)
    }
}

impl ImageBackend for Fake {
    async fn image_list(&self, _: ImageListOptions) -> Result<Vec<ImageSummary>, Error> {
        Ok(vec![])
    }

    async fn image_inspect(&self, name: &str) -> Result<ImageInspect, Error> {
        Err(Error::not_found(format!("No such image: {name}")))
    }

    async fn image_history(&self, name: &str) -> Result<Vec<HistoryResponseItem>, Error> {
        Err(Error::not_found(format!("No such image: {name}")))
    }

    async fn image_tag(&self, name: &str, repo: &str, tag: Option<&str>) -> Result<(), Error> {
        if name == "localhost:5000/team/app:1" && repo == "x" && tag == Some("2") {
            Ok(())
        } else {
            Err(Error::invalid(format!("unexpected {name} {repo} {tag:?}")))
        }
    }

    async fn image_delete(
        &self,
        name: &str,
        force: bool,
        _: bool,
    ) -> Result<Vec<ImageDeleteResponseItem>, Error> {
        assert!(force);
        Ok(vec![
            ImageDeleteResponseItem::Untagged(name.to_owned()),
            ImageDeleteResponseItem::Deleted("sha256:abc".into()),
        ])
    }

    async fn image_load(&self, body: ByteStream, _: bool) -> Result<MessageStream, Error> {
        let n: usize = body
            .map(|c| c.map_or(0, |b| b.len()))
            .collect::<Vec<_>>()
            .await
            .iter()
            .sum();
        Ok(Box::pin(futures::stream::iter([JsonMessage::stream(
            format!("read {n} bytes\n"),
        )])))
    }

    async fn image_save(&self, names: Vec<String>) -> Result<ByteStream, Error> {
        let text = names.join(",");
        Ok(Box::pin(futures::stream::iter([Ok(bytes::Bytes::from(
            text,
        ))])))
    }

    async fn image_import(&self, _: ByteStream, o: ImportOptions) -> Result<MessageStream, Error> {
        Ok(Box::pin(futures::stream::iter([JsonMessage::status(
            o.changes.join("|"),
        )])))
    }
}

async fn call(method: &str, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    call_with(method, uri, "").await
}

async fn call_with(
    method: &str,
    uri: &str,
    body: &'static str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    call_on(&Arc::new(Fake::default()), method, uri, body).await
}

/// [`call_with`] on a fake the test keeps, to look at what it was asked.
async fn call_on(
    fake: &Arc<Fake>,
    method: &str,
    uri: &str,
    body: &'static str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let resp = super::router(Arc::clone(fake))
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
    // A path parameter that is not UTF-8 once decoded: axum's rejection, in Docker's shape.
    for uri in [
        "/containers/%FF%FE/json",
        "/v1.47/images/%C3%28/json",
        "/networks/%FF",
        "/volumes/%FF",
    ] {
        let (s, headers, body) = call("GET", uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(headers["Content-Type"], "application/json", "{uri}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{uri}"
        );
    }
    for (method, uri, status, message) in cases {
        let (s, headers, body) = call(method, uri).await;
        assert_eq!(s, status, "{method} {uri}");
        assert_eq!(headers["Content-Type"], "application/json");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["message"], message);
    }
}

fn names(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).expect("json");
    v.as_array()
        .expect("a list")
        .iter()
        .map(|n| n["Name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn network_routes_pass_filters_and_terms_on() {
    let (s, _, body) = call("GET", "/networks").await;
    assert_eq!(s, StatusCode::OK);
    assert!(names(&body).is_empty());
    let (_, _, body) = call(
        "GET",
        "/networks?filters=%7B%22driver%22%3A%5B%22null%22%5D%2C%22name%22%3A%5B%22o%22%5D%7D",
    )
    .await;
    assert_eq!(names(&body), ["name=o", "driver=null"]);
    // The legacy `map[string]map[string]bool` encoding.
    let (_, _, body) = call(
        "GET",
        "/networks?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D",
    )
    .await;
    assert_eq!(names(&body), ["dangling=true"]);
    let (s, _, body) = call(
        "GET",
        "/networks?filters=%7B%22colour%22%3A%5B%22x%22%5D%7D",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body, r#"{"message":"invalid filter 'colour'"}"#);

    let (s, _, body) = call("GET", "/v1.47/networks/bridge").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("\"Name\":\"bridge\""), "{body}");
    let (s, _, body) = call("GET", "/networks/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"message":"network nope not found"}"#);
}

#[tokio::test]
async fn image_routes_take_names_with_slashes() {
    let (s, _, body) = call("GET", "/v1.47/images/localhost:5000/team/app:1/json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        body.contains("No such image: localhost:5000/team/app:1"),
        "{body}"
    );
    let (s, _, _) = call("POST", "/images/localhost:5000/team/app:1/tag?repo=x&tag=2").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, body) = call("DELETE", "/images/team/app:1?force=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body,
        r#"[{"Untagged":"team/app:1"},{"Deleted":"sha256:abc"}]"#
    );
    let (s, _, _) = call("GET", "/images/json").await;
    assert_eq!(s, StatusCode::OK);
    let (s, headers, body) = call("GET", "/images/get?names=a&names=b%2Fc").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["Content-Type"], "application/x-tar");
    assert_eq!(body, "a,b/c");
}

#[tokio::test]
async fn load_and_import_stream_json_lines() {
    let (s, headers, body) = call_with("POST", "/images/load?quiet=1", "12345").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["Content-Type"], "application/json");
    assert_eq!(body, "{\"stream\":\"read 5 bytes\\n\"}\n");
    let uri = "/images/create?fromSrc=-&changes=CMD%20%5B%22sh%22%5D&changes=ENV%20A%3Db";
    let (_, _, body) = call_with("POST", uri, "x").await;
    assert_eq!(body, "{\"status\":\"CMD [\\\"sh\\\"]|ENV A=b\"}\n");
}
