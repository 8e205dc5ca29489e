//! The per-container monitor: a small single-threaded process, one per running container, that
//! outlives the daemon (as containerd-shim or conmon do).
//!
//! The daemon re-executes itself as `wharfd monitor --id ID --state-dir DIR --runtime RUNC
//! --runtime-root ROOT [--stdin]` ([`MonitorArgs`]) and its `main` calls [`monitor_main`] before
//! any thread exists. The monitor then:
//!
//! 1. forks (the daemon reaps the short-lived parent at once) and calls `setsid`, so it belongs
//!    to no daemon session and is re-parented to init; it becomes a child subreaper, so the
//!    container's init process, once `runc create` exits, is its child;
//! 2. takes an exclusive `flock` on `monitor.lock` for its whole life (the daemon's liveness
//!    test, immune to PID reuse), binds `attach.sock`, creates the stdio pipes (or, under a tty,
//!    the console socket on which runc sends the pty master) and runs `runc create
//!    --pid-file init.pid`;
//! 3. reports `created` on its stdout (a pipe to the daemon, one JSON object per line) and waits
//!    for `start` on its stdin, so the daemon can attach before the process runs; EOF instead
//!    aborts (the container is deleted);
//! 4. runs `runc start`, writes `started.json`, reports `started`, and detaches stdin and stdout
//!    from the daemon;
//! 5. copies the container's output to the log (json-file or local, rotated; none with the
//!    `none` driver) and to every attach connection, and
//!    attach clients' stdin to the container, in one `poll` loop with a signalfd for `SIGCHLD`;
//! 6. when the init process is reaped and the output is drained, runs `runc delete`, writes
//!    `exit.json` atomically, sends the exit frame to attach clients and exits.
//!
//! `--exec ID` makes it an exec's monitor (see the `exec` module): the same steps, with the
//! process started by the monitor itself (the `nsexec` module), or `runc exec --detach` for
//! what that does not reproduce, instead of `runc create` and `runc start`, and no json-file
//! log.
//!
//! A start failure (`runc create` or `runc start` failing) is recorded in `exit.json` with
//! dockerd's exit code (127, 126, 128) and runc's message, and reported as `failed`.

mod args;
mod event_loop;
mod exec;
mod launch;
mod report;
mod tty;

pub use args::MonitorArgs;
pub(crate) use report::Report;

/// The monitor's entry point; never returns.
///
/// Call it from `main` when `argv[1] == "monitor"`, before starting any thread or async
/// runtime: it forks, and it closes every inherited file descriptor above 2.
pub fn monitor_main(args: MonitorArgs) -> ! {
    if let Err(message) = launch::detach() {
        report::send(&Report::Error {
            message,
            conflict: false,
        });
        std::process::exit(1);
    }
    let run = if args.exec.is_some() {
        exec::run
    } else {
        launch::run
    };
    let code = match run(&args) {
        Ok(()) => 0,
        Err(e) => {
            note(&format!("monitor of {} failed: {e}", args.id));
            report::send(&Report::Error {
                message: e.to_string(),
                conflict: matches!(e, crate::Error::Conflict(_)),
            });
            1
        }
    };
    std::process::exit(code)
}

/// A line in the monitor's own log (its stderr, `monitor.log`).
pub(crate) fn note(message: &str) {
    eprintln!("{:.9} {message}", jiff::Timestamp::now());
}
