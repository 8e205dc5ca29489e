//! Execs: another process in a running container, under a monitor of its own (`wharfd monitor
//! --exec ID ...`), so that it survives the daemon as the container does and is never the
//! daemon's child.
//!
//! The exec's state directory (a [`ContainerDir`] named after the exec) holds `process.json`
//! (the OCI process `runc exec --process` reads), `monitor.lock`, `attach.sock`,
//! `started.json`, `exit.json`, `init.pid`, `runc.log` and `monitor.log`: the same records as a
//! container's, so [`crate::state`], [`crate::wait_exit`] and [`AttachConn`] work on it too.

use std::process::ChildStdin;

use oci_spec::runtime::{BoxBuilder, Capability, LinuxCapabilities, Process, UserBuilder};

use crate::container::{
    LAUNCH_TIMEOUT, MonitorCommand, Reports, Running, open_gate, report_error, spawn_monitor,
};
use crate::error::{Context, Error, Result};
use crate::monitor::{MonitorArgs, Report};
use crate::protocol::AttachConn;
use crate::state::{ContainerDir, Runtime};
use crate::user::User;

/// What an exec runs, resolved by the caller (moby's `ExecConfig` after create): the
/// environment already merged with the container's, the user already resolved in its rootfs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    /// The command and its arguments; `args[0]` is looked up in the `PATH` of `env`.
    pub args: Vec<String>,
    /// `KEY=value` entries.
    pub env: Vec<String>,
    /// The working directory inside the container (`/` when empty).
    pub cwd: String,
    /// Who runs it.
    pub user: User,
    /// `-t`: the process gets a pseudo-terminal.
    pub tty: bool,
    /// `-i`: the process's stdin is a pipe attach clients write to.
    pub open_stdin: bool,
    /// `--privileged`: every capability the kernel knows.
    pub privileged: bool,
    /// The tty's initial size (height, width).
    pub console_size: Option<(u16, u16)>,
}

/// The names of the capabilities, in the kernel's numbering (`CAP_CHOWN` is 0).
pub(crate) const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Every capability this kernel knows (moby's `caps.GetAllCapabilities`: those numbered up to
/// `/proc/sys/kernel/cap_last_cap`) that is in the daemon's own bounding set: runc, its child,
/// could not grant one outside it ("unable to apply caps"), where dockerd would fail the exec.
fn all_capabilities() -> Vec<Capability> {
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(CAPABILITIES.len() - 1);
    let bounding = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("CapBnd:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        })
        .unwrap_or(u64::MAX);
    CAPABILITIES
        .iter()
        .enumerate()
        .take(last + 1)
        .filter(|(n, _)| bounding & (1 << n) != 0)
        .filter_map(|(_, name)| serde_json::from_value(serde_json::Value::from(*name)).ok())
        .collect()
}

/// The exec's OCI process: the container's own (`config.json` of its bundle: capabilities,
/// rlimits, ...) with the exec's command, environment, working directory, terminal and user,
/// as moby's `ContainerExecStart` and `execSetPlatformOpt` make it.
pub fn exec_process(container: &ContainerDir, spec: &ExecSpec) -> Result<Process> {
    let bundle = oci_spec::runtime::Spec::load(container.config())
        .map_err(|e| Error::Runtime(format!("loading {}: {e}", container.config().display())))?;
    let mut p = bundle.process().clone().unwrap_or_default();
    let oci =
        |e: oci_spec::OciSpecError| Error::Runtime(format!("building the exec's process: {e}"));
    p.set_args(Some(spec.args.clone()))
        .set_env(Some(spec.env.clone()))
        .set_cwd(if spec.cwd.is_empty() {
            "/".into()
        } else {
            spec.cwd.clone().into()
        })
        .set_terminal(Some(spec.tty));
    let mut user = UserBuilder::default().uid(spec.user.uid).gid(spec.user.gid);
    if !spec.user.additional_gids.is_empty() {
        user = user.additional_gids(spec.user.additional_gids.clone());
    }
    p.set_user(user.build().map_err(oci)?);
    if spec.privileged {
        let all: oci_spec::runtime::Capabilities = all_capabilities().into_iter().collect();
        let mut caps = p
            .capabilities()
            .clone()
            .unwrap_or_else(LinuxCapabilities::default);
        caps.set_bounding(Some(all.clone()))
            .set_permitted(Some(all.clone()))
            .set_inheritable(Some(all.clone()))
            .set_effective(Some(all));
        p.set_capabilities(Some(caps));
    }
    let console = match spec.console_size.filter(|_| spec.tty) {
        Some((height, width)) => Some(
            BoxBuilder::default()
                .height(u64::from(height))
                .width(u64::from(width))
                .build()
                .map_err(oci)?,
        ),
        None => None,
    };
    p.set_console_size(console);
    Ok(p)
}

/// An exec whose monitor is ready and whose process has not started: attach now, then
/// [`PreparedExec::start`]. Dropping it without starting ends the monitor.
#[derive(Debug)]
pub struct PreparedExec {
    dir: ContainerDir,
    gate: ChildStdin,
    reports: Reports,
}

/// Writes the exec's `process.json` into `exec_dir` (created) and launches its monitor.
///
/// `container` is the running container's state directory (its bundle), `container_id` its
/// name in the runtime.
pub fn prepare_exec(
    container: &ContainerDir,
    exec_dir: &ContainerDir,
    spec: &ExecSpec,
    runtime: &Runtime,
    monitor: &MonitorCommand,
) -> Result<PreparedExec> {
    crate::spec::validate_id(exec_dir.id())?;
    if !exec_dir.path().is_absolute() {
        return Err(Error::InvalidParameter(format!(
            "exec directory {} is not absolute",
            exec_dir.path().display()
        )));
    }
    if spec.args.is_empty() {
        return Err(Error::InvalidParameter(
            "No exec command specified".to_owned(),
        ));
    }
    let process = exec_process(container, spec)?;
    std::fs::create_dir_all(exec_dir.path()).on_path("creating", exec_dir.path())?;
    let json = serde_json::to_vec_pretty(&process)
        .map_err(|e| Error::Runtime(format!("serialising the exec's process: {e}")))?;
    crate::state::write_replacing(&exec_dir.process_file(), &json)?;
    let args = MonitorArgs {
        id: container.id().to_owned(),
        state_dir: exec_dir.path().to_path_buf(),
        runtime: runtime.clone(),
        open_stdin: spec.open_stdin,
        exec: Some(exec_dir.id().to_owned()),
        bundle: Some(container.path().to_path_buf()),
        // An exec's output goes to its clients only: no log, whatever the container's.
        log: crate::LogSettings::default(),
    };
    let what = format!("exec {}", exec_dir.id());
    let (gate, mut reports) = spawn_monitor(monitor, &args, &exec_dir.monitor_log(), &what)?;
    match reports.next(LAUNCH_TIMEOUT)? {
        Report::Ready { .. } => Ok(PreparedExec {
            dir: exec_dir.clone(),
            gate,
            reports,
        }),
        other => Err(report_error(other, exec_dir)),
    }
}

impl PreparedExec {
    /// Connects to the monitor's attach socket; the connection sees all output from the very
    /// start of the process.
    pub fn attach(&self) -> Result<AttachConn> {
        AttachConn::connect(&self.dir)
    }

    /// Runs the process (natively or with `runc exec`) and waits until the monitor confirms
    /// it. [`Error::Start`] with
    /// dockerd's exit code (127 not found, 126 not executable) when it could not start.
    pub fn start(mut self) -> Result<Running> {
        open_gate(&mut self.gate, &format!("exec {}", self.dir.id()))?;
        match self.reports.next(LAUNCH_TIMEOUT)? {
            Report::Started { started_at } => {
                let started = self.dir.read_started()?.ok_or_else(|| {
                    Error::Runtime(format!("exec {} started without a record", self.dir.id()))
                })?;
                Ok(Running {
                    pid: started.pid,
                    monitor_pid: started.monitor_pid,
                    started_at,
                })
            }
            other => Err(report_error(other, &self.dir)),
        }
    }
}

/// dockerd's words for an exec that could not start (containerd's `OCI runtime exec failed`
/// around runc's message).
pub fn docker_exec_message(runtime_message: &str) -> String {
    format!("OCI runtime exec failed: {runtime_message}: unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_in_kernel_order_parse() {
        assert_eq!(CAPABILITIES[21], "CAP_SYS_ADMIN");
        let all = all_capabilities();
        assert!(all.contains(&Capability::SysAdmin));
        assert!(all.len() >= 30, "{all:?}");
    }

    #[test]
    fn messages() {
        assert_eq!(
            docker_exec_message("exec failed: x"),
            "OCI runtime exec failed: exec failed: x: unknown"
        );
    }
}
