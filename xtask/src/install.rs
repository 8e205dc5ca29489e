//! `cargo xtask install`: `wharfd` built in release mode and installed by `cargo install`, and
//! the systemd units of `contrib/systemd/` installed beside it (their `ExecStart` pointed at the
//! installed binary). Nothing is started: the command prints the `systemctl` lines to run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::{cargo, run_checked, workspace_root};

const USAGE: &str = "\
usage: cargo xtask install [--root DIR] [--unit-dir DIR] [--no-units]

  --root DIR       where `cargo install` puts bin/wharfd (default /usr/local)
  --unit-dir DIR   where wharf.service and wharf.socket go (default /etc/systemd/system)
  --no-units       install the binary only
";

/// The units shipped in `contrib/systemd/`.
const UNITS: &[&str] = &["wharf.service", "wharf.socket"];
/// The binary path the shipped `wharf.service` names.
const SHIPPED_BIN: &str = "/usr/local/bin/wharfd";

/// Runs `cargo xtask install ARGS`.
pub fn main(args: &[String]) -> Result<()> {
    let mut root = PathBuf::from("/usr/local");
    let mut unit_dir = Some(PathBuf::from("/etc/systemd/system"));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--root" => root = it.next().context(USAGE)?.into(),
            "--unit-dir" => unit_dir = Some(it.next().context(USAGE)?.into()),
            "--no-units" => unit_dir = None,
            _ => bail!("unknown argument {a}\n{USAGE}"),
        }
    }
    run_checked(
        cargo()
            .args(["install", "--locked", "--path", "daemon", "--root"])
            .arg(&root),
    )?;
    let bin = root.join("bin/wharfd");
    let Some(unit_dir) = unit_dir else {
        println!("installed {}", bin.display());
        return Ok(());
    };
    std::fs::create_dir_all(&unit_dir)
        .with_context(|| format!("creating {}", unit_dir.display()))?;
    for unit in UNITS {
        let src = workspace_root().join("contrib/systemd").join(unit);
        let text =
            std::fs::read_to_string(&src).with_context(|| format!("reading {}", src.display()))?;
        let dest = unit_dir.join(unit);
        std::fs::write(&dest, pointed_at(&text, &bin))
            .with_context(|| format!("writing {}", dest.display()))?;
        println!("installed {}", dest.display());
    }
    println!(
        "installed {}\nnow: systemctl daemon-reload && systemctl enable --now wharf.socket wharf.service",
        bin.display()
    );
    Ok(())
}

/// The unit's text with `ExecStart` naming `bin` instead of the shipped path.
fn pointed_at(unit: &str, bin: &Path) -> String {
    unit.replace(
        &format!("ExecStart={SHIPPED_BIN} "),
        &format!("ExecStart={} ", bin.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_unit_names_the_installed_binary() {
        let unit = std::fs::read_to_string(workspace_root().join("contrib/systemd/wharf.service"))
            .expect("shipped unit");
        assert!(unit.contains("ExecStart=/usr/local/bin/wharfd -H fd://"));
        assert!(unit.contains("Type=notify") && unit.contains("KillMode=process"));
        let moved = pointed_at(&unit, Path::new("/opt/wharf/bin/wharfd"));
        assert!(
            moved.contains("ExecStart=/opt/wharf/bin/wharfd -H fd://"),
            "{moved}"
        );
        let socket = std::fs::read_to_string(workspace_root().join("contrib/systemd/wharf.socket"))
            .expect("shipped socket");
        assert!(socket.contains("ListenStream=/run/wharf.sock"));
    }
}
