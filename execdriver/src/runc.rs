//! Running the OCI runtime binary (`runc`) and making sense of its failures.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Context, Error, Result};
use crate::state::Runtime;

/// A `runc` command with the runtime's state root and, if given, its JSON log file (so that
/// its error messages can be read back without mixing them into the container's output).
pub(crate) fn command(rt: &Runtime, log: Option<&Path>) -> Command {
    let mut cmd = Command::new(&rt.binary);
    cmd.arg("--root").arg(&rt.root);
    if let Some(log) = log {
        cmd.arg("--log").arg(log).args(["--log-format", "json"]);
    }
    cmd
}

/// The message of the last error runc logged to its JSON log (`{"level":"error","msg":...}`).
pub(crate) fn last_error(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["level"] == "error" || v["level"] == "fatal")
        .and_then(|v| v["msg"].as_str().map(str::to_owned))
}

/// Runs `cmd` to completion with no input, returning its stderr as the error message when it
/// fails (or the last error of `log`, when runc logs to a file).
pub(crate) fn run(mut cmd: Command, what: &str, log: Option<&Path>) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_program(&cmd)?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = log
        .and_then(last_error)
        .or_else(|| runc_message(&stderr))
        .unwrap_or_else(|| format!("{what} failed ({})", out.status));
    Err(Error::Runtime(message))
}

/// Extracts `msg="..."` from runc's text log format, else the trimmed text.
fn runc_message(stderr: &str) -> Option<String> {
    let line = stderr.lines().rev().find(|l| !l.trim().is_empty())?;
    if let Some(start) = line.find("msg=\"") {
        let rest = &line[start + 5..];
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '"' => return Some(out),
                c => out.push(c),
            }
        }
    }
    Some(line.trim().to_owned())
}

trait WithProgram<T> {
    fn with_program(self, cmd: &Command) -> Result<T>;
}

impl<T> WithProgram<T> for std::io::Result<T> {
    fn with_program(self, cmd: &Command) -> Result<T> {
        self.context(format!("running {}", cmd.get_program().to_string_lossy()))
    }
}

/// The exit code dockerd records for a container whose start failed with `message`, and the
/// message as dockerd reports it (moby `translateContainerdStartErr`).
pub fn start_failure(message: &str) -> (i32, String) {
    let lower = message.to_lowercase();
    if lower.contains("is a directory") {
        // dockerd appends EACCES so that the CLI, which looks for it, exits 126.
        return (126, format!("{message}: permission denied"));
    }
    let mut code = 128;
    let mut message = message.to_owned();
    if lower.contains("executable file not found")
        || lower.contains("no such file or directory")
        || lower.contains("system cannot find the file specified")
    {
        code = 127;
    }
    if lower.contains("permission denied") {
        code = 126;
    }
    if lower.contains("not a directory") {
        code = 127;
        message.push_str(
            ": Are you trying to mount a directory onto a file (or vice-versa)? Check if the \
             specified host path exists and is the expected type",
        );
    }
    (code, message)
}

/// The message dockerd answers a failed start with, around runc's own message:
/// `failed to create task for container: failed to create shim task: OCI runtime create
/// failed: <runc's message>: unknown`.
pub fn docker_start_message(runtime_message: &str) -> String {
    format!(
        "failed to create task for container: failed to create shim task: OCI runtime create \
         failed: {runtime_message}: unknown"
    )
}

/// Sends `signal` (a number or a name such as `KILL` or `SIGTERM`) to the container's init
/// process with `runc kill`. [`Error::NotFound`] when runc does not know the container,
/// [`Error::Conflict`] when it is not running.
pub fn kill(rt: &Runtime, id: &str, signal: &str) -> Result<()> {
    crate::spec::validate_id(id)?;
    let mut cmd = command(rt, None);
    cmd.args(["kill", id, signal]);
    run(cmd, "runc kill", None).map_err(|e| classify(e, id))
}

/// Deletes the container's runc state (`runc delete`, with `--force` killing a running one).
/// Deleting a container runc does not know is not an error.
pub fn delete(rt: &Runtime, id: &str, force: bool) -> Result<()> {
    crate::spec::validate_id(id)?;
    let mut cmd = command(rt, None);
    cmd.arg("delete");
    if force {
        cmd.arg("--force");
    }
    cmd.arg(id);
    match run(cmd, "runc delete", None).map_err(|e| classify(e, id)) {
        Err(Error::NotFound(_)) => Ok(()),
        other => other,
    }
}

fn classify(e: Error, id: &str) -> Error {
    match e {
        Error::Runtime(m) if m.contains("does not exist") => {
            Error::NotFound(format!("no such container in the runtime: {id}"))
        }
        Error::Runtime(m) if m.contains("not running") => {
            Error::Conflict(format!("container {id} is not running"))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_as_dockerd() {
        let nf = r#"runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH"#;
        assert_eq!(start_failure(nf), (127, nf.to_owned()));
        let abs = r#"runc create failed: unable to start container process: exec: "/x": stat /x: no such file or directory"#;
        assert_eq!(start_failure(abs).0, 127);
        let denied = r#"runc create failed: unable to start container process: exec: "/etc": permission denied"#;
        assert_eq!(start_failure(denied).0, 126);
        let (code, msg) = start_failure("exec: \"/etc\": is a directory");
        assert_eq!(code, 126);
        assert!(msg.ends_with(": permission denied"));
        assert_eq!(start_failure("cgroup: something else").0, 128);
        let (code, msg) = start_failure("mount /a to /b: not a directory");
        assert_eq!(code, 127);
        assert!(msg.contains("Are you trying to mount"));
        assert_eq!(
            docker_start_message(nf),
            "failed to create task for container: failed to create shim task: OCI runtime \
             create failed: runc create failed: unable to start container process: exec: \
             \"nosuchcmd\": executable file not found in $PATH: unknown"
        );
    }

    #[test]
    fn messages_from_runc_logs() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("runc.log");
        std::fs::write(
            &log,
            "{\"level\":\"warning\",\"msg\":\"w\"}\n{\"level\":\"error\",\"msg\":\"boom \\\"x\\\"\",\"time\":\"t\"}\n{\"level\":\"info\",\"msg\":\"i\"}\n",
        )
        .unwrap();
        assert_eq!(last_error(&log).as_deref(), Some("boom \"x\""));
        assert_eq!(last_error(&dir.path().join("none")), None);
        let text = "time=\"2026\" level=error msg=\"container \\\"x\\\" does not exist\"\n";
        assert_eq!(
            runc_message(text).as_deref(),
            Some("container \"x\" does not exist")
        );
        assert_eq!(runc_message("plain\n").as_deref(), Some("plain"));
    }
}
