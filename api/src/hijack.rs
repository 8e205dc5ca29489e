//! An attach session on a hijacked (upgraded) connection: container output to the client,
//! client input to the container, until the output ends.
//!
//! The client half-closing its side ends the container's stdin, not the session: output keeps
//! flowing until the backend ends it (the container exited, or the backend decided the
//! attachment is over). The detach keys, a failed write to the client or a failed read from it
//! end the session at once.

use std::future::Future;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinHandle;

use crate::backend::{Attachment, InputSink};
use crate::stream::{DetachScanner, encode_frame};

/// A connection's descriptor, noted when it is accepted (axum's connect info), so that a
/// hijacked session can ask the kernel whether the client has read the answer's headers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnFd(RawFd);

impl Connected<IncomingStream<'_, crate::Listener>> for ConnFd {
    fn connect_info(stream: IncomingStream<'_, crate::Listener>) -> Self {
        ConnFd(stream.io().as_raw_fd())
    }
}

/// How long a session waits for the client to read the 101's headers before it sends output.
const HEADERS_READ_LIMIT: Duration = Duration::from_millis(200);

/// Waits until the client has read everything sent on the connection so far (the 101's
/// headers), for at most [`HEADERS_READ_LIMIT`].
///
/// A client that reads the headers through a buffered reader and then takes the raw socket
/// (docker-py, with Python's `http.client`) loses whatever arrived together with them; dockerd
/// writes its output only after slower work (reading the log, starting a process) and so,
/// nearly always, after the client's first read. Waiting for the kernel's send queue of the
/// connection (`TIOCOUTQ`, the bytes the peer has not read) to empty makes that certain. The
/// descriptor must belong to the connection the caller holds (the upgraded one), so it is
/// still open.
pub(crate) async fn until_headers_read(fd: ConnFd) {
    let deadline = Instant::now() + HEADERS_READ_LIMIT;
    loop {
        let mut unread: libc::c_int = 0;
        // SAFETY: TIOCOUTQ writes one int through the pointer, valid for the call; `fd` is the
        // caller's open connection (see above), and the call does not change it.
        let r = unsafe { libc::ioctl(fd.0, libc::TIOCOUTQ, &mut unread) };
        if r != 0 || unread <= 0 || Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// What the router runs when a client leaves a session with the detach keys: the backend's
/// `container_detached` or `exec_detached`, which tell the event.
pub(crate) type DetachHook = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How the client's input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputEnd {
    /// The client ended its stdin, or the container's stdin is closed: keep sending output.
    Closed,
    /// The client typed the detach keys: end the session.
    Detached,
    /// The client's connection failed: end the session.
    Gone,
}

/// Runs the session on `io` until the output ends or the client leaves, then closes `io`.
/// `detach` watches the input for the detach keys (moby does so only under a TTY). True when
/// the session ended because the client typed them (dockerd's `detach` and `exec_detach`
/// events).
pub(crate) async fn attach_session<IO>(
    io: IO,
    att: Attachment,
    detach: Option<DetachScanner>,
) -> bool
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (rd, mut wr) = tokio::io::split(io);
    let mut input: Option<JoinHandle<InputEnd>> = att
        .input
        .map(|sink| tokio::spawn(copy_input(rd, sink, detach)));
    let mut output = att.output;
    let mut detached = false;
    loop {
        tokio::select! {
            item = output.next() => match item {
                Some(Ok(frame)) => {
                    let bytes = encode_frame(att.tty, &frame);
                    if wr.write_all(&bytes).await.is_err() || wr.flush().await.is_err() {
                        tracing::debug!("attach: client went away");
                        break;
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "attach: container output failed");
                    break;
                }
                None => break,
            },
            end = input_end(&mut input) => {
                input = None;
                if end != InputEnd::Closed {
                    detached = end == InputEnd::Detached;
                    break;
                }
            }
        }
    }
    let _ = wr.shutdown().await;
    if let Some(task) = input {
        // Dropping the sink without shutting it down: the client left, its stdin did not end.
        task.abort();
    }
    detached
}

/// Waits for the input task, or forever when there is none.
async fn input_end(task: &mut Option<JoinHandle<InputEnd>>) -> InputEnd {
    match task {
        Some(t) => t.await.unwrap_or(InputEnd::Gone),
        None => std::future::pending().await,
    }
}

/// Copies the client's bytes to the container's stdin until either side ends.
async fn copy_input<R>(
    mut rd: R,
    mut sink: InputSink,
    mut detach: Option<DetachScanner>,
) -> InputEnd
where
    R: AsyncRead + Unpin,
{
    let mut buf = vec![0u8; 32 * 1024];
    let mut pass = Vec::new();
    loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) => {
                let _ = sink.shutdown().await;
                return InputEnd::Closed;
            }
            Ok(n) => n,
            Err(_) => return InputEnd::Gone,
        };
        let (data, detached) = match detach.as_mut() {
            Some(scanner) => {
                pass.clear();
                let detached = scanner.feed(&buf[..n], &mut pass);
                (&pass[..], detached)
            }
            None => (&buf[..n], false),
        };
        if !data.is_empty() && (sink.write_all(data).await.is_err() || sink.flush().await.is_err())
        {
            // The container's stdin is closed; its output may still come.
            return InputEnd::Closed;
        }
        if detached {
            return InputEnd::Detached;
        }
    }
}

/// Copies a request body to the container's stdin (attach without an upgrade), ending its
/// stdin when the body ends.
pub(crate) async fn copy_body(body: axum::body::Body, mut sink: InputSink) {
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let Ok(chunk) = chunk else { return };
        if sink.write_all(&chunk).await.is_err() {
            return;
        }
    }
    let _ = sink.shutdown().await;
}
