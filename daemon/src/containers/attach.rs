//! `POST /containers/{id}/attach`: each attachment is its own connection to the container's
//! monitor, which sends every connection all output from the moment it connected (and drops
//! one that falls too far behind) and merges their stdin. An attachment made before a run
//! waits for that run's monitor: start connects it before the process starts, so `docker run`
//! (attach, then start) loses no output. The client's stdin is buffered until then.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::{Error, IoContext};
use api::backend::{AttachOptions, Attachment, InputSink, StdFrame, StdStream};
use api::types::ContainerStatus;
use bytes::Bytes;
use execdriver::{AttachConn, Frame};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::PollSender;

use super::Containers;
use super::logs::LogReader;
use crate::blocking::blocking;

/// The largest stdin chunk sent to the monitor in one frame.
const MAX_INPUT_CHUNK: usize = 32 * 1024;

/// What the client's stdin sink hands to the attachment's task.
enum Input {
    /// Bytes for the container's stdin.
    Data(Bytes),
    /// The client ended its stdin.
    Eof,
}

/// Which streams the client wants, and how the attachment ends.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    /// Send stdout.
    pub(crate) stdout: bool,
    /// Send stderr.
    pub(crate) stderr: bool,
    /// The end of the client's stdin closes the process's stdin (StdinOnce without a TTY, or
    /// an exec without a TTY); otherwise it ends the attachment.
    pub(crate) close_stdin_on_eof: bool,
}

/// The output channel of an attachment, for frames the caller adds itself (an exec's in-band
/// start failure).
pub(crate) type OutputSender = mpsc::Sender<Result<StdFrame, io::Error>>;

/// Wires an attachment: `replay` first, then what the monitor connection `conn` delivers
/// (when it arrives) moves to the client, and the client's stdin (when `with_input`) to the
/// monitor, in a task of its own. Also returns a sender of the output, which keeps it open
/// while held.
pub(crate) fn wire(
    tty: bool,
    replay: Vec<StdFrame>,
    conn: Option<oneshot::Receiver<std::os::unix::net::UnixStream>>,
    with_input: bool,
    mode: Mode,
) -> (Attachment, OutputSender) {
    let (out_tx, mut out_rx) = mpsc::channel(64);
    let (input, in_rx) = if with_input {
        let (tx, rx) = mpsc::channel(16);
        let sink: InputSink = Box::pin(StdinSink {
            tx: PollSender::new(tx),
            shut: false,
        });
        (Some(sink), Some(rx))
    } else {
        (None, None)
    };
    tokio::spawn(pump(replay, conn, in_rx, out_tx.clone(), mode));
    let output = futures::stream::poll_fn(move |cx| out_rx.poll_recv(cx)).boxed();
    (Attachment { tty, output, input }, out_tx)
}

impl Containers {
    /// Attaches to the container `term` names (see the trait's documentation).
    pub(crate) async fn attach(
        &self,
        term: &str,
        opts: AttachOptions,
    ) -> Result<Attachment, Error> {
        let c = self.get(term)?;
        let (tty, stdin_once, open_stdin, status) = {
            let l = c.live();
            let cfg = &l.record.config;
            (
                cfg.tty,
                cfg.stdin_once,
                cfg.open_stdin,
                l.record.state.status,
            )
        };
        match status {
            ContainerStatus::Paused => {
                return Err(Error::Conflict(
                    "container is paused, unpause the container before attaching".into(),
                ));
            }
            ContainerStatus::Restarting => {
                return Err(Error::Conflict(
                    "cannot attach to a restarting container, wait until it is running".into(),
                ));
            }
            _ => {}
        }
        let mode = Mode {
            stdout: opts.stdout,
            stderr: opts.stderr,
            close_stdin_on_eof: stdin_once && !tty,
        };

        // Subscribe before anything else: a start after this call must find us.
        let conn = if opts.stream {
            let (tx, rx) = oneshot::channel();
            let now = {
                let mut l = c.live();
                if l.accepting {
                    Some(tx)
                } else {
                    // Attachments whose clients left before the run are dropped here.
                    l.pending.retain(|p| !p.is_closed());
                    l.pending.push(tx);
                    None
                }
            };
            if let Some(tx) = now {
                let dir = c.exec_dir();
                // A run that has just ended leaves no monitor: the attachment ends at once.
                if let Ok(conn) = blocking(move || AttachConn::connect(&dir)).await? {
                    let _ = tx.send(conn.into_stream());
                }
            }
            Some(rx)
        } else {
            None
        };

        let replay = if opts.logs {
            let (format, path) = super::logging::readable(&c.record(), &c.exec_dir())?;
            let mut reader = LogReader::new(path, format, opts.stdout, opts.stderr);
            blocking(move || reader.read_new())
                .await?
                .ctx("reading the container's log")?
                .into_iter()
                .map(|e| StdFrame {
                    stream: e.stream,
                    data: e.line,
                })
                .collect()
        } else {
            Vec::new()
        };
        // moby's `containerAttach` tells it once the replay is read, streaming or not.
        self.event(&c, "attach", &[]);

        let (att, _) = wire(tty, replay, conn, opts.stdin && open_stdin, mode);
        Ok(att)
    }
}

/// Moves one attachment's data: the log replay, then output from the monitor to the client and
/// the client's input to the monitor, until the run ends or the client goes.
async fn pump(
    replay: Vec<StdFrame>,
    conn: Option<oneshot::Receiver<std::os::unix::net::UnixStream>>,
    mut input: Option<mpsc::Receiver<Input>>,
    out: mpsc::Sender<Result<StdFrame, io::Error>>,
    mode: Mode,
) {
    for f in replay {
        if out.send(Ok(f)).await.is_err() {
            return;
        }
    }
    let Some(conn) = conn else { return };
    let conn = tokio::select! {
        c = conn => match c {
            Ok(c) => c,
            Err(_) => return,
        },
        () = out.closed() => return,
    };
    let Ok(conn) = conn
        .set_nonblocking(true)
        .and_then(|()| tokio::net::UnixStream::from_std(conn))
    else {
        return;
    };
    let (mut rd, mut wr) = conn.into_split();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 32 * 1024];
    loop {
        tokio::select! {
            r = rd.read(&mut chunk) => {
                let n = match r {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                loop {
                    let (frame, used) = match Frame::decode(&buf) {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(_) => return,
                    };
                    buf.drain(..used);
                    let (stream, data) = match frame {
                        Frame::Stdout(d) if mode.stdout => (StdStream::Stdout, d),
                        Frame::Stderr(d) if mode.stderr => (StdStream::Stderr, d),
                        Frame::Exit(_) => return,
                        _ => continue,
                    };
                    let frame = StdFrame { stream, data: Bytes::from(data) };
                    if out.send(Ok(frame)).await.is_err() {
                        return;
                    }
                }
            }
            msg = next_input(&mut input) => match msg {
                Some(Input::Data(d)) => {
                    if wr.write_all(&Frame::Stdin(d.to_vec()).encode()).await.is_err() {
                        input = None;
                    }
                }
                Some(Input::Eof) if mode.close_stdin_on_eof => {
                    let _ = wr.write_all(&Frame::CloseStdin.encode()).await;
                    input = None;
                }
                Some(Input::Eof) => return,
                // The client detached: the container's stdin stays open.
                None => input = None,
            },
            () = out.closed() => return,
        }
    }
}

/// The next input message, or never when there is no input (any more).
async fn next_input(input: &mut Option<mpsc::Receiver<Input>>) -> Option<Input> {
    match input {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The client's stdin: bytes and the end of input go to the attachment's task through a
/// bounded channel (so a container that is not started yet holds the client back).
struct StdinSink {
    tx: PollSender<Input>,
    shut: bool,
}

fn broken_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the container's stdin is closed")
}

impl AsyncWrite for StdinSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.shut {
            return Poll::Ready(Err(broken_pipe()));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match this.tx.poll_reserve(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(_)) => return Poll::Ready(Err(broken_pipe())),
            Poll::Ready(Ok(())) => {}
        }
        let n = buf.len().min(MAX_INPUT_CHUNK);
        match this
            .tx
            .send_item(Input::Data(Bytes::copy_from_slice(&buf[..n])))
        {
            Ok(()) => Poll::Ready(Ok(n)),
            Err(_) => Poll::Ready(Err(broken_pipe())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.shut {
            return Poll::Ready(Ok(()));
        }
        match this.tx.poll_reserve(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(())) => {
                let _ = this.tx.send_item(Input::Eof);
            }
            Poll::Ready(Err(_)) => {}
        }
        this.shut = true;
        this.tx.close();
        Poll::Ready(Ok(()))
    }
}
