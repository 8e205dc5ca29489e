//! Exec wire types: the create and start bodies, the create answer, the inspect answer.

use serde::{Deserialize, Serialize};

use super::container::null_as_default;

/// `POST /containers/{id}/exec` body (the spec's `ExecConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ExecCreateRequest {
    /// Attach to the process's stdin.
    #[serde(rename = "AttachStdin")]
    pub attach_stdin: bool,
    /// Attach to its stdout.
    #[serde(rename = "AttachStdout")]
    pub attach_stdout: bool,
    /// Attach to its stderr.
    #[serde(rename = "AttachStderr")]
    pub attach_stderr: bool,
    /// The tty's initial size, `[height, width]`.
    #[serde(rename = "ConsoleSize")]
    pub console_size: Option<[u32; 2]>,
    /// Detach keys for this exec's sessions (`ctrl-p,ctrl-q` when empty).
    #[serde(rename = "DetachKeys", deserialize_with = "null_as_default")]
    pub detach_keys: String,
    /// Allocate a pseudo-TTY.
    #[serde(rename = "Tty")]
    pub tty: bool,
    /// `KEY=value` entries added to (or replacing) the container's.
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
    /// The command and its arguments.
    #[serde(rename = "Cmd")]
    pub cmd: Option<Vec<String>>,
    /// All capabilities.
    #[serde(rename = "Privileged")]
    pub privileged: bool,
    /// `user`, `user:group`, `uid` or `uid:gid`; the container's user when empty.
    #[serde(rename = "User", deserialize_with = "null_as_default")]
    pub user: String,
    /// The working directory; the container's when empty.
    #[serde(rename = "WorkingDir", deserialize_with = "null_as_default")]
    pub working_dir: String,
}

/// `POST /exec/{id}/start` body (the spec's `ExecStartConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ExecStartRequest {
    /// Start and answer at once, without a session.
    #[serde(rename = "Detach")]
    pub detach: bool,
    /// The session is a tty's (raw output).
    #[serde(rename = "Tty")]
    pub tty: bool,
    /// The tty's initial size, `[height, width]`.
    #[serde(rename = "ConsoleSize")]
    pub console_size: Option<[u32; 2]>,
}

/// `GET /exec/{id}/json`, in the field order dockerd writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ExecInspectResponse {
    /// The exec's ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// The process runs.
    #[serde(rename = "Running")]
    pub running: bool,
    /// How it ended; `null` until then (moby's `*int`).
    #[serde(rename = "ExitCode")]
    pub exit_code: Option<i64>,
    /// What it runs.
    #[serde(rename = "ProcessConfig")]
    pub process_config: ProcessConfig,
    /// Stdin was asked for.
    #[serde(rename = "OpenStdin")]
    pub open_stdin: bool,
    /// Stderr was asked for.
    #[serde(rename = "OpenStderr")]
    pub open_stderr: bool,
    /// Stdout was asked for.
    #[serde(rename = "OpenStdout")]
    pub open_stdout: bool,
    /// The daemon will forget it at its next clean-up.
    #[serde(rename = "CanRemove")]
    pub can_remove: bool,
    /// The container it runs in.
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    /// The detach keys as given at create (moby's `[]byte`, so base64).
    #[serde(rename = "DetachKeys")]
    pub detach_keys: String,
    /// The process's host PID (0 before it starts).
    #[serde(rename = "Pid")]
    pub pid: i64,
}

/// `ProcessConfig`, in moby's field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ProcessConfig {
    /// Under a tty.
    #[serde(rename = "tty")]
    pub tty: bool,
    /// The command.
    #[serde(rename = "entrypoint")]
    pub entrypoint: String,
    /// Its arguments.
    #[serde(rename = "arguments")]
    pub arguments: Vec<String>,
    /// `--privileged`.
    #[serde(rename = "privileged")]
    pub privileged: bool,
    /// The user as given (left out when empty).
    #[serde(rename = "user", default, skip_serializing_if = "String::is_empty")]
    pub user: String,
}
