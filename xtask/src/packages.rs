//! The Debian packages the tests and benchmarks need, installed on demand (CI starts from a
//! fresh machine).

use std::process::Command;

use anyhow::{Context, Result};

use crate::run_checked;

/// What `wharfd` itself needs at run time: network namespaces and links (`ip`, `nsenter`),
/// the firewall (`nft`), the OCI runtime and the init of `--init` containers (`tini-static`).
pub const RUNTIME_PACKAGES: &[&str] = &["iproute2", "util-linux", "nftables", "runc", "tini"];

/// What every privileged test needs beyond [`RUNTIME_PACKAGES`]: a static busybox for test
/// images, a real registry (distribution 2.8, `docker-registry`) and `skopeo` to put images
/// into it (`testkit::Registry`), and `docker-compose` (1.29.2) as a real client of
/// user-defined networks; `git` for the builder's git contexts (the daemon runs it, as dockerd).
pub const TEST_PACKAGES: &[&str] = &[
    "busybox-static",
    "ca-certificates",
    "docker-registry",
    "skopeo",
    "docker-compose",
    "git",
];

/// Where Debian asks whether a package's service may start (`invoke-rc.d`); exit code 101
/// means "no".
const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

/// Keeps services of packages being installed from starting (Debian's `docker-registry`
/// would start a registry on the host's port 5000): a `policy-rc.d` that says no, removed when
/// dropped, also after a failed install. One that already exists is the host's and is left
/// alone (a container image's usually says no already).
struct NoServiceStarts {
    created: bool,
}

impl NoServiceStarts {
    fn new() -> Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = std::path::Path::new(POLICY_RC_D);
        if path.exists() {
            return Ok(NoServiceStarts { created: false });
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .open(path)
            .with_context(|| format!("creating {POLICY_RC_D}"))?;
        std::io::Write::write_all(
            &mut f,
            b"#!/bin/sh\n# Written by cargo xtask while it installs test packages: no service starts.\nexit 101\n",
        )
        .with_context(|| format!("writing {POLICY_RC_D}"))?;
        Ok(NoServiceStarts { created: true })
    }
}

impl Drop for NoServiceStarts {
    fn drop(&mut self) {
        if self.created
            && let Err(e) = std::fs::remove_file(POLICY_RC_D)
        {
            eprintln!("xtask: could not remove {POLICY_RC_D}: {e}");
        }
    }
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Fails naming whichever of `pkgs` is missing (for a user who cannot install them).
pub fn require(pkgs: &[&str]) -> Result<()> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    anyhow::ensure!(
        missing.is_empty(),
        "missing packages: {} (install them, or run as root to have them installed)",
        missing.join(" ")
    );
    Ok(())
}

/// Installs whichever of `pkgs` is missing, with apt (as root).
pub fn ensure(pkgs: &[&str]) -> Result<()> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    let _no_service_starts = NoServiceStarts::new()?;
    run_checked(Command::new("apt-get").args(["update", "-q"]))
        .context("apt-get update (are you root?)")?;
    run_checked(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .with_context(|| format!("installing {}", missing.join(" ")))
}
