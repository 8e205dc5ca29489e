//! The registry routes: pull, push, login and distribution inspect pass what the client sent
//! (query, `X-Registry-Auth`, body) to the backend and answer in Docker's shapes.

use std::sync::Mutex;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::Fake;
use crate::Error;
use crate::backend::{DistributionBackend, MessageStream, PullOptions, PushOptions};
use crate::types::{
    AuthConfig, AuthResponse, DistributionInspect, JsonMessage, OciDescriptor, OciPlatform,
};

/// What the registry routes passed to the backend.
#[derive(Default)]
pub(super) struct FakeRegistry {
    pulled: Mutex<Option<PullOptions>>,
    pushed: Mutex<Option<PushOptions>>,
}

impl DistributionBackend for Fake {
    async fn image_pull(&self, opts: PullOptions) -> Result<MessageStream, Error> {
        if opts.image == "nosuch" {
            return Err(Error::not_found(
                "pull access denied for nosuch, repository does not exist or may require \
                 'docker login'",
            ));
        }
        *self.reg.pulled.lock().expect("lock") = Some(opts);
        Ok(Box::pin(futures::stream::iter([
            JsonMessage::status("Pulling from library/busybox"),
            JsonMessage::error("unexpected EOF"),
        ])))
    }

    async fn image_push(&self, opts: PushOptions) -> Result<MessageStream, Error> {
        *self.reg.pushed.lock().expect("lock") = Some(opts);
        Ok(Box::pin(futures::stream::iter([JsonMessage::status(
            "The push refers to repository [127.0.0.1:5000/app]",
        )])))
    }

    async fn login(&self, auth: AuthConfig) -> Result<AuthResponse, Error> {
        if auth.password == "right" {
            Ok(AuthResponse {
                status: "Login Succeeded".into(),
                identity_token: String::new(),
            })
        } else {
            Err(Error::new(
                crate::ErrorKind::Unauthorized,
                "login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized",
            ))
        }
    }

    async fn distribution_inspect(
        &self,
        name: &str,
        auth: Option<AuthConfig>,
    ) -> Result<DistributionInspect, Error> {
        assert_eq!(auth.map(|a| a.username), Some("u".to_owned()));
        Ok(DistributionInspect {
            descriptor: OciDescriptor {
                media_type: "application/vnd.oci.image.index.v1+json".into(),
                digest: format!("sha256:{}", "a".repeat(64)),
                size: 10 + name.len() as i64,
            },
            platforms: vec![OciPlatform {
                architecture: "amd64".into(),
                os: "linux".into(),
                ..OciPlatform::default()
            }],
        })
    }
}

/// base64url of `{"username":"u","password":"p"}`, as the CLI sends it.
const AUTH: &str = "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAifQ==";

async fn send(fake: &std::sync::Arc<Fake>, req: Request<Body>) -> (StatusCode, String) {
    let resp = crate::router(fake.clone())
        .oneshot(req)
        .await
        .expect("answer");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn post(uri: &str) -> axum::http::request::Builder {
    Request::builder().method("POST").uri(uri)
}

#[tokio::test]
async fn pull_passes_image_tag_platform_and_credentials() {
    let fake = std::sync::Arc::new(Fake::default());
    let req = post("/v1.47/images/create?fromImage=127.0.0.1%3A5000%2Fteam%2Fapp&tag=sha256%3Aabc&platform=linux%2Farm64")
        .header("X-Registry-Auth", AUTH)
        .body(Body::empty())
        .expect("request");
    let (status, body) = send(&fake, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        "{\"status\":\"Pulling from library/busybox\"}\n\
         {\"errorDetail\":{\"message\":\"unexpected EOF\"},\"error\":\"unexpected EOF\"}\n"
    );
    let got = fake
        .reg
        .pulled
        .lock()
        .expect("lock")
        .take()
        .expect("pulled");
    assert_eq!(got.image, "127.0.0.1:5000/team/app");
    assert_eq!(got.tag.as_deref(), Some("sha256:abc"));
    assert_eq!(got.platform.as_deref(), Some("linux/arm64"));
    let auth = got.auth.expect("credentials");
    assert_eq!((auth.username.as_str(), auth.password.as_str()), ("u", "p"));

    // No tag (`docker pull -a`), a header that does not decode: no credentials.
    let req = post("/images/create?fromImage=busybox")
        .header("X-Registry-Auth", "!!")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&fake, req).await.0, StatusCode::OK);
    let got = fake
        .reg
        .pulled
        .lock()
        .expect("lock")
        .take()
        .expect("pulled");
    assert_eq!((got.tag, got.auth), (None, None));

    // A failure before the first line is the answer's status.
    let req = post("/images/create?fromImage=nosuch&tag=latest")
        .body(Body::empty())
        .expect("request");
    let (status, body) = send(&fake, req).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("repository does not exist"), "{body}");
}

#[tokio::test]
async fn push_login_and_distribution_inspect() {
    let fake = std::sync::Arc::new(Fake::default());
    let req = post("/images/127.0.0.1:5000/app/push?tag=1")
        .header("X-Registry-Auth", AUTH)
        .body(Body::empty())
        .expect("request");
    let (status, body) = send(&fake, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("The push refers to repository"), "{body}");
    let got = fake
        .reg
        .pushed
        .lock()
        .expect("lock")
        .take()
        .expect("pushed");
    assert_eq!(
        (got.name.as_str(), got.tag.as_deref()),
        ("127.0.0.1:5000/app", Some("1"))
    );
    assert_eq!(got.auth.map(|a| a.username), Some("u".to_owned()));

    let login = |password: &str| {
        post("/auth")
            .header("Content-Type", "application/json")
            .body(Body::from(format!(
                r#"{{"username":"u","password":"{password}","serveraddress":"127.0.0.1:5000"}}"#
            )))
            .expect("request")
    };
    let (status, body) = send(&fake, login("right")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"Status":"Login Succeeded"}"#);
    let (status, body) = send(&fake, login("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("401 Unauthorized"), "{body}");

    let req = Request::builder()
        .uri("/v1.47/distribution/127.0.0.1:5000/team/app:1/json")
        .header("X-Registry-Auth", AUTH)
        .body(Body::empty())
        .expect("request");
    let (status, body) = send(&fake, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        v["Descriptor"]["size"],
        10 + "127.0.0.1:5000/team/app:1".len()
    );
    assert_eq!(v["Platforms"][0]["os"], "linux");
    assert!(v["Platforms"][0].get("variant").is_none());
}
