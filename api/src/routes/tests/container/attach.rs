//! Attach and wait over a real HTTP/1 connection: hyper serves the router on one end of an
//! in-memory pipe, with upgrades, and a hyper client speaks on the other.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Request, StatusCode};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use super::{Fake, Input, frame};
use crate::backend::StdStream;

const PATIENCE: Duration = Duration::from_secs(5);

/// A client connection to the router over an in-memory pipe.
async fn connect(fake: &Arc<Fake>) -> SendRequest<Empty<Bytes>> {
    let app = crate::router(fake.clone());
    let (client, server) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let svc =
            hyper::service::service_fn(move |req: Request<Incoming>| app.clone().oneshot(req));
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(server), svc)
            .with_upgrades()
            .await;
    });
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(client))
        .await
        .expect("handshake");
    tokio::spawn(conn.with_upgrades());
    sender
}

/// `POST uri` with the docker CLI's upgrade headers.
fn upgrade_request(uri: &str) -> Request<Empty<Bytes>> {
    Request::post(uri)
        .header("Connection", "Upgrade")
        .header("Upgrade", "tcp")
        .header("Content-Type", "text/plain")
        .body(Empty::new())
        .expect("request")
}

async fn read_n(io: &mut (impl AsyncRead + Unpin), n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    tokio::time::timeout(PATIENCE, io.read_exact(&mut buf))
        .await
        .expect("output in time")
        .expect("read");
    buf
}

/// Reads until the server closes the connection; what came before that.
async fn read_to_close(io: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut rest = Vec::new();
    tokio::time::timeout(PATIENCE, io.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection")
        .expect("read");
    rest
}

/// Collects stdin bytes until `n` have arrived.
async fn stdin_bytes(
    input: &mut futures::channel::mpsc::UnboundedReceiver<Input>,
    n: usize,
) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(PATIENCE, input.next())
            .await
            .expect("stdin in time")
        {
            Some(Input::Data(d)) => got.extend(d),
            other => panic!("expected stdin data, got {other:?}"),
        }
    }
    got
}

#[tokio::test]
async fn attach_upgrades_and_output_outlives_the_clients_stdin() {
    let fake = Arc::new(Fake::default());
    let (out, mut input) = fake.ctr.attach_channels();
    let mut client = connect(&fake).await;
    let uri = "/v1.47/containers/c1/attach?stderr=1&stdin=1&stdout=1&stream=1";
    let resp = client
        .send_request(upgrade_request(uri))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    let h = resp.headers();
    assert_eq!(
        h["Content-Type"],
        "application/vnd.docker.multiplexed-stream"
    );
    assert_eq!(h["Connection"], "Upgrade");
    assert_eq!(h["Upgrade"], "tcp");
    let reason = resp
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .expect("a reason");
    assert_eq!(reason.as_bytes(), b"UPGRADED");
    let mut io = TokioIo::new(hyper::upgrade::on(resp).await.expect("upgraded"));

    out.unbounded_send(frame(StdStream::Stderr, "err-line\n"))
        .expect("send");
    assert_eq!(
        read_n(&mut io, 17).await,
        b"\x02\x00\x00\x00\x00\x00\x00\x09err-line\n"
    );

    io.write_all(b"line1\nline2\n").await.expect("write stdin");
    assert_eq!(stdin_bytes(&mut input, 12).await, b"line1\nline2\n");

    // The client ends its stdin: the container's stdin ends, its output goes on.
    io.shutdown().await.expect("half-close");
    let eof = tokio::time::timeout(PATIENCE, input.next())
        .await
        .expect("eof in time");
    assert_eq!(eof, Some(Input::Eof));
    out.unbounded_send(frame(StdStream::Stdout, "after-eof\n"))
        .expect("send");
    assert_eq!(
        read_n(&mut io, 18).await,
        b"\x01\x00\x00\x00\x00\x00\x00\x0aafter-eof\n"
    );

    // The container exits: the output ends, and so does the connection.
    drop(out);
    assert_eq!(read_to_close(&mut io).await, b"");
    assert_eq!(
        fake.ctr.calls(),
        ["attach c1 stream=true logs=false stdin=true stdout=true stderr=true"]
    );
}

#[tokio::test]
async fn a_tty_attach_is_raw_and_the_detach_keys_end_it() {
    let fake = Arc::new(Fake::default());
    let (out, mut input) = fake.ctr.attach_channels();
    let mut client = connect(&fake).await;
    let uri = "/v1.41/containers/tty/attach?stdin=1&stdout=1&stream=1";
    let resp = client
        .send_request(upgrade_request(uri))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(
        resp.headers()["Content-Type"],
        "application/vnd.docker.raw-stream"
    );
    let mut io = TokioIo::new(hyper::upgrade::on(resp).await.expect("upgraded"));

    out.unbounded_send(frame(StdStream::Stdout, "/ # "))
        .expect("send");
    assert_eq!(read_n(&mut io, 4).await, b"/ # ");
    // ctrl-p, ctrl-q: the keys are not forwarded, stdin is not ended, the session is over
    // although the container still runs.
    io.write_all(b"ls\n\x10\x11").await.expect("write stdin");
    assert_eq!(read_to_close(&mut io).await, b"");
    assert_eq!(stdin_bytes(&mut input, 3).await, b"ls\n");
    let end = tokio::time::timeout(PATIENCE, input.next())
        .await
        .expect("sink dropped");
    assert_eq!(end, None);
    // The backend sees the attachment go: its output stream was dropped.
    assert!(out.is_closed());
    // ... and is told the client detached (dockerd's `detach` event).
    let told = async {
        while !fake.ctr.calls().iter().any(|c| c == "detached tty") {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(PATIENCE, told)
        .await
        .expect("the backend is told of the detach");
}

#[tokio::test]
async fn a_client_that_goes_away_releases_the_attachment() {
    let fake = Arc::new(Fake::default());
    let (out, _input) = fake.ctr.attach_channels();
    let mut client = connect(&fake).await;
    let uri = "/containers/c1/attach?stdout=1&stream=1";
    let resp = client
        .send_request(upgrade_request(uri))
        .await
        .expect("response");
    let io = TokioIo::new(hyper::upgrade::on(resp).await.expect("upgraded"));
    drop(io);
    // The next write to the client fails and the session drops the output stream.
    let released = async {
        while out
            .unbounded_send(frame(StdStream::Stdout, "tick\n"))
            .is_ok()
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(PATIENCE, released)
        .await
        .expect("released in time");
    // Going away is not detaching: no `detach` event.
    assert!(
        !fake.ctr.calls().iter().any(|c| c.starts_with("detached")),
        "{:?}",
        fake.ctr.calls()
    );
}

#[tokio::test]
async fn wait_headers_arrive_before_the_exit() {
    let fake = Arc::new(Fake::default());
    let mut client = connect(&fake).await;
    let req = Request::post("/v1.41/containers/c1/wait?condition=next-exit")
        .body(Empty::new())
        .expect("request");
    let resp = tokio::time::timeout(PATIENCE, client.send_request(req))
        .await
        .expect("headers before the exit")
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["Content-Type"], "application/json");
    assert_eq!(resp.headers()["Transfer-Encoding"], "chunked");
    let exit = fake
        .ctr
        .exit
        .lock()
        .expect("lock")
        .take()
        .expect("a waiter");
    exit.send(0).expect("still waiting");
    let body = tokio::time::timeout(PATIENCE, resp.into_body().collect())
        .await
        .expect("body in time")
        .expect("body")
        .to_bytes();
    assert_eq!(body, "{\"Error\":null,\"StatusCode\":0}\n");
}

#[tokio::test]
async fn the_served_socket_answers_attach_as_dockerd_does() {
    let fake = Arc::new(Fake::default());
    let (out, mut input) = fake.ctr.attach_channels();
    let path = std::env::temp_dir().join(format!("wharf-api-attach-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let opts = crate::ServeOptions {
        drain_timeout: Duration::from_millis(100),
        observer: None,
    };
    let server = tokio::spawn(crate::serve(
        listener,
        fake.clone(),
        async move {
            let _ = stopped.await;
        },
        opts,
    ));

    // The request the docker CLI sends for `docker run -i`, byte for byte (from the traces).
    let mut conn = tokio::net::UnixStream::connect(&path)
        .await
        .expect("connect");
    conn.write_all(
        b"POST /v1.41/containers/c1/attach?stderr=1&stdin=1&stdout=1&stream=1 HTTP/1.1\r\n\
          Host: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\n\
          Content-Length: 0\r\nConnection: Upgrade\r\nContent-Type: text/plain\r\n\
          Upgrade: tcp\r\n\r\n",
    )
    .await
    .expect("write request");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.extend(read_n(&mut conn, 1).await);
    }
    let head = String::from_utf8(head)
        .expect("ascii head")
        .to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101 upgraded\r\n"), "{head}");
    assert!(
        head.contains("content-type: application/vnd.docker.raw-stream\r\n"),
        "{head}"
    );
    assert!(head.contains("connection: upgrade\r\n"), "{head}");
    assert!(head.contains("upgrade: tcp\r\n"), "{head}");

    conn.write_all(b"line1\nline2\n").await.expect("stdin");
    conn.shutdown().await.expect("half-close");
    assert_eq!(stdin_bytes(&mut input, 12).await, b"line1\nline2\n");
    let eof = tokio::time::timeout(PATIENCE, input.next())
        .await
        .expect("eof in time");
    assert_eq!(eof, Some(Input::Eof));
    out.unbounded_send(frame(StdStream::Stdout, "line1\nline2\n"))
        .expect("send");
    drop(out);
    let rest = read_to_close(&mut conn).await;
    assert_eq!(rest, b"\x01\x00\x00\x00\x00\x00\x00\x0cline1\nline2\n");

    let _ = stop.send(());
    let drained = server.await.expect("server task").expect("serve");
    assert!(drained);
    let _ = std::fs::remove_file(&path);
}
