//! `cargo xtask test`: everything CI checks, in order, failing on the first problem.
//!
//! Privileged tests are the `#[ignore = "privileged"]` ones; they run here as root, after the
//! unit tests. If they cannot run (not root) the command fails: a skipped privileged test is a
//! failure, not a pass. Each namespace they create carries this run's tag, so leftovers are
//! found and reported.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use anyhow::{Context, Result, bail, ensure};

use crate::{cargo, packages, run_checked};

/// How long one `cargo test` run (build included) may take.
const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25 * 60);

/// Passed / failed / ignored counts summed over `cargo test` result lines.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

pub fn main(args: &[String]) -> Result<()> {
    ensure!(args.is_empty(), "cargo xtask test takes no arguments");
    ensure!(
        nix::unistd::geteuid().is_root(),
        "cargo xtask test runs privileged tests (network namespaces, the real daemon) and must \
         run as root"
    );
    packages::ensure(&[packages::RUNTIME_PACKAGES, packages::TEST_PACKAGES].concat())?;
    ensure!(
        std::path::Path::new(testkit_docker_cli()).exists(),
        "the Docker CLI is expected at {} (the tests drive the daemon with it)",
        testkit_docker_cli()
    );

    step("format");
    run_checked(cargo().args(["fmt", "--all", "--", "--check"]))?;
    step("clippy");
    run_checked(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("unit tests");
    let unit = cargo_test(&[], &[])?;

    step("privileged tests");
    let run_tag = format!("x{}", std::process::id());
    let privileged = cargo_test(
        &["--", "--ignored"],
        &[("WHARF_TEST_RUN", run_tag.as_str())],
    )?;
    let leftovers = leftover_namespaces(&run_tag);
    ensure!(
        leftovers.is_empty(),
        "privileged tests left network namespaces behind: {}",
        leftovers.join(" ")
    );
    ensure!(privileged.passed > 0, "no privileged test ran");
    ensure!(
        privileged.ignored == 0,
        "{} privileged tests were skipped",
        privileged.ignored
    );

    let passed = unit.passed + privileged.passed;
    let failed = unit.failed + privileged.failed;
    println!(
        "\nxtask: {} unit and {} privileged tests passed",
        unit.passed, privileged.passed
    );
    println!("{passed} passed, {failed} failed");
    Ok(())
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}

fn testkit_docker_cli() -> &'static str {
    "/usr/local/bin/docker"
}

/// Runs `cargo test --workspace ARGS`, echoing its output and summing its result lines.
fn cargo_test(args: &[&str], env: &[(&str, &str)]) -> Result<Counts> {
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"])
        .args(args)
        .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Its own process group, so that a timeout stops the test binaries too.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().context("running cargo test")?;
    let stdout = child.stdout.take().context("cargo test's output")?;
    // A hung test must fail the run, not eat CI's whole time budget.
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(TEST_TIMEOUT).is_err() {
            eprintln!("xtask: cargo test ran over {TEST_TIMEOUT:?}; stopping it");
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
            counts.passed += c.passed;
            counts.failed += c.failed;
            counts.ignored += c.ignored;
        }
    }
    let status = child.wait()?;
    let _ = done_tx.send(());
    let _ = watchdog.join();
    if !status.success() {
        bail!("cargo test {} failed ({status})", args.join(" "));
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

fn leftover_namespaces(run_tag: &str) -> Vec<String> {
    let prefix = format!("wharf-{run_tag}-");
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
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
