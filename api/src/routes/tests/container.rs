//! The container routes against a fake backend that records what it was asked, with
//! `oneshot` and no socket. The attach and wait paths over a real HTTP/1 connection are in
//! `attach`.

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use bytes::Bytes;
use futures::StreamExt;
use futures::channel::{mpsc, oneshot};
use http_body_util::BodyExt;
use tokio::io::AsyncWrite;
use tower::ServiceExt;

use super::Fake;
use crate::Error;
use crate::backend::{
    AttachOptions, Attachment, ContainerBackend, ContainerListOptions, ContainerLogs,
    DeleteOptions, LogEntry, LogsOptions, StdFrame, StdStream, StopOptions, WaitCondition,
    WaitFuture,
};
use crate::signal::Signal;
use crate::types::{
    ContainerConfig, ContainerCreateRequest, ContainerCreateResponse, ContainerInspect,
    ContainerState, ContainerStatus, ContainerSummary, ContainerWaitResponse, EndpointSettings,
    HostConfig, LogConfig, NetworkSettings, WaitExitError,
};

mod attach;

/// What the client wrote to the container's stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Data(Vec<u8>),
    Eof,
}

/// The fake's container state: what it was asked, and the channels the tests drive.
#[derive(Default)]
pub(in crate::routes::tests) struct FakeContainers {
    /// One line per call that changes something, e.g. `kill abc SIGTERM`.
    calls: Mutex<Vec<String>>,
    /// The last create's name and body.
    created: Mutex<Option<(Option<String>, ContainerCreateRequest)>>,
    /// Completes the pending wait with an exit code.
    exit: Mutex<Option<oneshot::Sender<i64>>>,
    /// The next attachment's output, fed by the test.
    output: Mutex<Option<mpsc::UnboundedReceiver<StdFrame>>>,
    /// Where the next attachment's stdin goes.
    input: Mutex<Option<mpsc::UnboundedSender<Input>>>,
}

impl FakeContainers {
    fn record(&self, call: String) {
        self.calls.lock().expect("lock").push(call);
    }

    fn calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().expect("lock"))
    }

    /// Channels for the next attach: output to send, input received.
    fn attach_channels(
        &self,
    ) -> (
        mpsc::UnboundedSender<StdFrame>,
        mpsc::UnboundedReceiver<Input>,
    ) {
        let (out_tx, out_rx) = mpsc::unbounded();
        let (in_tx, in_rx) = mpsc::unbounded();
        *self.output.lock().expect("lock") = Some(out_rx);
        *self.input.lock().expect("lock") = Some(in_tx);
        (out_tx, in_rx)
    }
}

/// An input sink that reports writes and shutdown, and nothing on drop.
struct Sink(mpsc::UnboundedSender<Input>);

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let sent = self.0.unbounded_send(Input::Data(buf.to_vec()));
        Poll::Ready(sent.map(|()| buf.len()).map_err(io::Error::other))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = self.0.unbounded_send(Input::Eof);
        Poll::Ready(Ok(()))
    }
}

/// 2026-11-28T04:45:19.462964806Z plus `ms` milliseconds.
fn at(ms: i64) -> Timestamp {
    Timestamp::new(1_795_841_119, 462_964_806).unwrap() + SignedDuration::from_millis(ms)
}

fn frame(stream: StdStream, data: &'static str) -> StdFrame {
    StdFrame {
        stream,
        data: Bytes::from_static(data.as_bytes()),
    }
}

/// `nope` does not exist, `running` runs, `stopped` does not, `tty` has a TTY.
fn known(id: &str) -> Result<(), Error> {
    match id {
        "nope" => Err(Error::not_found(format!("No such container: {id}"))),
        _ => Ok(()),
    }
}

impl ContainerBackend for Fake {
    async fn container_create(
        &self,
        name: Option<&str>,
        req: ContainerCreateRequest,
    ) -> Result<ContainerCreateResponse, Error> {
        if name == Some("taken") {
            return Err(Error::conflict("name in use"));
        }
        *self.ctr.created.lock().expect("lock") = Some((name.map(str::to_owned), req));
        Ok(ContainerCreateResponse {
            id: "e006d825".repeat(8),
            warnings: vec![],
        })
    }

    async fn container_start(&self, id: &str) -> Result<(), Error> {
        known(id)?;
        match id {
            "running" => Err(Error::not_modified("container is already started")),
            _ => Ok(()),
        }
    }

    async fn container_wait(&self, id: &str, c: WaitCondition) -> Result<WaitFuture, Error> {
        known(id)?;
        self.ctr.record(format!("wait {id} {c:?}"));
        let (tx, rx) = oneshot::channel();
        *self.ctr.exit.lock().expect("lock") = Some(tx);
        Ok(Box::pin(async move {
            match rx.await {
                Ok(code) => ContainerWaitResponse::exited(code),
                Err(_) => ContainerWaitResponse {
                    error: Some(WaitExitError {
                        message: "the daemon is shutting down".into(),
                    }),
                    status_code: -1,
                },
            }
        }))
    }

    async fn container_detached(&self, id: &str) {
        self.ctr.record(format!("detached {id}"));
    }

    async fn container_attach(&self, id: &str, o: AttachOptions) -> Result<Attachment, Error> {
        known(id)?;
        self.ctr.record(format!(
            "attach {id} stream={} logs={} stdin={} stdout={} stderr={}",
            o.stream, o.logs, o.stdin, o.stdout, o.stderr
        ));
        let output = self.ctr.output.lock().expect("lock").take();
        let input = self.ctr.input.lock().expect("lock").take();
        Ok(Attachment {
            tty: id == "tty",
            output: match output {
                Some(rx) => Box::pin(rx.map(Ok)),
                None => Box::pin(futures::stream::empty()),
            },
            input: input
                .filter(|_| o.stdin)
                .map(|tx| Box::pin(Sink(tx)) as crate::backend::InputSink),
        })
    }

    async fn container_logs(&self, id: &str, o: LogsOptions) -> Result<ContainerLogs, Error> {
        known(id)?;
        self.ctr.record(format!(
            "logs {id} follow={} since={:?} until={:?} tail={:?}",
            o.follow,
            o.since.map(|t| t.to_string()),
            o.until.map(|t| t.to_string()),
            o.tail
        ));
        let all = [
            (StdStream::Stdout, "hello-from-c1\n", at(0)),
            (StdStream::Stderr, "to-stderr\n", at(1)),
        ];
        let entries: Vec<_> = all
            .into_iter()
            .filter(|(s, _, _)| match s {
                StdStream::Stdout => o.stdout,
                StdStream::Stderr => o.stderr,
            })
            .map(|(stream, line, time)| {
                Ok(LogEntry {
                    stream,
                    time,
                    line: Bytes::from_static(line.as_bytes()),
                })
            })
            .chain((id == "broken").then(|| Err(io::Error::other("log file is corrupt"))))
            .collect();
        Ok(ContainerLogs {
            tty: id == "tty",
            entries: Box::pin(futures::stream::iter(entries)),
        })
    }

    async fn container_stop(&self, id: &str, o: StopOptions) -> Result<(), Error> {
        known(id)?;
        self.ctr.record(format!(
            "stop {id} {:?} {:?}",
            o.signal.map(|s| s.to_string()),
            o.timeout
        ));
        match id {
            "stopped" => Err(Error::not_modified("container is already stopped")),
            _ => Ok(()),
        }
    }

    async fn container_restart(&self, id: &str, o: StopOptions) -> Result<(), Error> {
        known(id)?;
        self.ctr.record(format!("restart {id} {:?}", o.timeout));
        Ok(())
    }

    async fn container_kill(&self, id: &str, signal: Signal) -> Result<(), Error> {
        known(id)?;
        self.ctr.record(format!("kill {id} {signal}"));
        match id {
            "stopped" => Err(Error::conflict(format!(
                "Container {} is not running",
                "d37cde0f".repeat(8)
            ))),
            _ => Ok(()),
        }
    }

    async fn container_delete(&self, id: &str, o: DeleteOptions) -> Result<(), Error> {
        known(id)?;
        self.ctr.record(format!(
            "delete {id} force={} v={}",
            o.force, o.remove_volumes
        ));
        match (id, o.force) {
            ("running", false) => Err(Error::conflict(
                "cannot remove container \"/web\": container is running: stop the container \
                 before removing or force remove",
            )),
            _ => Ok(()),
        }
    }

    async fn container_list(
        &self,
        o: ContainerListOptions,
    ) -> Result<Vec<ContainerSummary>, Error> {
        self.ctr.record(format!(
            "list all={} limit={:?} size={} status={:?}",
            o.all,
            o.limit,
            o.size,
            o.filters.get("status")
        ));
        Ok(vec![ContainerSummary {
            id: "e006d825".repeat(8),
            names: vec!["/trace-c1".into()],
            image: "busybox".into(),
            state: ContainerStatus::Running,
            status: "Up 1 second".into(),
            ..Default::default()
        }])
    }

    async fn container_inspect(&self, id: &str, _: bool) -> Result<ContainerInspect, Error> {
        known(id)?;
        let bridge = EndpointSettings {
            ip_address: "172.17.0.2".into(),
            gateway: "172.17.0.1".into(),
            ip_prefix_len: 16,
            mac_address: "02:42:ac:11:00:02".into(),
            ..Default::default()
        };
        Ok(ContainerInspect {
            id: "e006d825".repeat(8),
            name: "/trace-c1".into(),
            state: ContainerState {
                status: ContainerStatus::Running,
                running: true,
                pid: 20164,
                started_at: "2026-11-28T04:45:20.872029845Z".into(),
                finished_at: "0001-01-01T00:00:00Z".into(),
                ..Default::default()
            },
            host_config: HostConfig {
                log_config: LogConfig {
                    kind: "json-file".into(),
                    config: Some(BTreeMap::new()),
                },
                network_mode: "default".into(),
                ..Default::default()
            },
            config: ContainerConfig {
                image: "busybox".into(),
                ..Default::default()
            },
            network_settings: NetworkSettings {
                ip_address: bridge.ip_address.clone(),
                networks: BTreeMap::from([("bridge".into(), bridge)]),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    async fn container_resize(&self, id: &str, h: u32, w: u32) -> Result<(), Error> {
        known(id)?;
        self.ctr.record(format!("resize {id} {h}x{w}"));
        Ok(())
    }
}

fn request(method: &str, uri: &str, json: Option<&'static str>) -> Request<Body> {
    let req = Request::builder().method(method).uri(uri);
    match json {
        Some(body) => req
            .header("Content-Type", "application/json")
            .body(Body::from(body)),
        None => req.body(Body::empty()),
    }
    .expect("request")
}

/// Sends one request; answers status, headers and the whole body.
async fn send(fake: &Arc<Fake>, req: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let resp = crate::router(fake.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, body)
}

async fn call(fake: &Arc<Fake>, method: &str, uri: &str) -> (StatusCode, String) {
    let (status, _, body) = send(fake, request(method, uri, None)).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn message(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("json error body");
    v["message"].as_str().expect("message").to_owned()
}

/// The body the docker CLI 28 sent for `docker create --name trace-c1 -e FOO=bar -l app=trace`
/// (from the traces), plus a field no daemon knows.
const CREATE_BODY: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["FOO=bar"],"Cmd":["sh","-c","echo hello-from-c1; echo to-stderr \u003e\u00262; sleep 300"],"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"app":"trace"},"NoSuchField":{"x":1},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

#[tokio::test]
async fn create_answers_201_and_passes_name_and_body_through() {
    let fake = Arc::new(Fake::default());
    let req = request(
        "POST",
        "/v1.41/containers/create?name=trace-c1",
        Some(CREATE_BODY),
    );
    let (status, headers, body) = send(&fake, req).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers["Content-Type"], "application/json");
    let id = "e006d825".repeat(8);
    assert_eq!(body, format!(r#"{{"Id":"{id}","Warnings":[]}}"#));

    let (name, req) = fake
        .ctr
        .created
        .lock()
        .expect("lock")
        .take()
        .expect("created");
    assert_eq!(name.as_deref(), Some("trace-c1"));
    assert_eq!(req.config.image, "busybox");
    assert_eq!(req.config.env, Some(vec!["FOO=bar".to_owned()]));
    assert_eq!(req.config.cmd.as_ref().map(Vec::len), Some(3));
    assert_eq!(req.config.labels.as_ref().expect("labels")["app"], "trace");
    assert!(req.host_config.auto_remove);
    assert_eq!(req.host_config.memory_swappiness, Some(-1));
    assert_eq!(req.host_config.binds, None);
    let ports = req.host_config.port_bindings.as_ref().expect("ports");
    assert_eq!(
        ports["80/tcp"].as_ref().expect("bound")[0].host_port,
        "8080"
    );
    let endpoints = req.networking_config.endpoints_config.expect("endpoints");
    assert!(endpoints.contains_key("default"));
}

#[tokio::test]
async fn create_takes_minimal_and_null_sections_and_refuses_bad_json() {
    let fake = Arc::new(Fake::default());
    let body = r#"{"Image":"busybox","HostConfig":null,"NetworkingConfig":null}"#;
    let (status, _, _) = send(&fake, request("POST", "/containers/create", Some(body))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (name, req) = fake
        .ctr
        .created
        .lock()
        .expect("lock")
        .take()
        .expect("created");
    assert_eq!(name, None);
    assert_eq!(req.host_config, HostConfig::default());

    let (status, _, body) = send(
        &fake,
        request("POST", "/containers/create?name=", Some("{")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!message(&String::from_utf8_lossy(&body)).is_empty());
    let (status, _, _) = send(
        &fake,
        request("POST", "/containers/create", Some(r#"{"Tty":"yes"}"#)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let req = request("POST", "/containers/create?name=taken", Some("{}"));
    assert_eq!(send(&fake, req).await.0, StatusCode::CONFLICT);

    // A large body is decoded off the async side, with the same answers.
    let binds: Vec<String> = (0..20_000).map(|i| format!("/b/{i}:/m/{i}")).collect();
    let big = serde_json::json!({"Image": "busybox", "HostConfig": {"Binds": binds}});
    let big: &'static str = Box::leak(big.to_string().into_boxed_str());
    assert!(big.len() > 128 * 1024);
    let (status, _, _) = send(&fake, request("POST", "/containers/create", Some(big))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, req) = fake
        .ctr
        .created
        .lock()
        .expect("lock")
        .take()
        .expect("created");
    assert_eq!(req.host_config.binds.expect("binds").len(), 20_000);
    let broken: &'static str = Box::leak(format!("{}x", &big[..big.len() - 1]).into_boxed_str());
    let (status, _, body) = send(&fake, request("POST", "/containers/create", Some(broken))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!message(&String::from_utf8_lossy(&body)).is_empty());
    // Without a JSON content type, as axum's own extractor refuses it.
    let req = Request::builder()
        .method("POST")
        .uri("/containers/create")
        .body(Body::from("{}"))
        .expect("request");
    let (status, _, body) = send(&fake, req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&String::from_utf8_lossy(&body)),
        "Expected request with `Content-Type: application/json`"
    );
}

#[tokio::test]
async fn start_stop_restart_answer_204_304_and_404() {
    let fake = Arc::new(Fake::default());
    assert_eq!(
        call(&fake, "POST", "/v1.47/containers/abc/start").await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = call(&fake, "POST", "/containers/running/start").await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
    let (status, body) = call(&fake, "POST", "/containers/nope/start").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "No such container: nope");

    let (status, _) = call(
        &fake,
        "POST",
        "/v1.47/containers/abc/stop?t=3&signal=SIGINT",
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Before API 1.42 the signal parameter did not exist, and moby ignores it.
    call(
        &fake,
        "POST",
        "/v1.41/containers/abc/stop?signal=SIGINT&t=-1",
    )
    .await;
    let (status, body) = call(&fake, "POST", "/containers/stopped/stop").await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
    let (status, _) = call(&fake, "POST", "/containers/abc/stop?t=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    call(&fake, "POST", "/containers/abc/restart?t=0").await;
    assert_eq!(
        fake.ctr.calls(),
        [
            r#"stop abc Some("SIGINT") Some(3)"#,
            "stop abc None Some(-1)",
            "stop stopped None None",
            "restart abc Some(0)",
        ]
    );
}

#[tokio::test]
async fn kill_parses_signals_and_words_failures_as_moby() {
    let fake = Arc::new(Fake::default());
    for q in [
        "",
        "?signal=",
        "?signal=SIGTERM",
        "?signal=term",
        "?signal=15",
        "?signal=RTMIN%2B2",
    ] {
        let (status, body) = call(&fake, "POST", &format!("/containers/abc/kill{q}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{q}: {body}");
    }
    assert_eq!(
        fake.ctr.calls(),
        [
            "kill abc SIGKILL",
            "kill abc SIGKILL",
            "kill abc SIGTERM",
            "kill abc SIGTERM",
            "kill abc SIGTERM",
            "kill abc SIGRTMIN+2",
        ]
    );
    let cases = [
        (
            "/containers/abc/kill?signal=SIGNOPE",
            StatusCode::BAD_REQUEST,
            "Cannot kill container: abc: invalid signal: SIGNOPE",
        ),
        (
            // moby's table names real-time signals only up to RTMIN+15 (50 is RTMAX-14).
            "/containers/abc/kill?signal=RTMIN%2B16",
            StatusCode::BAD_REQUEST,
            "Cannot kill container: abc: invalid signal: RTMIN+16",
        ),
        (
            "/containers/abc/kill?signal=32",
            StatusCode::BAD_REQUEST,
            "Cannot kill container: abc: the linux daemon does not support signal 32",
        ),
        (
            "/containers/nope/kill",
            StatusCode::NOT_FOUND,
            "Cannot kill container: nope: No such container: nope",
        ),
        (
            "/containers/stopped/kill",
            StatusCode::CONFLICT,
            "Cannot kill container: stopped: Container d37cde0fd37cde0fd37cde0fd37cde0fd37cde0fd37cde0fd37cde0fd37cde0f is not running",
        ),
    ];
    for (uri, status, text) in cases {
        let (s, body) = call(&fake, "POST", uri).await;
        assert_eq!(s, status, "{uri}");
        assert_eq!(message(&body), text);
    }
}

#[tokio::test]
async fn delete_refuses_a_running_container_unless_forced() {
    let fake = Arc::new(Fake::default());
    let (status, body) = call(&fake, "DELETE", "/v1.47/containers/running").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        message(&body),
        "cannot remove container \"/web\": container is running: stop the container before \
         removing or force remove"
    );
    let (status, _) = call(&fake, "DELETE", "/containers/running?force=1&v=1").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&fake, "DELETE", "/containers/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        fake.ctr.calls(),
        [
            "delete running force=false v=false",
            "delete running force=true v=true"
        ]
    );
}

#[tokio::test]
async fn list_checks_filters_and_passes_options() {
    let fake = Arc::new(Fake::default());
    let (status, body) = call(&fake, "GET", "/v1.41/containers/json?all=1").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v[0]["Names"][0], "/trace-c1");
    assert_eq!(v[0]["State"], "running");
    assert_eq!(v[0]["Ports"], serde_json::json!([]));
    assert!(v[0].get("SizeRw").is_none());

    // {"status":["exited"]} implies all; limit=0 is no limit.
    call(
        &fake,
        "GET",
        "/containers/json?limit=0&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D",
    )
    .await;
    call(&fake, "GET", "/containers/json?limit=2&size=1").await;
    assert_eq!(
        fake.ctr.calls(),
        [
            "list all=true limit=None size=false status=[]",
            r#"list all=true limit=None size=false status=["exited"]"#,
            "list all=false limit=Some(2) size=true status=[]",
        ]
    );
    let bad = [
        (
            "%7B%22colour%22%3A%5B%22red%22%5D%7D",
            "invalid filter 'colour'",
        ),
        (
            "%7B%22status%22%3A%5B%22asleep%22%5D%7D",
            "invalid filter 'status=asleep'",
        ),
        (
            "%7B%22exited%22%3A%5B%22x%22%5D%7D",
            "invalid filter 'exited=x'",
        ),
    ];
    for (f, text) in bad {
        let (status, body) = call(&fake, "GET", &format!("/containers/json?filters={f}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(message(&body), text);
    }
    assert!(fake.ctr.calls().is_empty());
}

#[tokio::test]
async fn inspect_has_dockers_shape() {
    let fake = Arc::new(Fake::default());
    let (status, body) = call(&fake, "GET", "/v1.41/containers/trace-c1/json").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["State"]["Status"], "running");
    assert_eq!(v["State"]["OOMKilled"], false);
    assert_eq!(v["State"]["FinishedAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        v["HostConfig"]["LogConfig"],
        serde_json::json!({"Type": "json-file", "Config": {}})
    );
    assert_eq!(v["HostConfig"]["Binds"], serde_json::Value::Null);
    assert_eq!(v["HostConfig"]["ConsoleSize"], serde_json::json!([0, 0]));
    assert!(v["Config"].is_object());
    assert_eq!(v["Config"]["Image"], "busybox");
    assert_eq!(v["Mounts"], serde_json::json!([]));
    assert_eq!(v["ExecIDs"], serde_json::Value::Null);
    let bridge = &v["NetworkSettings"]["Networks"]["bridge"];
    assert_eq!(bridge["IPAddress"], "172.17.0.2");
    assert_eq!(bridge["Gateway"], "172.17.0.1");
    assert_eq!(bridge["MacAddress"], "02:42:ac:11:00:02");
    assert_eq!(v["NetworkSettings"]["Ports"], serde_json::json!({}));
    assert_eq!(v["NetworkSettings"]["IPAddress"], "172.17.0.2");
    // dockerd's field order: clients only parse, but people read `docker inspect`.
    let keys: Vec<&str> = [
        "\"Id\"",
        "\"State\"",
        "\"Name\"",
        "\"HostConfig\"",
        "\"Config\"",
    ]
    .into_iter()
    .collect();
    let positions: Vec<usize> = keys.iter().map(|k| body.find(k).expect(k)).collect();
    assert!(positions.is_sorted(), "{positions:?}");
    let (status, body) = call(&fake, "GET", "/containers/nope/json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "No such container: nope");
}

#[tokio::test]
async fn resize_answers_200_and_checks_numbers() {
    let fake = Arc::new(Fake::default());
    let (status, _) = call(&fake, "POST", "/containers/tty/resize?h=40&w=120").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&fake, "POST", "/containers/tty/resize?h=forty&w=120").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&fake, "POST", "/containers/tty/resize?w=120").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fake.ctr.calls(), ["resize tty 40x120"]);
}

#[tokio::test]
async fn logs_are_framed_unless_tty_and_can_carry_timestamps() {
    let fake = Arc::new(Fake::default());
    let uri = "/v1.41/containers/c1/logs?stderr=1&stdout=1&tail=all";
    let (status, headers, body) = send(&fake, request("GET", uri, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["Content-Type"], "application/vnd.docker.raw-stream");
    // Byte for byte what dockerd sent in the `logs` trace.
    assert_eq!(
        &body[..],
        b"\x01\x00\x00\x00\x00\x00\x00\x0ehello-from-c1\n\x02\x00\x00\x00\x00\x00\x00\x0ato-stderr\n"
    );

    let uri = "/v1.47/containers/c1/logs?stdout=1&timestamps=1&since=1795841119.5&until=1795841200&tail=1&follow=1";
    let (_, headers, body) = send(&fake, request("GET", uri, None)).await;
    assert_eq!(
        headers["Content-Type"],
        "application/vnd.docker.multiplexed-stream"
    );
    let line = b"2026-11-28T04:45:19.462964806Z hello-from-c1\n";
    assert_eq!(&body[..8], [1, 0, 0, 0, 0, 0, 0, line.len() as u8]);
    assert_eq!(&body[8..], line);

    let uri = "/v1.47/containers/tty/logs?stdout=1&stderr=1&timestamps=1";
    let (_, headers, body) = send(&fake, request("GET", uri, None)).await;
    assert_eq!(headers["Content-Type"], "application/vnd.docker.raw-stream");
    assert_eq!(
        body,
        "2026-11-28T04:45:19.462964806Z hello-from-c1\n2026-11-28T04:45:19.463964806Z to-stderr\n"
    );

    let (_, _, body) = send(
        &fake,
        request("GET", "/containers/broken/logs?stderr=1", None),
    )
    .await;
    let told = b"Error grabbing logs: log file is corrupt\n";
    assert_eq!(
        &body[body.len() - told.len() - 8..][..8],
        [2, 0, 0, 0, 0, 0, 0, told.len() as u8]
    );
    assert!(body.ends_with(told));

    let (status, body) = call(&fake, "GET", "/containers/c1/logs").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "Bad parameters: you must choose at least one stream"
    );
    let (status, _) = call(&fake, "GET", "/containers/nope/logs?stdout=1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        fake.ctr.calls(),
        [
            "logs c1 follow=false since=None until=None tail=None",
            "logs c1 follow=true since=Some(\"2026-11-28T04:45:19.5Z\") until=Some(\"2026-11-28T04:46:40Z\") tail=Some(1)",
            "logs tty follow=false since=None until=None tail=None",
            "logs broken follow=false since=None until=None tail=None",
        ]
    );
}

#[tokio::test]
async fn wait_sends_headers_before_the_container_exits() {
    let fake = Arc::new(Fake::default());
    let req = request("POST", "/v1.41/containers/c1/wait?condition=removed", None);
    let resp = tokio::time::timeout(
        Duration::from_secs(5),
        crate::router(fake.clone()).oneshot(req),
    )
    .await
    .expect("the response comes before the exit")
    .expect("infallible");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["Content-Type"], "application/json");
    let mut body = resp.into_body();
    let early = tokio::time::timeout(Duration::from_millis(50), body.frame()).await;
    assert!(early.is_err(), "the body waits for the exit");

    let exit = fake
        .ctr
        .exit
        .lock()
        .expect("lock")
        .take()
        .expect("a waiter");
    exit.send(3).expect("the handler still waits");
    let rest = body.collect().await.expect("body").to_bytes();
    assert_eq!(rest, "{\"Error\":null,\"StatusCode\":3}\n");
    assert_eq!(fake.ctr.calls(), ["wait c1 Removed"]);

    for (q, cond) in [("", "NotRunning"), ("?condition=next-exit", "NextExit")] {
        let resp = crate::router(fake.clone())
            .oneshot(request("POST", &format!("/containers/c1/wait{q}"), None))
            .await
            .expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        // Dropping the wait (the client went away) reaches the backend's future.
        drop(resp);
        assert_eq!(fake.ctr.calls(), [format!("wait c1 {cond}")]);
    }
    let (status, body) = call(&fake, "POST", "/containers/c1/wait?condition=later").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "invalid condition: \"later\"");
    assert_eq!(
        call(&fake, "POST", "/containers/nope/wait").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn wait_reports_a_failed_wait_in_the_body() {
    let fake = Arc::new(Fake::default());
    let resp = crate::router(fake.clone())
        .oneshot(request("POST", "/containers/c1/wait", None))
        .await
        .expect("infallible");
    drop(fake.ctr.exit.lock().expect("lock").take());
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(
        body,
        "{\"Error\":{\"Message\":\"the daemon is shutting down\"},\"StatusCode\":-1}\n"
    );
}

#[tokio::test]
async fn attach_without_upgrade_streams_output_as_the_body() {
    let fake = Arc::new(Fake::default());
    let (out, mut input) = fake.ctr.attach_channels();
    out.unbounded_send(frame(StdStream::Stderr, "err-line\n"))
        .expect("send");
    out.unbounded_send(frame(StdStream::Stdout, "out-line\n"))
        .expect("send");
    drop(out);
    let uri = "/v1.47/containers/c1/attach?stream=1&stdout=1&stderr=1&stdin=1";
    let req = Request::post(uri)
        .body(Body::from("typed"))
        .expect("request");
    let (status, headers, body) = send(&fake, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["Content-Type"], "application/vnd.docker.raw-stream");
    assert_eq!(
        &body[..],
        b"\x02\x00\x00\x00\x00\x00\x00\x09err-line\n\x01\x00\x00\x00\x00\x00\x00\x09out-line\n"
    );
    assert_eq!(input.next().await, Some(Input::Data(b"typed".to_vec())));
    assert_eq!(input.next().await, Some(Input::Eof));
    assert_eq!(
        fake.ctr.calls(),
        ["attach c1 stream=true logs=false stdin=true stdout=true stderr=true"]
    );
    let (status, body) = call(&fake, "POST", "/containers/c1/attach?detachKeys=ctrl-1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "Invalid detach keys (ctrl-1) provided");
    assert_eq!(
        call(&fake, "POST", "/containers/nope/attach").await.0,
        StatusCode::NOT_FOUND
    );
}
