//! `/exec` routes against the fake backend: what reaches the backend, and the answers.

use std::sync::Mutex;

use futures::StreamExt;

use super::{Fake, call};
use crate::Error;
use crate::backend::{Attachment, ExecBackend, ExecSession, ExecStartOptions, StdFrame, StdStream};
use crate::types::{ExecCreateRequest, ExecInspectResponse, ProcessConfig};
use axum::http::StatusCode;
use bytes::Bytes;

/// What the exec routes passed on.
#[derive(Default)]
pub(in crate::routes::tests) struct FakeExecs {
    calls: Mutex<Vec<String>>,
}

impl FakeExecs {
    fn record(&self, call: String) {
        self.calls.lock().expect("lock").push(call);
    }
}

/// `nope` does not exist; `gone` is an exec whose container stopped.
fn known(id: &str) -> Result<(), Error> {
    match id {
        "nope" => Err(Error::not_found(format!("No such exec instance: {id}"))),
        "gone" => Err(Error::conflict("Container abc is not running")),
        _ => Ok(()),
    }
}

impl ExecBackend for Fake {
    async fn exec_create(&self, id: &str, req: ExecCreateRequest) -> Result<String, Error> {
        self.exec.record(format!(
            "create {id} {:?} tty={} env={:?} user={} wd={}",
            req.cmd.unwrap_or_default(),
            req.tty,
            req.env.unwrap_or_default(),
            req.user,
            req.working_dir
        ));
        Ok("e".repeat(64))
    }

    async fn exec_start(
        &self,
        id: &str,
        opts: ExecStartOptions,
    ) -> Result<Option<ExecSession>, Error> {
        known(id)?;
        self.exec.record(format!(
            "start {id} detach={} size={:?}",
            opts.detach, opts.console_size
        ));
        if opts.detach {
            return Ok(None);
        }
        let frame = StdFrame {
            stream: StdStream::Stdout,
            data: Bytes::from_static(b"out\n"),
        };
        Ok(Some(ExecSession {
            attachment: Attachment {
                tty: false,
                output: futures::stream::iter([Ok(frame)]).boxed(),
                input: None,
            },
            detach_keys: String::new(),
        }))
    }

    async fn exec_detached(&self, id: &str) {
        self.exec.record(format!("detached {id}"));
    }

    async fn exec_resize(&self, id: &str, height: u32, width: u32) -> Result<(), Error> {
        known(id)?;
        self.exec.record(format!("resize {id} {height}x{width}"));
        Ok(())
    }

    async fn exec_inspect(&self, id: &str) -> Result<ExecInspectResponse, Error> {
        known(id)?;
        Ok(ExecInspectResponse {
            id: id.into(),
            process_config: ProcessConfig {
                entrypoint: "sh".into(),
                ..ProcessConfig::default()
            },
            ..ExecInspectResponse::default()
        })
    }
}

async fn ask(method: &str, uri: &str, body: &'static str) -> (StatusCode, String, Vec<String>) {
    let fake = std::sync::Arc::new(Fake::default());
    let (status, _, body) = super::call_on(&fake, method, uri, body).await;
    let calls = std::mem::take(&mut *fake.exec.calls.lock().expect("lock"));
    (status, body, calls)
}

#[tokio::test]
async fn create_parses_the_body_and_refuses_no_command() {
    let (status, body, calls) = ask(
        "POST",
        "/v1.47/containers/c1/exec",
        r#"{"Cmd":["sh","-c","exit 7"],"Tty":true,"Env":["A=1"],"User":"1:2","WorkingDir":"/tmp","Unknown":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, format!(r#"{{"Id":"{}"}}"#, "e".repeat(64)));
    assert_eq!(
        calls,
        [r#"create c1 ["sh", "-c", "exit 7"] tty=true env=["A=1"] user=1:2 wd=/tmp"#]
    );
    for empty in [r#"{"Cmd":[]}"#, r#"{"Cmd":null}"#, "{}"] {
        let (status, body, calls) = ask("POST", "/containers/c1/exec", empty).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{empty}");
        assert_eq!(body, r#"{"message":"No exec command specified"}"#);
        assert!(calls.is_empty());
    }
    let (status, body, _) = ask(
        "POST",
        "/containers/c1/exec",
        r#"{"Cmd":["true"],"DetachKeys":"ctrl-"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        r#"{"message":"Invalid escape keys (ctrl-) provided"}"#
    );
}

#[tokio::test]
async fn start_detached_attached_and_missing() {
    let (status, body, calls) = ask(
        "POST",
        "/v1.47/exec/e1/start",
        r#"{"Detach":true,"Tty":true,"ConsoleSize":[24,80]}"#,
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert_eq!(calls, ["start e1 detach=true size=Some([24, 80])"]);
    // No console size without a tty, nor before API 1.42; an empty body is no options.
    let (_, _, calls) = ask(
        "POST",
        "/v1.41/exec/e1/start",
        r#"{"Detach":true,"Tty":true,"ConsoleSize":[24,80]}"#,
    )
    .await;
    assert_eq!(calls, ["start e1 detach=true size=None"]);
    let (status, body, calls) = ask("POST", "/exec/e1/start", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "\u{1}\0\0\0\0\0\0\u{4}out\n");
    assert_eq!(calls, ["start e1 detach=false size=None"]);
    let (status, body, _) = ask("POST", "/exec/nope/start", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"message":"No such exec instance: nope"}"#);
    let (status, _, _) = ask("POST", "/exec/gone/start", "{}").await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn resize_and_inspect() {
    let (status, _, calls) = ask("POST", "/exec/e1/resize?h=24&w=80", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calls, ["resize e1 24x80"]);
    let (status, body, _) = ask("POST", "/exec/e1/resize?h=x&w=80", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, r#"{"message":"invalid resize height \"x\""}"#);
    let (status, body) = {
        let (s, _, b) = call("GET", "/exec/e1/json").await;
        (s, b)
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        r#"{"ID":"e1","Running":false,"ExitCode":null,"ProcessConfig":{"tty":false,"entrypoint":"sh","arguments":[],"privileged":false},"OpenStdin":false,"OpenStderr":false,"OpenStdout":false,"CanRemove":false,"ContainerID":"","DetachKeys":"","Pid":0}"#
    );
}
