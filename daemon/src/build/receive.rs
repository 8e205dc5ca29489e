//! Receiving a build context: the tar read once as it arrives, spooled (decompressed) to
//! `tmp/build-*.tar`, every entry indexed, every regular file's SHA-256 computed on the way
//! or taken from the [`Memo`] when the CRC-32 computed on the way matches what it recorded.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use api::backend::ByteStream;
use sha2::{Digest, Sha256};

use super::context::{Context, Entry, Files, clean};
use super::memo::{Memo, Recorded};
use crate::blocking::blocking;
use crate::error::{Error, IoContext, Result};
use crate::images::bridge;

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
    Ok((Context::new(files), hashing))
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
    let mut files = Files::new(dir);
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
