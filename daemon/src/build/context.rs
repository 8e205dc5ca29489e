//! The build context: the tar the client sends (plain or compressed), read once as it
//! arrives: spooled (decompressed) to one file of the data root's `tmp/`, every file's
//! SHA-256 computed on the way (or taken from the [`Memo`]) into an index of the entries. It
//! is extracted into a directory through `graph::tree::Root` (a hostile name, link or `..`
//! never leaves it) only when something needs the files themselves: a COPY or ADD that misses
//! the cache, or a source the index cannot answer for (see [`Files::sources`]). The Dockerfile
//! is read from the spool.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use api::backend::ByteStream;
use graph::tree::{ExtractOptions, Root};
use nix::fcntl::OFlag;
use sha2::{Digest, Sha256};

use super::memo::{Memo, Recorded};
use crate::blocking::blocking;
use crate::error::{Error, IoContext, Result};
use crate::images::bridge;

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
    offset: u64,
    /// SHA-256 of the content (regular files).
    pub(super) digest: [u8; 32],
}

/// The context's entries and, once needed, its extracted files.
#[derive(Debug)]
pub(super) struct Files {
    dir: PathBuf,
    spool: Option<PathBuf>,
    /// Entries by clean relative path (no leading `/`, no trailing `/`; the root is absent).
    pub(super) index: BTreeMap<String, Entry>,
    /// False when a name could not be cleaned into the index (then only the files answer).
    pub(super) exact: bool,
    extracted: OnceLock<()>,
    extracting: Mutex<()>,
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
            .map_err(|e| Error::Invalid(format!("failed to read the build context: {e}")))
    }

    /// The content of the regular file `rel` read from the spool.
    fn read(&self, e: &Entry) -> Result<Vec<u8>> {
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
    /// The context as a root that resolves every path inside it (extracted on first use).
    #[allow(dead_code)]
    pub(super) fn root(&self) -> Result<Root> {
        self.files.root()
    }

    /// The entries and files, shared with COPY's sources.
    pub(super) fn files(&self) -> Arc<Files> {
        Arc::clone(&self.files)
    }

    /// A context made of the files already in directory `dir` (removed on drop).
    #[allow(dead_code)]
    pub(super) fn from_dir(dir: PathBuf) -> Context {
        let files = Files {
            dir: dir.clone(),
            spool: None,
            index: BTreeMap::new(),
            exact: false,
            extracted: OnceLock::new(),
            extracting: Mutex::new(()),
        };
        let _ = files.extracted.set(());
        Context {
            dir,
            files: Arc::new(files),
        }
    }
}

/// How many context files were hashed and how many digests the memo gave.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hashing {
    /// Files whose SHA-256 was computed.
    pub(super) hashed: u64,
    /// Files whose SHA-256 came from the memo (its CRC-32 matched).
    pub(super) remembered: u64,
}

/// Receives the whole context tar `body` into a new spool under `tmp` (no memo).
#[allow(dead_code)]
pub(super) async fn receive(tmp: &Path, body: ByteStream) -> Result<Context> {
    receive_with(tmp, body, None).await.map(|(c, _)| c)
}

/// Receives the whole context tar `body` into a new spool under `tmp`, the files' digests
/// taken from `memo` where it knows them and recorded there where it did not.
pub(super) async fn receive_with(
    tmp: &Path,
    body: ByteStream,
    memo: Option<Arc<Memo>>,
) -> Result<(Context, Hashing)> {
    let id = crate::containers::random_hex_id()?;
    let dir = tmp.join(format!("build-{}", &id[..16]));
    let spool = tmp.join(format!("build-{}.tar", &id[..16]));
    let input = bridge::reader(body);
    let (files, hashing) =
        blocking(move || read_context(Box::new(input), dir, spool, memo.as_deref())).await??;
    Ok((
        Context {
            dir: files.dir.clone(),
            files: Arc::new(files),
        },
        hashing,
    ))
}

/// A writer counting nothing, copying what is read into the spool.
struct Tee<R, W> {
    inner: R,
    spool: W,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.spool.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// What identifies a file's content in the tar (the memo's key).
fn memo_key(path: &str, entry: &mut tar::Entry<'_, impl Read>) -> Vec<u8> {
    let pax_mtime = entry
        .pax_extensions()
        .ok()
        .flatten()
        .and_then(|mut exts| {
            exts.find_map(|e| {
                e.ok()
                    .filter(|e| e.key_bytes() == b"mtime")
                    .map(|e| e.value_bytes().to_vec())
            })
        })
        .unwrap_or_default();
    let h = entry.header();
    let mut k = path.as_bytes().to_vec();
    k.push(0);
    k.push(h.entry_type().as_byte());
    for n in [
        u64::from(h.mode().unwrap_or(0)),
        h.uid().unwrap_or(0),
        h.gid().unwrap_or(0),
        h.size().unwrap_or(0),
        h.mtime().unwrap_or(0),
    ] {
        k.extend_from_slice(&n.to_be_bytes());
    }
    k.extend_from_slice(&pax_mtime);
    k.push(0);
    k.extend_from_slice(&h.link_name_bytes().unwrap_or_default());
    k
}

/// A tar name cleaned into the index's form; `None` for one going above the root.
fn clean(raw: &[u8]) -> Option<String> {
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

/// Hashes what it is given: SHA-256 unless a remembered digest is being checked, CRC-32 always.
struct Sums {
    sha: Option<Sha256>,
    crc: crc32fast::Hasher,
}

impl Write for Sums {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(sha) = self.sha.as_mut() {
            sha.update(buf);
        }
        self.crc.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads the context tar from `input` once: spooled to `spool`, indexed, every file hashed.
fn read_context(
    input: Box<dyn Read + Send>,
    dir: PathBuf,
    spool: PathBuf,
    memo: Option<&Memo>,
) -> Result<(Files, Hashing)> {
    let started = std::time::Instant::now();
    let mut files = Files {
        dir,
        spool: None,
        index: BTreeMap::new(),
        exact: true,
        extracted: OnceLock::new(),
        extracting: Mutex::new(()),
    };
    let mut input = input;
    // An empty body is an empty context.
    let mut first = [0u8; 1];
    let n = input.read(&mut first).ctx("reading the build context")?;
    if n == 0 {
        return Ok((files, Hashing::default()));
    }
    let whole: Box<dyn Read> = Box::new(std::io::Read::chain(
        std::io::Cursor::new(first[..n].to_vec()),
        input,
    ));
    let bad = |e: std::io::Error| Error::Invalid(format!("failed to read the build context: {e}"));
    let (_, plain) = graph::compress::decompress(whole)
        .map_err(|e| Error::Invalid(format!("failed to read the build context: {e}")))?;
    let out = std::fs::File::create(&spool).with_ctx(|| format!("creating {}", spool.display()))?;
    files.spool = Some(spool.clone());
    let mut tee = Tee {
        inner: plain,
        spool: std::io::BufWriter::with_capacity(1 << 20, out),
    };
    let mut hashing = Hashing::default();
    // Files whose remembered digest did not survive the check: hashed from the spool after.
    let mut recheck: Vec<(String, Vec<u8>, u32, Entry)> = Vec::new();
    let mut learned: Vec<(Vec<u8>, Recorded)> = Vec::new();
    {
        let mut archive = tar::Archive::new(&mut tee);
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let kind = entry.header().entry_type();
            if matches!(
                kind,
                tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
            ) {
                continue;
            }
            let Some(path) = clean(&entry.path_bytes()) else {
                files.exact = false;
                continue;
            };
            let mut e = Entry {
                kind: kind.as_byte(),
                mode: entry.header().mode().unwrap_or(0) & 0o7777,
                size: entry.header().size().unwrap_or(0),
                link: entry
                    .link_name_bytes()
                    .map(|l| l.into_owned())
                    .unwrap_or_default(),
                offset: entry.raw_file_position(),
                digest: [0; 32],
            };
            if kind.is_file() {
                let key = memo_key(&path, &mut entry);
                let known = match memo {
                    Some(m) => m.get(&key)?,
                    None => None,
                };
                let mut sums = Sums {
                    sha: known.is_none().then(Sha256::new),
                    crc: crc32fast::Hasher::new(),
                };
                std::io::copy(&mut entry, &mut sums).map_err(bad)?;
                let crc = sums.crc.finalize();
                match (known, sums.sha) {
                    (Some(r), _) if r.crc == crc => {
                        e.digest = r.digest;
                        hashing.remembered += 1;
                    }
                    (Some(_), _) => recheck.push((path.clone(), key, crc, e.clone())),
                    (None, Some(sha)) => {
                        e.digest = sha.finalize().into();
                        hashing.hashed += 1;
                        learned.push((
                            key,
                            Recorded {
                                crc,
                                digest: e.digest,
                            },
                        ));
                    }
                    (None, None) => {}
                }
            }
            if path.is_empty() {
                continue;
            }
            files.index.insert(path, e);
        }
    }
    // The rest of the stream (the end blocks) belongs in the spool too.
    std::io::copy(&mut tee, &mut std::io::sink()).map_err(bad)?;
    tee.spool.flush().ctx("writing the build context's spool")?;
    for (path, key, crc, entry) in recheck {
        // Read by the entry's own offset: a later entry of the same name replaced it in the
        // index, not in the spool.
        let digest: [u8; 32] = Sha256::digest(files.read(&entry)?).into();
        hashing.hashed += 1;
        learned.push((key, Recorded { crc, digest }));
        if let Some(e) = files.index.get_mut(&path)
            && e.offset == entry.offset
        {
            e.digest = digest;
        }
    }
    if let Some(m) = memo {
        // The memo only saves work: a failure to record costs a later build some hashing.
        if let Err(e) = m.record(&learned) {
            tracing::warn!(error = %e, "cannot record the build context's checksums");
        }
    }
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        entries = files.index.len(),
        hashed = hashing.hashed,
        remembered = hashing.remembered,
        "build context received"
    );
    Ok((files, hashing))
}

/// The Dockerfile's text: `name` (`Dockerfile` when empty) resolved inside the context.
pub(super) async fn dockerfile(ctx: &Context, name: &str) -> Result<String> {
    let name = if name.is_empty() { "Dockerfile" } else { name }.to_owned();
    let files = ctx.files();
    blocking(move || {
        let missing = || Error::Invalid(format!("Cannot locate specified Dockerfile: {name}"));
        let text = match clean(name.as_bytes()).and_then(|p| files.index.get(&p)) {
            // A regular file: read from the spool, nothing extracted.
            Some(e) if e.kind == b'0' || e.kind == 0 => {
                String::from_utf8(files.read(e)?).map_err(|_| missing())?
            }
            _ => {
                let root = files.root()?;
                let fd = root
                    .open_fd(&graph::tree::container_path(&name), OFlag::O_RDONLY)
                    .map_err(|_| missing())?;
                let mut text = String::new();
                std::fs::File::from(fd)
                    .read_to_string(&mut text)
                    .map_err(|_| missing())?;
                text
            }
        };
        if text.trim().is_empty() {
            return Err(Error::Invalid(format!(
                "the Dockerfile ({name}) cannot be empty"
            )));
        }
        Ok(text)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A context tar of `files` (path, content), every header alike but for path and size.
    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (p, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_700_000_000);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, p, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn read(tmp: &Path, tar: Vec<u8>, memo: &Memo) -> (Files, Hashing) {
        let id = crate::containers::random_hex_id().unwrap();
        read_context(
            Box::new(std::io::Cursor::new(tar)),
            tmp.join(&id[..8]),
            tmp.join(format!("{}.tar", &id[..8])),
            Some(memo),
        )
        .unwrap()
    }

    #[test]
    fn the_memo_gives_digests_only_for_the_same_content() {
        let tmp = tempfile::tempdir().unwrap();
        let memo = Memo::open(&tmp.path().join("memo"), 100).unwrap();
        let one = tar_of(&[("Dockerfile", b"FROM busybox\n"), ("a.txt", b"one\n")]);
        let (first, h) = read(tmp.path(), one.clone(), &memo);
        assert_eq!(
            h,
            Hashing {
                hashed: 2,
                remembered: 0
            }
        );
        let (again, h) = read(tmp.path(), one, &memo);
        assert_eq!(
            h,
            Hashing {
                hashed: 0,
                remembered: 2
            }
        );
        assert_eq!(first.index["a.txt"].digest, again.index["a.txt"].digest);
        let expected: [u8; 32] = Sha256::digest(b"one\n").into();
        assert_eq!(again.index["a.txt"].digest, expected);
        // Same path, size, mode and time, other bytes: the memo's digest is not served.
        let two = tar_of(&[("Dockerfile", b"FROM busybox\n"), ("a.txt", b"two\n")]);
        let (changed, h) = read(tmp.path(), two, &memo);
        assert_eq!(
            h,
            Hashing {
                hashed: 1,
                remembered: 1
            }
        );
        let expected: [u8; 32] = Sha256::digest(b"two\n").into();
        assert_eq!(changed.index["a.txt"].digest, expected);
        // The Dockerfile comes from the spool; the files are extracted only on demand.
        assert_eq!(
            changed.read(&changed.index["Dockerfile"]).unwrap(),
            b"FROM busybox\n"
        );
        assert!(!changed.dir.exists());
        let root = changed.root().unwrap();
        assert!(root.stat("/a.txt").is_ok());
    }
}
