//! Running one built test binary (or the doc tests) with a time limit, counting its results.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::binaries::TestBinary;
use crate::cargo;

/// How long one test binary (or the doc tests' run) may take.
const TEST_TIMEOUT: Duration = Duration::from_secs(25 * 60);

/// Passed / failed / ignored counts summed over libtest's result lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, c: Counts) {
        self.passed += c.passed;
        self.failed += c.failed;
        self.ignored += c.ignored;
    }
}

/// Runs `bin ARGS` in its package's directory, as `cargo test` would, with `env` added; through
/// `sudo` (keeping those variables) when `sudo` is set. Echoes its output and counts its results.
pub fn binary(bin: &TestBinary, args: &[&str], env: &[(&str, &str)], sudo: bool) -> Result<Counts> {
    eprintln!("     Running {} ({})", bin.name, bin.path.display());
    let mut cmd = if sudo {
        let keep: Vec<&str> = env
            .iter()
            .map(|(k, _)| *k)
            .chain(["CARGO", "CARGO_MANIFEST_DIR"])
            .collect();
        let mut cmd = Command::new("sudo");
        cmd.arg(format!("--preserve-env={}", keep.join(",")))
            .arg("--")
            .arg(&bin.path);
        cmd
    } else {
        Command::new(&bin.path)
    };
    // As `cargo test` runs them: the cargo that built them (tidy runs `cargo metadata`) and
    // the package's directory.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    cmd.args(args)
        .current_dir(&bin.package_dir)
        .env("CARGO", cargo)
        .env("CARGO_MANIFEST_DIR", &bin.package_dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    counted(cmd, &bin.name)
}

/// `cargo test --workspace --doc`.
pub fn cargo_test_doc() -> Result<Counts> {
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--doc"]);
    counted(cmd, "the doc tests")
}

/// Runs `cmd` in a process group of its own with a time limit, echoing its standard output and
/// summing its result lines; fails unless it exits 0.
fn counted(mut cmd: Command, what: &str) -> Result<Counts> {
    cmd.stdout(Stdio::piped());
    // Its own process group, so that a timeout stops what the tests started too.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().with_context(|| format!("running {what}"))?;
    let stdout = child.stdout.take().context("the tests' output")?;
    // A hung test must fail the run, not eat CI's whole time budget.
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let name = what.to_owned();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(TEST_TIMEOUT).is_err() {
            eprintln!("xtask: {name} ran over {TEST_TIMEOUT:?}; stopping it");
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(-(pid as i32)),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    });
    let mut counts = Counts::default();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(c) = parse_result(&line) {
            counts += c;
        }
    }
    let status = child.wait()?;
    let _ = done_tx.send(());
    let _ = watchdog.join();
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(counts)
}

/// Reads `test result: ok. 3 passed; 0 failed; 1 ignored; ...`.
fn parse_result(line: &str) -> Option<Counts> {
    let rest = line.strip_prefix("test result: ")?;
    let mut c = Counts::default();
    for part in rest.split(';') {
        let mut words = part.split_whitespace().rev();
        let (Some(what), Some(n)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => c.passed = n,
            "failed" => c.failed = n,
            "ignored" => c.ignored = n,
            _ => {}
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::parse_result;

    #[test]
    fn result_lines_are_summed() {
        let c = parse_result(
            "test result: ok. 12 passed; 1 failed; 3 ignored; 0 measured; 0 filtered out; \
             finished in 0.01s",
        )
        .expect("a result line");
        assert_eq!((c.passed, c.failed, c.ignored), (12, 1, 3));
        assert!(parse_result("running 3 tests").is_none());
    }
}
