//! `cargo xtask test`: everything CI checks, in order, failing on the first problem.
//!
//! The test binaries are built once, by one `cargo test --no-run` that needs no root, and then
//! run directly (`cargo test` would build again and run per step): the unit tests first, then
//! the privileged ones (`#[ignore = "privileged"]`, one binary per crate, `tests/it/main.rs`),
//! all as root: as they are when this command runs as root, else through `sudo`, so only the
//! test binaries get root, never the build. A skipped privileged test is a failure, not a pass,
//! and so is a run in which none ran. Each namespace they create carries this run's tag, so
//! leftovers are found and reported.

mod binaries;
mod run;

use anyhow::{Result, ensure};

use crate::{cargo, packages, pyenv, run_checked};
use binaries::TestBinary;
use run::Counts;

/// The variable `testkit::NetNs` reads the run's tag from.
const RUN_TAG_VAR: &str = "WHARF_TEST_RUN";

pub fn main(args: &[String]) -> Result<()> {
    ensure!(args.is_empty(), "cargo xtask test takes no arguments");
    let root = nix::unistd::geteuid().is_root();
    if root {
        packages::ensure(&[packages::RUNTIME_PACKAGES, packages::TEST_PACKAGES].concat())?;
    } else {
        packages::require(packages::TEST_PACKAGES)?;
        ensure!(
            which("sudo"),
            "cargo xtask test runs the privileged tests (network namespaces, the real daemon) \
             as root: run it as root, or install sudo"
        );
    }
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

    step("build the tests");
    let bins = binaries::build()?;
    ensure!(
        !bins.is_empty(),
        "cargo test --no-run reported no test binary"
    );
    eprintln!("xtask: {} test binaries", bins.len());

    // Only the test binaries run as root: through sudo when this command is not root already.
    let sudo = !root;
    step("unit tests");
    let mut unit = run_all(&bins, None, &[], sudo)?;
    step("doc tests");
    // Rustdoc builds and runs these itself; there is no binary to run instead.
    unit += run::cargo_test_doc()?;

    step("privileged tests");
    let run_tag = format!("x{}", std::process::id());
    let docker_py = pyenv::ensure_docker_py()?;
    let ansible = pyenv::ensure_ansible()?;
    let clients = [
        (pyenv::DOCKER_PY_VAR, docker_py.to_string_lossy()),
        (pyenv::ANSIBLE_VAR, ansible.to_string_lossy()),
    ];
    let privileged = run_all(&bins, Some(&run_tag), &clients, sudo);
    let leftovers = leftover_namespaces(&run_tag);
    let privileged = privileged?;
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

/// Runs every binary: its unit tests, or with `run_tag` its privileged (ignored) tests, which
/// tag their namespaces with it and find the Python clients (docker-py, Ansible) through the
/// variables of `clients`. Sums the counts; fails on the first binary that fails.
fn run_all(
    bins: &[TestBinary],
    run_tag: Option<&str>,
    clients: &[(&str, std::borrow::Cow<'_, str>)],
    sudo: bool,
) -> Result<Counts> {
    let (args, env) = match run_tag {
        Some(tag) => {
            let mut env = vec![(RUN_TAG_VAR, tag)];
            env.extend(clients.iter().map(|(k, v)| (*k, v.as_ref())));
            (vec!["--ignored"], env)
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut total = Counts::default();
    for bin in bins {
        total += run::binary(bin, &args, &env, sudo)?;
    }
    Ok(total)
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}

fn testkit_docker_cli() -> &'static str {
    "/usr/local/bin/docker"
}

/// Whether `program` is found on `PATH`.
fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
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
