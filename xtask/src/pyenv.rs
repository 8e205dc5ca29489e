//! Python clients for the tests: virtual environments under `target/` holding the exact client
//! versions the compatibility tests are written against (docker-py; Ansible with its
//! `community.docker` collection), made on demand (CI starts from a fresh machine) and reused
//! while they hold those versions.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{packages, run_checked, workspace_root};

/// The docker-py release the tests drive the daemon with (issue 12 names it).
const DOCKER_PY: &str = "docker==7.2.0";

/// The variable `testkit::docker_py` reads the interpreter's path from.
pub const DOCKER_PY_VAR: &str = "WHARF_DOCKER_PY";

/// The Ansible release of the fleet test (issue 16): the newest that runs on Debian's Python
/// 3.11; it ships the `community.docker` collection (4.8), which speaks the Engine API itself
/// over `requests` (which Ansible does not install).
const ANSIBLE: &str = "ansible==12.3.0";
const REQUESTS: &str = "requests==2.34.2";

/// The variable the fleet test reads the Ansible venv's `bin` directory from.
pub const ANSIBLE_VAR: &str = "WHARF_ANSIBLE";

/// One pinned Python package in a venv of its own.
struct Pinned {
    /// The venv's directory name under `target/`.
    dir: &'static str,
    /// What pip installs: the package the probe checks, then its companions.
    requirements: &'static [&'static str],
    /// Python that prints the installed version.
    probe: &'static str,
}

/// The venv's `python`, with docker-py installed: made (and the package installed from PyPI)
/// when missing or holding another version.
pub fn ensure_docker_py() -> Result<PathBuf> {
    ensure(&Pinned {
        dir: "docker-py-venv",
        requirements: &[DOCKER_PY],
        probe: "import docker; print(docker.__version__)",
    })
}

/// The Ansible venv's `bin` directory (`ansible-playbook`, its `python`), made as
/// [`ensure_docker_py`] makes docker-py's.
pub fn ensure_ansible() -> Result<PathBuf> {
    let python = ensure(&Pinned {
        dir: "ansible-venv",
        requirements: &[ANSIBLE, REQUESTS],
        probe: "import requests; from importlib.metadata import version; print(version('ansible'))",
    })?;
    python
        .parent()
        .map(Path::to_path_buf)
        .context("a venv's python lives in its bin directory")
}

fn ensure(p: &Pinned) -> Result<PathBuf> {
    let venv = workspace_root().join("target").join(p.dir);
    let python = venv.join("bin").join("python");
    if has(&python, p) {
        return Ok(python);
    }
    let what = p.requirements.join(" ");
    eprintln!("xtask: making {} with {what}", venv.display());
    if !venv_works() {
        // Debian's python3 keeps `venv` (its ensurepip) in a package of its own.
        packages::ensure(&["python3-venv"])?;
    }
    run_checked(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )
    .context("python3 -m venv")?;
    run_checked(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(p.requirements),
    )
    .with_context(|| format!("pip install {what}"))?;
    anyhow::ensure!(
        has(&python, p),
        "{what} is not importable from {} after its install",
        python.display()
    );
    Ok(python)
}

/// Whether `python` has the package at exactly the pinned version.
fn has(python: &Path, p: &Pinned) -> bool {
    let want = p.requirements[0].split_once("==").map_or("", |(_, v)| v);
    Command::new(python)
        .args(["-c", p.probe])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == want)
}

/// Whether `python3 -m venv` can make an environment with pip here.
fn venv_works() -> bool {
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|o| o.status.success())
}
