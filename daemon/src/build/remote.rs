//! `remote=`: a context from elsewhere, as moby's `remotecontext.Detect`: a git repository
//! (`git init` + `fetch` + `checkout` as moby's `gitutils`, `#ref:subdir` fragments), or a URL
//! whose answer is a tar (plain or compressed) or a plain Dockerfile (by `Content-Type`, the
//! body sniffed when the server says nothing or `application/octet-stream`).

use std::path::{Path, PathBuf};
use std::process::Command;

use api::types::{JsonMessage, ProgressDetail, human_size};

use super::context::Context;
use super::receive;
use crate::blocking::blocking;
use crate::error::{Error, Result};
use crate::version::VERSION;

/// What moby accepts as a remote context's media type (its `acceptableRemoteMIME`).
const ACCEPTABLE: &str =
    r"(?:application/(?:(?:x\-)?tar|octet\-stream|((?:x\-)?(?:gzip|bzip2?|xz)))|(?:text/plain))";

/// How much of the body the type is sniffed from (moby's `maxPreambleLength`).
const PREAMBLE: usize = 100;

/// A received remote context.
pub(super) struct Remote {
    /// The context (empty when the remote was a Dockerfile).
    pub(super) ctx: Context,
    /// The Dockerfile's text when the remote was a Dockerfile.
    pub(super) dockerfile: Option<String>,
    /// The download's last progress message (dockerd's `Downloading context`), for a URL.
    pub(super) progress: Option<JsonMessage>,
}

/// The remote context `remote` received under `tmp`.
pub(super) async fn receive(tmp: &Path, remote: &str) -> Result<Remote> {
    if remote == "client-session" {
        return Err(Error::Invalid(
            "experimental session with v1 builder is no longer supported, use builder version v2 (BuildKit) instead".into(),
        ));
    }
    if is_git_url(remote) {
        return Ok(Remote {
            ctx: clone(tmp, remote).await?,
            dockerfile: None,
            progress: None,
        });
    }
    if !is_url(remote) {
        return Err(Error::Invalid(format!(
            "remoteURL ({remote}) could not be recognized as URL"
        )));
    }
    let got = distribution::fetch(remote, &format!("wharf/{VERSION}"))
        .await
        .map_err(|e| Error::System(format!("error downloading remote context {remote}: {e}")))?;
    if got.status >= 400 {
        let body = String::from_utf8_lossy(&got.body);
        let msg = format!(
            "error downloading remote context {remote}: failed to GET {remote} with status {}: {}",
            got.status_line,
            body.trim()
        );
        return Err(match got.status {
            404 => Error::NotFound(msg),
            400 => Error::Invalid(msg),
            _ => Error::System(msg),
        });
    }
    let kind = content_type(&got.content_type, got.content_length, &got.body).map_err(|e| {
        Error::Invalid(format!(
            "error detecting content type for remote {remote}: {e}"
        ))
    })?;
    let progress = Some(downloaded(remote, got.body.len() as u64));
    if kind == "text/plain" {
        return Ok(Remote {
            ctx: receive::receive(tmp, body_stream(Vec::new())).await?,
            dockerfile: Some(String::from_utf8_lossy(&got.body).into_owned()),
            progress,
        });
    }
    Ok(Remote {
        ctx: receive::receive(tmp, body_stream(got.body)).await?,
        dockerfile: None,
        progress,
    })
}

/// The last message of moby's progress reader over the download of `url` (`n` bytes read; its
/// total is the request's length, none here).
fn downloaded(url: &str, n: u64) -> JsonMessage {
    JsonMessage {
        status: Some("Downloading context".into()),
        progress_detail: Some(ProgressDetail {
            current: n,
            total: 0,
        }),
        progress: Some(format!("{:>8}", human_size(n))),
        id: Some(url.to_owned()),
        ..JsonMessage::default()
    }
}

/// moby's `inspectResponse`: the acceptable type of the answer, or why there is none.
fn content_type(given: &str, length: Option<u64>, body: &[u8]) -> Result<String, String> {
    let n = match length {
        Some(l) if l > 0 && (l as usize) < PREAMBLE => l as usize,
        _ => PREAMBLE,
    };
    let preamble = &body[..body.len().min(n)];
    if preamble.is_empty() {
        return Err("empty response".into());
    }
    let sniffed;
    let ct = if given.is_empty() || given == "application/octet-stream" {
        sniffed = sniff(preamble);
        sniffed
    } else {
        given
    };
    let re = regex::Regex::new(ACCEPTABLE).map_err(|e| e.to_string())?;
    re.find(ct)
        .map(|m| m.as_str().to_owned())
        .ok_or_else(|| format!("unsupported Content-Type {given:?}"))
}

/// The part of Go's `http.DetectContentType` that matters here: gzip by its magic, text
/// when no byte is binary, else `application/octet-stream`.
fn sniff(p: &[u8]) -> &'static str {
    if p.starts_with(&[0x1f, 0x8b, 0x08]) {
        return "application/x-gzip";
    }
    let binary = |b: &u8| matches!(b, 0x00..=0x08 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f);
    if p.iter().any(binary) {
        "application/octet-stream"
    } else {
        "text/plain"
    }
}

/// A body in memory as a request body.
fn body_stream(data: Vec<u8>) -> api::backend::ByteStream {
    Box::pin(futures::stream::once(async move {
        Ok(bytes::Bytes::from(data))
    }))
}

/// moby's `urlutil.IsURL`.
fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// moby's `urlutil.IsGitURL`.
fn is_git_url(s: &str) -> bool {
    let path = s.split('#').next().unwrap_or(s);
    if is_url(s) && path.ends_with(".git") && s.split_once('#').is_none_or(|(_, f)| !f.is_empty()) {
        return true;
    }
    ["git://", "github.com/", "git@", "ssh://"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// A git remote: the repository, the ref (`master` by default) and the subdirectory.
#[derive(Debug, PartialEq, Eq)]
struct GitRemote {
    remote: String,
    git_ref: String,
    subdir: String,
}

/// moby's `parseRemoteURL`.
fn parse_git(url: &str) -> GitRemote {
    let url = if is_url(url) || url.starts_with("git://") || url.starts_with("git@") {
        url.to_owned()
    } else {
        format!("https://{url}")
    };
    let (remote, fragment) = url.split_once('#').unwrap_or((&url, ""));
    let (r, d) = fragment.split_once(':').unwrap_or((fragment, ""));
    GitRemote {
        remote: remote.to_owned(),
        git_ref: if r.is_empty() { "master" } else { r }.to_owned(),
        subdir: d.to_owned(),
    }
}

/// Clones `url` into a new context directory under `tmp` (moby's `cloneGitRepo`).
async fn clone(tmp: &Path, url: &str) -> Result<Context> {
    let repo = parse_git(url);
    let shallow = supports_shallow(&repo.remote).await;
    let id = crate::containers::random_hex_id()?;
    let root = tmp.join(format!("build-git-{}", &id[..16]));
    let ctx_dir = tmp.join(format!("build-{}", &id[..16]));
    let whole = Context::from_dir(root.clone());
    let dir = blocking(move || -> Result<PathBuf> {
        std::fs::create_dir(&root)
            .map_err(|e| Error::System(format!("creating {}: {e}", root.display())))?;
        git(&root, &["init"])
            .map_err(|o| sys(format!("failed to init repo at {}: {o}", root.display())))?;
        git(&root, &["remote", "add", "origin", &repo.remote])
            .map_err(|o| sys(format!("failed add origin repo at {}: {o}", repo.remote)))?;
        let mut fetch = vec!["fetch"];
        if shallow {
            fetch.extend(["--depth", "1"]);
        }
        // `--`: a ref is never an option (moby's fix of CVE-2019-13139).
        fetch.extend(["origin", "--", repo.git_ref.as_str()]);
        git(&root, &fetch).map_err(|o| sys(format!("error fetching: {o}")))?;
        if let Err(o) = git(&root, &["checkout", &repo.git_ref]) {
            git(&root, &["checkout", "FETCH_HEAD"])
                .map_err(|_| sys(format!("error checking out {}: {o}", repo.git_ref)))?;
        }
        // As moby: run in the directory, where git finds the work tree itself.
        git(
            &root,
            &[
                "-C",
                ".",
                "submodule",
                "update",
                "--init",
                "--recursive",
                "--depth=1",
            ],
        )
        .map_err(|o| sys(format!("error initializing submodules: {o}")))?;
        if repo.subdir.is_empty() {
            return Ok(root);
        }
        let within = std::fs::canonicalize(&root).map_err(|e| Error::System(e.to_string()))?;
        let sub = std::fs::canonicalize(root.join(&repo.subdir))
            .ok()
            .filter(|s| s.starts_with(&within))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "error setting git context, {:?} not within git root",
                    repo.subdir
                ))
            })?;
        if !sub.is_dir() {
            return Err(Error::Invalid(format!(
                "error setting git context, not a directory: {}",
                sub.display()
            )));
        }
        std::fs::rename(&sub, &ctx_dir).map_err(|e| Error::System(e.to_string()))?;
        Ok(ctx_dir)
    })
    .await??;
    if dir == whole.dir {
        return Ok(whole);
    }
    drop(whole);
    Ok(Context::from_dir(dir))
}

/// A failure of the daemon's own work, in its words.
fn sys(message: String) -> Error {
    Error::System(message)
}

/// Runs git on the repository at `root`; a failure is its output and exit status, as Go's
/// `CombinedOutput` error reads.
fn git(root: &Path, args: &[&str]) -> std::result::Result<(), String> {
    let mut cmd = Command::new("git");
    if args.first() == Some(&"-C") {
        cmd.current_dir(root);
    } else {
        cmd.arg("--work-tree")
            .arg(root)
            .arg("--git-dir")
            .arg(root.join(".git"));
    }
    let out = cmd
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(format!(
        "{text}: exit status {}",
        out.status.code().unwrap_or(-1)
    ))
}

/// moby's `supportsShallowClone`: not an HTTP URL, or a smart HTTP server.
async fn supports_shallow(remote: &str) -> bool {
    if !is_url(remote) {
        return true;
    }
    let url = format!("{remote}/info/refs?service=git-upload-pack");
    match distribution::fetch(&url, &format!("wharf/{VERSION}")).await {
        Ok(r) => r.status == 200 && r.content_type == "application/x-git-upload-pack-advertisement",
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_a_git_url() {
        assert!(is_git_url("https://example.com/r.git"));
        assert!(is_git_url("http://h/r.git#main:sub"));
        assert!(is_git_url("git@github.com:a/b"));
        assert!(is_git_url("github.com/a/b"));
        assert!(!is_git_url("http://h/ctx.tar"));
        assert!(!is_git_url("http://h/r.git#"));
        assert_eq!(
            parse_git("http://h/r.git#v1:docker"),
            GitRemote {
                remote: "http://h/r.git".into(),
                git_ref: "v1".into(),
                subdir: "docker".into()
            }
        );
        assert_eq!(parse_git("github.com/a/b").remote, "https://github.com/a/b");
        assert_eq!(parse_git("git@h:r#:d").git_ref, "master");
    }

    #[test]
    fn content_types_as_moby_detects_them() {
        assert_eq!(
            content_type("", None, b"FROM busybox\n").as_deref(),
            Ok("text/plain")
        );
        assert_eq!(
            content_type("application/octet-stream", None, b"a\0b").as_deref(),
            Ok("application/octet-stream")
        );
        assert_eq!(
            content_type("application/x-tar", None, b"x").as_deref(),
            Ok("application/x-tar")
        );
        assert_eq!(
            content_type("text/plain; charset=utf-8", None, b"x").as_deref(),
            Ok("text/plain")
        );
        assert_eq!(
            content_type("text/html", None, b"<html>").expect_err("html"),
            "unsupported Content-Type \"text/html\""
        );
        assert_eq!(
            content_type("", None, b"").expect_err("empty"),
            "empty response"
        );
    }
}
