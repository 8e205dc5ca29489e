//! Clients of a running daemon: the real Docker CLI, as users run it (what the image and
//! container rows time), and raw API requests over the Unix socket for set-up and clean-up
//! steps that are not timed.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::interrupt;

/// The Docker CLI the scenarios drive (the real one, as the privileged tests use it).
pub const DOCKER_CLI: &str = "/usr/local/bin/docker";

/// Environment variables of the caller that would point the CLI elsewhere or change what it
/// sends; the bench sets `DOCKER_HOST` and `DOCKER_CONFIG` itself.
const CLEARED: &[&str] = &[
    "DOCKER_CONTEXT",
    "DOCKER_API_VERSION",
    "DOCKER_TLS",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
    "DOCKER_DEFAULT_PLATFORM",
];

/// The Docker CLI pointed at one daemon's socket, with a config directory of the bench's own
/// (so the user's contexts, credential helpers and plugins stay out of it).
pub struct Docker<'a> {
    sock: &'a Path,
    config: &'a Path,
}

impl<'a> Docker<'a> {
    /// The CLI for the daemon listening on `sock`, with its config in `config`.
    pub fn new(sock: &'a Path, config: &'a Path) -> Self {
        Docker { sock, config }
    }

    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(DOCKER_CLI);
        cmd.args(args)
            .env("DOCKER_HOST", format!("unix://{}", self.sock.display()))
            .env("DOCKER_CONFIG", self.config)
            .stdin(Stdio::null())
            // Its own process group: Ctrl-C reaches xtask only, which lets the command end and
            // then unwinds through the daemon's guard.
            .process_group(0);
        for var in CLEARED {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Runs `docker ARGS`, timed from spawn to exit; fails unless it exits 0. Returns the
    /// time and its standard output.
    pub fn timed<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<(Duration, String)> {
        let mut cmd = self.command(args);
        let t0 = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("running {DOCKER_CLI}"))?;
        let took = t0.elapsed();
        interrupt::check()?;
        if !out.status.success() {
            let first: Vec<String> = args
                .iter()
                .take(3)
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            bail!(
                "docker {}{} failed ({}): {}",
                first.join(" "),
                if args.len() > 3 { " ..." } else { "" },
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok((took, String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// Runs `docker ARGS` untimed; returns its standard output.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        Ok(self.timed(args)?.1)
    }
}

/// The median time, in ms, of the CLI doing nothing but start (`docker --version`, no daemon
/// contacted): the part of every CLI figure that is not the engine's.
pub fn cli_startup_ms() -> Result<f64> {
    let mut ms = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let out = Command::new(DOCKER_CLI)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {DOCKER_CLI} --version"))?;
        ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(out.status.success(), "{DOCKER_CLI} --version failed");
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms[ms.len() / 2])
}

/// One API request without a body over the Unix socket `sock`: its status and body. HTTP/1.0,
/// so that neither daemon answers in chunks.
pub fn request(sock: &Path, method: &str, path: &str) -> Result<(u16, String)> {
    request_json(sock, method, path, b"")
}

/// [`request`] with a JSON body (none if empty).
pub fn request_json(sock: &Path, method: &str, path: &str, body: &[u8]) -> Result<(u16, String)> {
    let mut s =
        UnixStream::connect(sock).with_context(|| format!("connecting to {}", sock.display()))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let kind = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: docker\r\n{kind}Content-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .with_context(|| format!("reading the answer to {method} {path}"))?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("{method} {path}: not an HTTP answer: {text:.200}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// Removes every container of the daemon on `sock` (`DELETE ?force=1`, as `docker rm -f`);
/// returns how many there were. wharfd's containers outlive it (their monitors do, as with
/// dockerd's live-restore), so a wharfd must lose them before it is stopped.
pub fn remove_all_containers(sock: &Path) -> Result<usize> {
    let (status, body) = request(sock, "GET", "/containers/json?all=1")?;
    anyhow::ensure!(status == 200, "GET /containers/json: {status} {body}");
    let ids = json_strings(&body, "Id");
    for id in &ids {
        let (status, body) = request(sock, "DELETE", &format!("/containers/{id}?force=1"))?;
        anyhow::ensure!(
            status == 204,
            "DELETE /containers/{id}?force=1: {status} {body}"
        );
    }
    Ok(ids.len())
}

/// Every string after `"key":` in a JSON body (enough for the IDs of a container list).
pub fn json_strings(body: &str, key: &str) -> Vec<String> {
    body.split(&format!("\"{key}\":"))
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start().strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

/// The number after `"key":` in a JSON body (enough for the counters the bench checks).
pub fn json_number(body: &str, key: &str) -> Option<u64> {
    let rest = body.split_once(&format!("\"{key}\":"))?.1.trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_counters_are_read() {
        let body = r#"{"Containers":0,"Images": 10000,"Driver":"overlay2"}"#;
        assert_eq!(json_number(body, "Images"), Some(10_000));
        assert_eq!(json_number(body, "Containers"), Some(0));
        assert_eq!(json_number(body, "Driver"), None);
        assert_eq!(json_number(body, "Missing"), None);
    }

    #[test]
    fn json_strings_are_read() {
        let body = r#"[{"Id":"ab12","Names":["/x"]},{"Id": "cd34","Image":"busybox"}]"#;
        assert_eq!(json_strings(body, "Id"), ["ab12", "cd34"]);
        assert!(json_strings("[]", "Id").is_empty());
    }

    #[test]
    fn a_missing_socket_is_an_error() {
        assert!(request(Path::new("/nonexistent/wharf.sock"), "GET", "/info").is_err());
    }
}
