//! `cargo xtask`: the project's automation — tests (privileged ones included), a throwaway
//! daemon for newcomers, and benchmarks side by side with dockerd.

mod bench;
mod install;
mod ns;
mod packages;
mod pyenv;
mod run;
mod test;
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test                 fmt check, clippy -D warnings, unit tests, then the privileged tests (as root)
  run [WHARFD ARGS]    build wharfd, start it in a throwaway network namespace, Ctrl-C cleans up
  bench [--with-dockerd] [--runs N] [--only WORD]
                       start-up, memory, image and network benchmarks (side by side with
                       dockerd when installed)
  install [--root DIR] [--unit-dir DIR] [--no-units]
                       cargo install wharfd (default /usr/local/bin) and its systemd units
                       (contrib/systemd/, default /etc/systemd/system)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::main(&args[1..]),
        Some("run") => run::main(&args[1..]),
        Some("bench") => bench::main(&args[1..]),
        Some("install") => install::main(&args[1..]),
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .map(PathBuf::from)
        .expect("xtask lives one level below the workspace root")
}

/// Runs a command with inherited stdio; fails unless it exits 0.
pub fn run_checked(cmd: &mut std::process::Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run {cmd:?}: {e}"))?;
    anyhow::ensure!(status.success(), "{cmd:?} failed ({status})");
    Ok(())
}

/// `cargo`, as the one running this xtask.
pub fn cargo() -> std::process::Command {
    let mut cmd =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}
