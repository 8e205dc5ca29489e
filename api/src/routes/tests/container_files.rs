//! `/containers/{id}/archive`, `/export`, `/changes` and `/commit` against the fake backend.

use axum::http::StatusCode;
use base64::Engine;
use futures::StreamExt;

use super::{Fake, call, call_with};
use crate::Error;
use crate::backend::{
    ByteStream, CommitOptions, ContainerFilesBackend, ContainerPathStat, ExtractOptions,
};
use crate::types::{FilesystemChange, IdResponse};

fn stat(path: &str) -> ContainerPathStat {
    ContainerPathStat {
        name: path.rsplit('/').next().unwrap_or("").into(),
        size: 3,
        mode: 0o644,
        mtime: jiff::Timestamp::from_second(1).expect("a time"),
        link_target: String::new(),
    }
}

/// Knows only `/etc/x` in container `c`; reports what extract and commit were given.
impl ContainerFilesBackend for Fake {
    async fn container_stat_path(&self, id: &str, path: &str) -> Result<ContainerPathStat, Error> {
        match (id, path) {
            ("c", "/etc/x") => Ok(stat(path)),
            _ => Err(Error::not_found(format!(
                "Could not find the file {path} in container {id}"
            ))),
        }
    }

    async fn container_archive(
        &self,
        id: &str,
        path: &str,
    ) -> Result<(ContainerPathStat, ByteStream), Error> {
        let s = self.container_stat_path(id, path).await?;
        let body: ByteStream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from("tar"))]));
        Ok((s, body))
    }

    async fn container_extract(
        &self,
        id: &str,
        opts: ExtractOptions,
        mut body: ByteStream,
    ) -> Result<(), Error> {
        let mut got = Vec::new();
        while let Some(chunk) = body.next().await {
            got.extend_from_slice(&chunk.map_err(|e| Error::system(e.to_string()))?);
        }
        Err(Error::invalid(format!(
            "{id} {} {} {} {}",
            opts.path,
            opts.no_overwrite_dir_non_dir,
            opts.copy_uid_gid,
            String::from_utf8_lossy(&got)
        )))
    }

    async fn container_export(&self, _id: &str) -> Result<ByteStream, Error> {
        Ok(Box::pin(futures::stream::iter([Ok(bytes::Bytes::from(
            "all",
        ))])))
    }

    async fn container_changes(&self, _id: &str) -> Result<Vec<FilesystemChange>, Error> {
        Ok(vec![FilesystemChange {
            path: "/tmp".into(),
            kind: 0,
        }])
    }

    async fn container_commit(&self, o: CommitOptions) -> Result<IdResponse, Error> {
        Ok(IdResponse {
            id: format!(
                "{} {}:{} {} {} pause={} {:?} cmd={:?}",
                o.container,
                o.repo,
                o.tag,
                o.comment,
                o.author,
                o.pause,
                o.changes,
                o.config.map(|c| c.cmd)
            ),
        })
    }
}

#[tokio::test]
async fn archive_stat_is_a_base64_header() {
    let (status, headers, body) = call("HEAD", "/v1.47/containers/c/archive?path=/etc/x").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "");
    let raw = headers["X-Docker-Container-Path-Stat"]
        .to_str()
        .expect("ascii");
    let json = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .expect("base64");
    assert_eq!(
        String::from_utf8(json).expect("utf-8"),
        r#"{"name":"x","size":3,"mode":420,"mtime":"1970-01-01T00:00:01Z","linkTarget":""}"#
    );
    let (status, headers, body) = call("GET", "/containers/c/archive?path=/etc/x").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-tar");
    assert!(headers.contains_key("X-Docker-Container-Path-Stat"));
    assert_eq!(body, "tar");
    let (status, _, body) = call("GET", "/containers/c/archive?path=/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("Could not find the file /nope in container c"),
        "{body}"
    );
    let (status, _, body) = call("GET", "/containers/c/archive").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("bad parameter: pathcannot be empty"),
        "{body}"
    );
}

#[tokio::test]
async fn extract_passes_the_options_and_the_body() {
    let (status, _, body) = call_with(
        "PUT",
        "/containers/c/archive?path=/tmp&noOverwriteDirNonDir=true&copyUIDGID=1",
        "tarbytes",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("c /tmp true true tarbytes"), "{body}");
}

#[tokio::test]
async fn export_changes_and_commit() {
    let (status, headers, body) = call("GET", "/containers/c/export").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-tar");
    assert_eq!(body, "all");
    let (status, _, body) = call("GET", "/containers/c/changes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"[{"Path":"/tmp","Kind":0}]"#);
    let uri =
        "/v1.47/commit?container=c&repo=r&tag=t&comment=m&author=a&changes=CMD+x&changes=ENV+A%3Db";
    let (status, _, body) = call_with("POST", uri, r#"{"Cmd":["sh"]}"#).await;
    assert_eq!(status, StatusCode::CREATED);
    let id: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        id["Id"],
        r#"c r:t m a pause=true ["CMD x", "ENV A=b"] cmd=Some(Some(["sh"]))"#
    );
    let (_, _, body) = call_with("POST", "/commit?container=c&pause=0", "null").await;
    assert!(body.contains("pause=false [] cmd=None"), "{body}");
}

#[tokio::test]
async fn archive_is_gzipped_when_the_client_asks() {
    use std::io::Read;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    for (accept, encoding) in [
        (Some("gzip"), Some("gzip")),
        (Some("gzip, deflate"), Some("gzip")),
        (Some("deflate"), Some("deflate")),
        (Some("gzip;q=0"), None),
        (None, None),
    ] {
        let mut req = Request::builder()
            .method("GET")
            .uri("/containers/c/archive?path=/etc/x");
        if let Some(a) = accept {
            req = req.header("accept-encoding", a);
        }
        let resp = crate::routes::router(Arc::new(Fake::default()))
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        let got = resp
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().expect("ascii").to_owned());
        assert_eq!(got.as_deref(), encoding, "{accept:?}");
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("body");
        let mut tar = String::new();
        let mut reader: Box<dyn Read> = match encoding {
            Some("gzip") => Box::new(flate2::read::GzDecoder::new(&body[..])),
            Some(_) => Box::new(flate2::read::DeflateDecoder::new(&body[..])),
            None => Box::new(&body[..]),
        };
        reader.read_to_string(&mut tar).expect("inflate");
        assert_eq!(tar, "tar", "{accept:?}");
    }
}
