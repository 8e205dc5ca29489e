//! What the `/containers` routes need from the daemon, and the streams they exchange with it.
//!
//! Every `id` argument is the raw `{id}` path segment: a full ID, a unique ID prefix or a name
//! (with or without its leading `/`). Resolving it is the daemon's job (it owns the index);
//! unknown terms fail with a 404 `No such container: {term}`, the term as the client gave it.

use std::future::Future;
use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use jiff::Timestamp;
use tokio::io::AsyncWrite;

use crate::Error;
use crate::filters::Filters;
use crate::signal::Signal;
use crate::types::{
    ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerSummary,
    ContainerWaitResponse,
};

/// Which of a container's output streams a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StdStream {
    /// Standard output (frame type 1).
    Stdout,
    /// Standard error (frame type 2).
    Stderr,
}

/// A chunk of a container's output, as the process wrote it (not necessarily a whole line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdFrame {
    /// The stream it was written to (always [`StdStream::Stdout`] under a TTY).
    pub stream: StdStream,
    /// The bytes.
    pub data: Bytes,
}

/// A container's output while attached: ends when the attachment is over (see
/// [`ContainerBackend::container_attach`]). An `Err` ends it too, after being logged.
pub type OutputStream = Pin<Box<dyn Stream<Item = Result<StdFrame, io::Error>> + Send>>;

/// Where the client's stdin bytes go.
///
/// The router calls `poll_shutdown` when the client ends its stdin (half-closes the
/// connection), and only then; it drops the sink without shutting it down when the client
/// detaches or goes away.
pub type InputSink = Pin<Box<dyn AsyncWrite + Send>>;

/// Resolves once the wait condition is met; the router sends the response headers before
/// awaiting it.
pub type WaitFuture = Pin<Box<dyn Future<Output = ContainerWaitResponse> + Send>>;

/// One record of a container's log: a line (with its newline) or a part of a long one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The stream it was written to.
    pub stream: StdStream,
    /// When the daemon read it from the container.
    pub time: Timestamp,
    /// The bytes, including the trailing newline if there was one.
    pub line: Bytes,
}

/// Log records in the order they were written. An `Err` is reported in-band and the stream
/// goes on.
pub type LogStream = Pin<Box<dyn Stream<Item = Result<LogEntry, io::Error>> + Send>>;

/// What `POST /containers/{id}/wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitCondition {
    /// The container is not running: at once if it is not running now (`not-running`).
    #[default]
    NotRunning,
    /// The container's next exit after this call, even if it is not running now (`next-exit`).
    NextExit,
    /// The container has been removed (`removed`).
    Removed,
}

/// What `POST /containers/{id}/attach` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachOptions {
    /// Stream output from now on (`stream`).
    pub stream: bool,
    /// Replay the log first (`logs`).
    pub logs: bool,
    /// Forward the client's input to the container's stdin (`stdin`).
    pub stdin: bool,
    /// Include stdout (`stdout`).
    pub stdout: bool,
    /// Include stderr (`stderr`).
    pub stderr: bool,
}

/// An attachment, ready to be wired to the client.
pub struct Attachment {
    /// The container has a TTY: output is sent raw, not in 8-byte-header frames, and the
    /// detach keys are watched for in the input.
    pub tty: bool,
    /// The container's output.
    pub output: OutputStream,
    /// The container's stdin, when asked for and the container has `OpenStdin`.
    pub input: Option<InputSink>,
}

/// What `GET /containers/{id}/logs` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsOptions {
    /// Keep streaming new records until the container stops (`follow`).
    pub follow: bool,
    /// Include stdout (`stdout`).
    pub stdout: bool,
    /// Include stderr (`stderr`).
    pub stderr: bool,
    /// Only records at or after this time (`since`).
    pub since: Option<Timestamp>,
    /// Only records at or before this time (`until`).
    pub until: Option<Timestamp>,
    /// Only the last this many records (`tail`); `None` is all.
    pub tail: Option<usize>,
    /// Each line starts with the record's attributes (`labels`/`env`/`tag` log options) and
    /// a space (`details`).
    pub details: bool,
}

/// A container's log, ready to be sent.
pub struct ContainerLogs {
    /// The container has a TTY: records are sent raw, not framed.
    pub tty: bool,
    /// The records.
    pub entries: LogStream,
}

/// What `POST /containers/{id}/stop` and `/restart` ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StopOptions {
    /// The signal to stop with (`signal`); `None`: the container's `StopSignal`, else SIGTERM.
    pub signal: Option<Signal>,
    /// Seconds to wait before SIGKILL (`t`); `None`: the container's `StopTimeout`, else 10;
    /// negative: wait forever.
    pub timeout: Option<i64>,
}

/// What `DELETE /containers/{id}` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Kill a running container first (`force`).
    pub force: bool,
    /// Remove its anonymous volumes (`v`).
    pub remove_volumes: bool,
    /// Remove a legacy link instead of the container (`link`).
    pub link: bool,
}

/// What `GET /containers/json` asks for. The router has checked the filter keys and the
/// values of `status`, `exited`, `health` and `is-task`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerListOptions {
    /// Include containers that are not running (`all`, or implied by a `status` filter).
    pub all: bool,
    /// Only the most recently created this many, running or not (`limit`, when positive).
    pub limit: Option<usize>,
    /// Compute `SizeRw` and `SizeRootFs` (`size`).
    pub size: bool,
    /// `ancestor`, `before`, `expose`, `exited`, `health`, `id`, `is-task`, `isolation`,
    /// `label`, `name`, `network`, `publish`, `since`, `status`, `volume`.
    pub filters: Filters,
}

/// `/containers`.
pub trait ContainerBackend {
    /// `POST /containers/create`: creates the container; `name` is the `name` query value if
    /// non-empty (the daemon validates it, picks one if absent, and fails with 409 on a clash).
    fn container_create(
        &self,
        name: Option<&str>,
        req: ContainerCreateRequest,
    ) -> impl Future<Output = Result<ContainerCreateResponse, Error>> + Send;

    /// `POST /containers/{id}/start`; [`Error::not_modified`] if it is already running.
    fn container_start(&self, id: &str) -> impl Future<Output = Result<(), Error>> + Send;

    /// `POST /containers/{id}/wait`: resolves the container and registers the waiter, then
    /// returns a future for the result. An exit after this method returns is never missed.
    fn container_wait(
        &self,
        id: &str,
        condition: WaitCondition,
    ) -> impl Future<Output = Result<WaitFuture, Error>> + Send;

    /// `POST /containers/{id}/attach`: subscribes to the container's output (and stdin)
    /// before returning, so a `start` after this call loses nothing (`docker run` attaches,
    /// then starts).
    ///
    /// The output carries only the streams asked for: with `logs`, the log's records first;
    /// with `stream`, then what the container writes from now on. It ends when the container's
    /// current run ends (for a container not yet started, the next run), right after the replay
    /// without `stream`, or when stdin ends and moby would end the attachment (the container has
    /// a TTY or no `StdinOnce`). With `StdinOnce` and no TTY, the end of the client's stdin
    /// closes the container's stdin and the output goes on to the exit.
    ///
    /// `input` is `Some` when `stdin` was asked for and the container has `OpenStdin`. Several
    /// attachments may share one container stdin.
    fn container_attach(
        &self,
        id: &str,
        opts: AttachOptions,
    ) -> impl Future<Output = Result<Attachment, Error>> + Send;

    /// A client left an attach session of container `id` with the detach keys (dockerd's
    /// `detach` event). Nothing else changes: the container goes on running.
    fn container_detached(&self, id: &str) -> impl Future<Output = ()> + Send;

    /// `GET /containers/{id}/logs`: the records of the streams asked for, between `since` and
    /// `until`, the last `tail` of them; with `follow`, then new records until the container
    /// stops. The router adds timestamps and framing.
    fn container_logs(
        &self,
        id: &str,
        opts: LogsOptions,
    ) -> impl Future<Output = Result<ContainerLogs, Error>> + Send;

    /// `POST /containers/{id}/stop`: returns once it has stopped; [`Error::not_modified`] if
    /// it was not running.
    fn container_stop(
        &self,
        id: &str,
        opts: StopOptions,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `POST /containers/{id}/restart`: stops it if running, then starts it.
    fn container_restart(
        &self,
        id: &str,
        opts: StopOptions,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `POST /containers/{id}/kill`: sends `signal`; 409 `Container {id} is not running` (the
    /// full ID) if it is not running. The router prefixes every failure with `Cannot kill
    /// container: {id}: `.
    fn container_kill(
        &self,
        id: &str,
        signal: Signal,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `DELETE /containers/{id}`; 409 `cannot remove container "{name}": ...` (moby's words
    /// since API 1.44) if it is running and not `force`.
    fn container_delete(
        &self,
        id: &str,
        opts: DeleteOptions,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `GET /containers/json`: the matching containers, newest first. Without `all` and
    /// `limit`, only running ones (moby's rule); `limit` keeps the newest after filtering.
    fn container_list(
        &self,
        opts: ContainerListOptions,
    ) -> impl Future<Output = Result<Vec<ContainerSummary>, Error>> + Send;

    /// `GET /containers/{id}/json`; `size` asks for `SizeRw` and `SizeRootFs`.
    fn container_inspect(
        &self,
        id: &str,
        size: bool,
    ) -> impl Future<Output = Result<ContainerInspect, Error>> + Send;

    /// `POST /containers/{id}/resize`: sets the TTY's size; 409 `Container {id} is not
    /// running` if it is not running.
    fn container_resize(
        &self,
        id: &str,
        height: u32,
        width: u32,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}
