//! The Debian packages the tests and benchmarks need, installed on demand (CI starts from a
//! fresh machine).

use std::process::Command;

use anyhow::{Context, Result};

use crate::run_checked;

/// What `wharfd` itself needs at run time: network namespaces and links (`ip`, `nsenter`),
/// the firewall (`nft`) and the OCI runtime.
pub const RUNTIME_PACKAGES: &[&str] = &["iproute2", "util-linux", "nftables", "runc"];

/// What every privileged test needs beyond [`RUNTIME_PACKAGES`]: a static busybox for test
/// images.
pub const TEST_PACKAGES: &[&str] = &["busybox-static", "ca-certificates"];

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
