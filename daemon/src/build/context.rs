//! The build context as received (`receive.rs` reads it): the tar spooled (decompressed) to
//! one file of the data root's `tmp/`, with an index of its entries and every file's SHA-256.
//! It is extracted into a directory through `graph::tree::Root` (a hostile name, link or `..`
//! never leaves it) only when something needs the files themselves: a COPY or ADD that misses
//! the cache, or a source the index cannot answer for (see `checksum.rs`). The Dockerfile
//! is read from the spool.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use graph::tree::{ExtractOptions, Root};
use nix::fcntl::OFlag;

use crate::blocking::blocking;
use crate::error::{Error, IoContext, Result};

/// A received context; its spool and directory are removed when the last user is done.
#[derive(Debug)]
pub(super) struct Context {
    /// The directory the context's files are extracted into (when they are needed).
    pub(super) dir: PathBuf,
    files: Arc<Files>,
}

/// One entry of the context tar.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The tar type flag.
    pub(super) kind: u8,
    /// Permission bits.
    pub(super) mode: u32,
    /// Content size.
    pub(super) size: u64,
    /// Link target (symbolic and hard links).
    pub(super) link: Vec<u8>,
    /// Where the content starts in the spool.
    pub(super) offset: u64,
    /// SHA-256 of the content (regular files).
    pub(super) digest: [u8; 32],
}

/// The context's entries and, once needed, its extracted files.
#[derive(Debug)]
pub(super) struct Files {
    pub(super) dir: PathBuf,
    pub(super) spool: Option<PathBuf>,
    /// Entries by clean relative path (no leading `/`, no trailing `/`; the root is absent).
    pub(super) index: BTreeMap<String, Entry>,
    /// False when a name could not be cleaned into the index (then only the files answer).
    pub(super) exact: bool,
    /// Paths taken out of the context after it arrived (the Dockerfile and `.dockerignore`
    /// when `.dockerignore` excludes them): gone from the index, unlinked after extraction.
    removed: Vec<String>,
    extracted: OnceLock<()>,
    extracting: Mutex<()>,
}

impl Files {
    /// Nothing yet, to be extracted into `dir`.
    pub(super) fn new(dir: PathBuf) -> Files {
        Files {
            dir,
            spool: None,
            index: BTreeMap::new(),
            exact: true,
            removed: Vec::new(),
            extracted: OnceLock::new(),
            extracting: Mutex::new(()),
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if let Some(s) = &self.spool {
            let _ = std::fs::remove_file(s);
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot remove a build context");
        }
    }
}

impl Files {
    /// The extracted context as a root, extracting it from the spool the first time.
    pub(super) fn root(&self) -> Result<Root> {
        if self.extracted.get().is_none() {
            let _guard = self.extracting.lock().unwrap_or_else(|p| p.into_inner());
            if self.extracted.get().is_none() {
                let started = std::time::Instant::now();
                in_place(|| self.extract())?;
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "build context extracted"
                );
                let _ = self.extracted.set(());
            }
        }
        Ok(Root::open(&self.dir)?)
    }

    fn extract(&self) -> Result<()> {
        match std::fs::create_dir(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e).with_ctx(|| format!("creating {}", self.dir.display()));
            }
            _ => {}
        }
        let Some(spool) = &self.spool else {
            return Ok(());
        };
        let root = Root::open(&self.dir)?;
        let file =
            std::fs::File::open(spool).with_ctx(|| format!("opening {}", spool.display()))?;
        let opts = ExtractOptions {
            no_overwrite_dir_non_dir: false,
            chown: None,
        };
        root.extract("/", &mut std::io::BufReader::new(file), &opts)
            .map_err(|e| Error::Invalid(format!("failed to read the build context: {e}")))?;
        unlink_all(&root, &self.removed)
    }

    /// The content of the regular file `e` read from the spool.
    pub(super) fn read(&self, e: &Entry) -> Result<Vec<u8>> {
        let spool = self
            .spool
            .as_ref()
            .ok_or_else(|| Error::Invalid("the build context is empty".into()))?;
        let file =
            std::fs::File::open(spool).with_ctx(|| format!("opening {}", spool.display()))?;
        let mut data = vec![0; usize::try_from(e.size).unwrap_or(0)];
        file.read_exact_at(&mut data, e.offset)
            .ctx("reading the build context's spool")?;
        Ok(data)
    }
}

/// Runs blocking `f` from a runtime worker without stalling the other tasks on it.
fn in_place<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Context {
    /// The entries and files, shared with COPY's sources.
    pub(super) fn files(&self) -> Arc<Files> {
        Arc::clone(&self.files)
    }

    /// The context of `files` as received.
    pub(super) fn new(files: Files) -> Context {
        Context {
            dir: files.dir.clone(),
            files: Arc::new(files),
        }
    }

    /// A context made of the files already in directory `dir` (removed on drop).
    pub(super) fn from_dir(dir: PathBuf) -> Context {
        let mut files = Files::new(dir.clone());
        files.exact = false;
        let _ = files.extracted.set(());
        Context {
            dir,
            files: Arc::new(files),
        }
    }
}

/// A tar name cleaned into the index's form; `None` for one going above the root.
pub(super) fn clean(raw: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(raw).ok()?;
    let mut parts: Vec<&str> = Vec::new();
    for p in s.split('/') {
        match p {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The Dockerfile's text and the name it was found under: `name` (`Dockerfile` when empty)
/// resolved inside the context; `Dockerfile` missing, `dockerfile` serves (moby's
/// `withDockerfileFromContext`).
pub(super) async fn dockerfile(ctx: &Context, name: &str) -> Result<(String, String)> {
    let name = if name.is_empty() {
        DEFAULT_DOCKERFILE
    } else {
        name
    }
    .to_owned();
    let files = ctx.files();
    blocking(move || {
        let found = match read_named(&files, &name)? {
            Some(bytes) => Some((bytes, name.clone())),
            None if name == DEFAULT_DOCKERFILE => {
                let lower = name.to_lowercase();
                read_named(&files, &lower)?.map(|bytes| (bytes, lower))
            }
            None => None,
        };
        let missing = || Error::Invalid(format!("Cannot locate specified Dockerfile: {name}"));
        let (bytes, used) = found.ok_or_else(missing)?;
        let text = String::from_utf8(bytes).map_err(|_| missing())?;
        if text.trim().is_empty() {
            return Err(Error::Invalid(format!(
                "the Dockerfile ({used}) cannot be empty"
            )));
        }
        Ok((text, used))
    })
    .await?
}

/// The name the CLI and moby look for without `-f`.
const DEFAULT_DOCKERFILE: &str = "Dockerfile";

/// The content of the file `name` in the context: a regular file from the spool (nothing
/// extracted), anything else through the extracted files; `None` when there is none.
fn read_named(files: &Files, name: &str) -> Result<Option<Vec<u8>>> {
    match clean(name.as_bytes()).and_then(|p| files.index.get(&p)) {
        Some(e) if e.kind == b'0' || e.kind == 0 => Ok(Some(files.read(e)?)),
        Some(_) => read_extracted(files, name),
        None if files.exact => Ok(None),
        None => read_extracted(files, name),
    }
}

fn read_extracted(files: &Files, name: &str) -> Result<Option<Vec<u8>>> {
    let root = files.root()?;
    let Ok(fd) = root.open_fd(&graph::tree::container_path(name), OFlag::O_RDONLY) else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    match std::fs::File::from(fd).read_to_end(&mut bytes) {
        Ok(_) => Ok(Some(bytes)),
        Err(_) => Ok(None),
    }
}

impl Context {
    /// moby's `removeDockerfile`: `.dockerignore` and the Dockerfile `dockerfile` leave the
    /// context when `.dockerignore` excludes them (the CLI sends both whatever it says).
    /// Called once, right after the Dockerfile was read, while nothing else holds the files.
    pub(super) async fn drop_build_files(&mut self, dockerfile: &str) -> Result<()> {
        let files = self.files();
        let dockerfile = dockerfile.to_owned();
        let gone = blocking(move || -> Result<Vec<String>> {
            let Some(bytes) = read_named(&files, IGNORE_FILE)? else {
                return Ok(Vec::new());
            };
            let text = String::from_utf8_lossy(&bytes);
            let ignore = super::ignore::Ignore::parse(&text).map_err(Error::Invalid)?;
            Ok([IGNORE_FILE, dockerfile.as_str()]
                .into_iter()
                .filter(|f| ignore.excludes(f))
                .filter_map(|f| clean(f.as_bytes()))
                .collect())
        })
        .await??;
        if gone.is_empty() {
            return Ok(());
        }
        let files = Arc::get_mut(&mut self.files).ok_or_else(|| {
            Error::System("the build context is in use before its files were settled".into())
        })?;
        for path in &gone {
            files.index.remove(path);
        }
        if files.extracted.get().is_some() {
            unlink_all(&Root::open(&files.dir)?, &gone)?;
        }
        files.removed.extend(gone);
        Ok(())
    }
}

/// The ignore file's name.
const IGNORE_FILE: &str = ".dockerignore";

/// Unlinks each of `paths` (clean, relative) inside `root`, a missing one being fine.
fn unlink_all(root: &Root, paths: &[String]) -> Result<()> {
    for path in paths {
        let (parent, base) = path.rsplit_once('/').unwrap_or(("", path));
        let Ok(dir) = root.open_fd(
            &graph::tree::container_path(parent),
            OFlag::O_RDONLY | OFlag::O_DIRECTORY,
        ) else {
            continue;
        };
        match nix::unistd::unlinkat(&dir, base, nix::unistd::UnlinkatFlags::NoRemoveDir) {
            Ok(()) | Err(nix::errno::Errno::ENOENT) => {}
            Err(e) => {
                return Err(Error::System(format!(
                    "removing {path} from the build context: {e}"
                )));
            }
        }
    }
    Ok(())
}
