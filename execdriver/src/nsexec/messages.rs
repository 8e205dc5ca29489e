//! runc's words for each step of a native exec's start that can fail.

use std::path::PathBuf;

use super::child::{Record, Stage};
use super::seccomp::errno_text;

/// runc's words around every error of an exec's start.
pub(super) const PREFIX: &str = "exec failed: unable to start container process: ";

/// What a failure's message names.
pub(super) struct Failed<'a> {
    /// The first child's PID (the one moved into the cgroups).
    pub(super) first: i32,
    /// `args[0]`.
    pub(super) arg0: &'a str,
    /// The working directory.
    pub(super) cwd: &'a str,
    /// The cgroup directories, in the plan's order.
    pub(super) cgroups: &'a [PathBuf],
    /// The namespace files, in the plan's order.
    pub(super) namespaces: &'a [PathBuf],
    /// The `PATH` candidates, in the plan's order.
    pub(super) candidates: &'a [String],
}

impl Failed<'_> {
    /// runc's message for the failed step (after runc's common prefix).
    pub(super) fn message(&self, r: Record) -> String {
        let err = errno_text(r.errno);
        let nth = |paths: &[PathBuf]| {
            usize::try_from(r.value)
                .ok()
                .and_then(|i| paths.get(i))
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let arg0 = self.arg0;
        match Stage::from_raw(r.stage) {
            Some(Stage::Cgroup) => format!(
                "error adding pid {} to cgroups: failed to write 0 to {}/cgroup.procs: {err}",
                self.first,
                nth(self.cgroups)
            ),
            Some(Stage::Rlimit) => {
                format!("error setting rlimits for process: error setting rlimit: {err}")
            }
            Some(Stage::OomScoreAdj) => format!("failed to update /proc/self/oom_score_adj: {err}"),
            Some(Stage::Setns) => {
                format!("failed to setns to {}: {err}", nth(self.namespaces))
            }
            Some(Stage::Fork) => format!("unable to fork: {err}"),
            Some(Stage::Setsid) => format!("setsid failed: {err}"),
            Some(Stage::Keyring) => format!("unable to join session keyring: {err}"),
            Some(Stage::Stdio) => format!("dup2: {err}"),
            Some(Stage::Ctty) => format!("ioctl(setctty): {err}"),
            Some(Stage::NoNewPrivs) => format!("prctl(SET_NO_NEW_PRIVS): {err}"),
            Some(Stage::Seccomp) => {
                format!("unable to init seccomp: error loading seccomp filter into kernel: {err}")
            }
            Some(Stage::Chdir) => {
                format!(
                    "chdir to cwd ({:?}) set in config.json failed: {err}",
                    self.cwd
                )
            }
            Some(Stage::Bounding) => format!("unable to apply bounding set: {err}"),
            Some(Stage::KeepCaps) => format!("unable to set keep caps: {err}"),
            Some(Stage::Setgroups) => format!("unable to setup user: setgroups: {err}"),
            Some(Stage::Setgid | Stage::Setuid) => format!("unable to setup user: {err}"),
            Some(Stage::Caps) => format!("unable to apply caps: {err}"),
            Some(Stage::NotFound) => {
                format!("exec: {arg0:?}: executable file not found in $PATH")
            }
            Some(Stage::Stat) => format!("exec: {arg0:?}: stat {arg0}: {err}"),
            Some(Stage::NotExecutable) => format!("exec: {arg0:?}: permission denied"),
            Some(Stage::Relative) => {
                format!("exec: {arg0:?}: cannot run executable found relative to current directory")
            }
            Some(Stage::Exec) => {
                let path = usize::try_from(r.value)
                    .ok()
                    .and_then(|i| self.candidates.get(i))
                    .map_or(arg0, String::as_str);
                format!("exec {path}: {err}")
            }
            None => format!("unknown failure {} ({err})", r.stage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::libc;

    #[test]
    fn messages_as_runc_words_them() {
        let f = Failed {
            first: 5,
            arg0: "nosuchcmd",
            cwd: "/nope",
            cgroups: &[],
            namespaces: &[],
            candidates: &[],
        };
        let rec = |stage: Stage, errno: i32| {
            let mut r = Record::default();
            r.stage = stage as i32;
            r.errno = errno;
            r
        };
        assert_eq!(
            format!("{PREFIX}{}", f.message(rec(Stage::NotFound, 0))),
            "exec failed: unable to start container process: exec: \"nosuchcmd\": executable \
             file not found in $PATH"
        );
        assert_eq!(
            f.message(rec(Stage::Chdir, libc::ENOENT)),
            "chdir to cwd (\"/nope\") set in config.json failed: no such file or directory"
        );
        let full = format!("{PREFIX}{}", f.message(rec(Stage::NotExecutable, 0)));
        assert_eq!(crate::runc::start_failure(&full).0, 126);
        let full = format!("{PREFIX}{}", f.message(rec(Stage::Chdir, libc::ENOENT)));
        assert_eq!(crate::runc::start_failure(&full).0, 127);
    }
}
