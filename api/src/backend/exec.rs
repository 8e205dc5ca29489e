//! What the `/exec` routes (and `POST /containers/{id}/exec`) need from the daemon.

use std::future::Future;

use super::Attachment;
use crate::Error;
use crate::types::{ExecCreateRequest, ExecInspectResponse};

/// What `POST /exec/{id}/start` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecStartOptions {
    /// Start and answer at once, without a session (`Detach`).
    pub detach: bool,
    /// The tty's initial size, `[height, width]`, when the exec has a tty (`ConsoleSize`).
    pub console_size: Option<[u32; 2]>,
}

/// An exec session, ready to be wired to the client.
pub struct ExecSession {
    /// The exec's output and stdin. The process starts when the output is first polled (after
    /// the router has sent its 101), as dockerd starts it after answering: a client that reads
    /// the answer's headers first loses nothing. A start that fails then is told in-band, as
    /// dockerd does: its message and `\r\n` on stdout, then the end of the output.
    pub attachment: Attachment,
    /// The exec's detach keys as given at create (`ctrl-p,ctrl-q` when empty), watched for
    /// under a tty.
    pub detach_keys: String,
}

/// Execs.
pub trait ExecBackend {
    /// `POST /containers/{id}/exec`: registers an exec in the running container `id` names;
    /// returns its ID. 409 when the container is not running, paused or restarting.
    fn exec_create(
        &self,
        id: &str,
        req: ExecCreateRequest,
    ) -> impl Future<Output = Result<String, Error>> + Send;

    /// `POST /exec/{id}/start`. The checks dockerd makes before it answers (no such exec, its
    /// container stopped, paused or restarting) fail here. Detached: the process is started
    /// and `Ok(None)` returned once it runs (a failure to start is the answer). Attached: the
    /// session (see [`ExecSession`]).
    fn exec_start(
        &self,
        id: &str,
        opts: ExecStartOptions,
    ) -> impl Future<Output = Result<Option<ExecSession>, Error>> + Send;

    /// `POST /exec/{id}/resize`: sets the exec's tty size.
    fn exec_resize(
        &self,
        id: &str,
        height: u32,
        width: u32,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `GET /exec/{id}/json`, with the detach keys as they were given at create (the router
    /// writes them as dockerd does).
    fn exec_inspect(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<ExecInspectResponse, Error>> + Send;

    /// A client left the session of exec `id` with the detach keys (dockerd's `exec_detach`
    /// event). The process goes on running.
    fn exec_detached(&self, id: &str) -> impl Future<Output = ()> + Send;
}
