//! docker-py for the tests: a virtual environment under `target/` holding the exact client
//! version the compatibility tests are written against, made on demand (CI starts from a fresh
//! machine) and reused while it holds that version.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::{packages, run_checked, workspace_root};

/// The docker-py release the tests drive the daemon with (issue 12 names it).
const DOCKER_PY: &str = "docker==7.2.0";

/// The variable `testkit::docker_py` reads the interpreter's path from.
pub const DOCKER_PY_VAR: &str = "WHARF_DOCKER_PY";

/// The venv's `python`, with docker-py installed: made (and the package installed from PyPI)
/// when missing or holding another version.
pub fn ensure_docker_py() -> Result<PathBuf> {
    let venv = workspace_root().join("target").join("docker-py-venv");
    let python = venv.join("bin").join("python");
    if has_docker_py(&python) {
        return Ok(python);
    }
    eprintln!("xtask: making {} with {DOCKER_PY}", venv.display());
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
    run_checked(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        DOCKER_PY,
    ]))
    .with_context(|| format!("pip install {DOCKER_PY}"))?;
    anyhow::ensure!(
        has_docker_py(&python),
        "{DOCKER_PY} is not importable from {} after its install",
        python.display()
    );
    Ok(python)
}

/// Whether `python` imports docker-py at exactly the pinned version.
fn has_docker_py(python: &std::path::Path) -> bool {
    let want = DOCKER_PY.trim_start_matches("docker==");
    Command::new(python)
        .args(["-c", "import docker, sys; print(docker.__version__)"])
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
