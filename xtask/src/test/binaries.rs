//! Building every test binary of the workspace once, and finding them in cargo's report.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::cargo;

/// One built test binary (a crate's unit tests, or an integration test target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestBinary {
    /// What cargo calls it: `daemon tests/it/main.rs`, `api src/lib.rs`.
    pub name: String,
    /// The executable.
    pub path: PathBuf,
    /// Its package's directory: cargo runs a test binary there, with `CARGO_MANIFEST_DIR` set
    /// to it, and so does xtask.
    pub package_dir: PathBuf,
}

/// `cargo test --workspace --no-run`: builds every test binary (and the binaries they run, such
/// as `wharfd`) and returns the test binaries in cargo's order.
pub fn build() -> Result<Vec<TestBinary>> {
    let mut child = cargo()
        .args([
            "test",
            "--workspace",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .context("running cargo test --no-run")?;
    let stdout = child
        .stdout
        .take()
        .context("cargo test --no-run's output")?;
    let mut bins = Vec::new();
    for line in BufReader::new(stdout).lines() {
        if let Some(bin) = test_binary(&line?) {
            bins.push(bin);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("cargo test --no-run failed ({status})");
    }
    Ok(bins)
}

/// The test binary a `compiler-artifact` message of cargo's JSON output reports, if it is one.
fn test_binary(line: &str) -> Option<TestBinary> {
    let msg: Value = serde_json::from_str(line).ok()?;
    if msg["reason"] != "compiler-artifact" || msg["profile"]["test"] != true {
        return None;
    }
    let path = PathBuf::from(msg["executable"].as_str()?);
    let manifest = PathBuf::from(msg["manifest_path"].as_str()?);
    let package_dir = manifest.parent()?.to_path_buf();
    let src = PathBuf::from(msg["target"]["src_path"].as_str()?);
    let src = src.strip_prefix(&package_dir).unwrap_or(&src);
    let package = package_dir.file_name()?.to_string_lossy();
    Some(TestBinary {
        name: format!("{package} {}", src.display()),
        path,
        package_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_binaries_are_read_from_cargos_report() {
        let artifact = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/daemon#0.1.0","manifest_path":"/w/daemon/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"it","src_path":"/w/daemon/tests/it/main.rs","edition":"2024","doctest":false,"test":true},"profile":{"opt_level":"0","debuginfo":1,"debug_assertions":true,"overflow_checks":true,"test":true},"features":[],"filenames":["/w/target/debug/deps/it-1"],"executable":"/w/target/debug/deps/it-1","fresh":true}"#;
        assert_eq!(
            test_binary(artifact),
            Some(TestBinary {
                name: "daemon tests/it/main.rs".into(),
                path: "/w/target/debug/deps/it-1".into(),
                package_dir: "/w/daemon".into(),
            })
        );
        // The daemon binary itself, a library, and other messages are not test binaries.
        let not_test =
            artifact.replace(r#""test":true},"features""#, r#""test":false},"features""#);
        assert_eq!(test_binary(&not_test), None);
        let lib = artifact.replace(
            r#""executable":"/w/target/debug/deps/it-1""#,
            r#""executable":null"#,
        );
        assert_eq!(test_binary(&lib), None);
        assert_eq!(
            test_binary(r#"{"reason":"build-finished","success":true}"#),
            None
        );
        assert_eq!(test_binary("not json"), None);
    }
}
