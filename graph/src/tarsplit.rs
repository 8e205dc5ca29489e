//! Tar-split records: how a layer tar is re-created byte for byte without a second copy.
//!
//! While a layer is extracted, every byte of its tar that is not regular-file content (headers,
//! PAX/GNU records, padding, the end marker and anything after it) is written to the layer's
//! `tar-split.zst`, and each regular file's content is replaced by a reference to the
//! extracted file. `save` replays the record, reading file contents back from the layer
//! directory. This is the idea of Docker's tar-split, in a compact binary form:
//!
//! ```text
//! "WHARFTS1"  then records:  'R' u32le len, bytes       raw stream bytes
//!                            'F' u64le size, u32le len, path   file content (path in diff/)
//!                            'E'                        end of record
//! ```
//!
//! The n-th `F` record (counting from 0) is normally served from `diff/<path>`; if the same tar
//! later replaced or deleted that path, the extractor moved the original to `extra/<n>`.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use nix::libc;

use crate::error::{Error, IoContext, Result};
use crate::tarstream::RawSink;

const MAGIC: &[u8; 8] = b"WHARFTS1";
/// Name of the tar-split file in a layer directory.
pub(crate) const FILE_NAME: &str = "tar-split.zst";
/// Directory (in the layer directory) of file contents the tar itself later replaced.
pub(crate) const EXTRA_DIR: &str = "extra";
const RAW_CHUNK: usize = 64 * 1024;

/// zstd's level for the records: one of its fast (negative) levels. The records are mostly
/// tar headers (zeros and octal digits), which compress ~10x even so, at half the CPU of
/// level 1.
const ZSTD_LEVEL: i32 = -3;
/// Records handed to the compressing thread at once.
const OUT_CHUNK: usize = 256 * 1024;

/// Writes a tar-split record while a layer is extracted.
///
/// Records are gathered in memory and compressed and written by a thread of its own, so the
/// extracting thread (which the whole load waits for) spends no time in zstd.
pub(crate) struct SplitWriter {
    /// Records not yet handed over.
    out: Vec<u8>,
    raw: Vec<u8>,
    files: u64,
    path: PathBuf,
    tx: Option<SyncSender<Vec<u8>>>,
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl SplitWriter {
    /// Creates `<layer_dir>/tar-split.zst`.
    pub(crate) fn create(layer_dir: &Path) -> Result<SplitWriter> {
        let path = layer_dir.join(FILE_NAME);
        let f = File::create(&path).at("create", &path)?;
        let enc = zstd::stream::write::Encoder::new(BufWriter::new(f), ZSTD_LEVEL)
            .at("start zstd for", &path)?;
        let (tx, rx) = sync_channel::<Vec<u8>>(2);
        let writer = std::thread::Builder::new()
            .name("graph-tarsplit".to_string())
            .spawn(move || compress(enc, rx))
            .at("start a thread for", &path)?;
        let mut out = Vec::with_capacity(OUT_CHUNK + RAW_CHUNK + 64);
        out.extend_from_slice(MAGIC);
        Ok(SplitWriter {
            out,
            raw: Vec::with_capacity(RAW_CHUNK),
            files: 0,
            path,
            tx: Some(tx),
            writer: Some(writer),
        })
    }

    /// Hands the gathered records to the compressing thread once there are enough.
    fn hand_over(&mut self, force: bool) -> Result<()> {
        if self.out.len() < OUT_CHUNK && !force {
            return Ok(());
        }
        let full = std::mem::replace(
            &mut self.out,
            Vec::with_capacity(OUT_CHUNK + RAW_CHUNK + 64),
        );
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(full).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped: its error says why.
        Err(self.join_writer().err().unwrap_or_else(|| {
            Error::at(
                "write",
                &self.path,
                io::Error::other("compressing thread stopped"),
            )
        }))
    }

    fn join_writer(&mut self) -> Result<()> {
        drop(self.tx.take());
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(r)) => r.at("write", &self.path),
            Some(Err(p)) => std::panic::resume_unwind(p),
            None => Ok(()),
        }
    }

    fn flush_raw(&mut self) -> Result<()> {
        if self.raw.is_empty() {
            return Ok(());
        }
        let len = u32::try_from(self.raw.len()).expect("raw chunks are at most 64 KiB");
        self.out.push(b'R');
        self.out.extend_from_slice(&len.to_le_bytes());
        self.out.extend_from_slice(&self.raw);
        self.raw.clear();
        self.hand_over(false)
    }

    /// Records that `size` bytes of content come from the file at `rel` (relative to `diff/`).
    /// Returns the record's ordinal.
    pub(crate) fn file(&mut self, rel: &[u8], size: u64) -> Result<u64> {
        self.flush_raw()?;
        let len = u32::try_from(rel.len()).map_err(|_| Error::bad("path too long"))?;
        self.out.push(b'F');
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&len.to_le_bytes());
        self.out.extend_from_slice(rel);
        self.files += 1;
        self.hand_over(false)?;
        Ok(self.files - 1)
    }

    /// Ends the record and closes the file.
    pub(crate) fn finish(mut self) -> Result<()> {
        self.flush_raw()?;
        self.out.push(b'E');
        self.hand_over(true)?;
        self.join_writer()
    }
}

impl Drop for SplitWriter {
    fn drop(&mut self) {
        // An abandoned record (the layer failed): let the thread end, never outlive it.
        drop(self.tx.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// The compressing thread: writes every chunk received through zstd, then ends the frame and
/// flushes the file once the sender is gone.
fn compress(
    mut enc: zstd::stream::write::Encoder<'static, BufWriter<File>>,
    rx: Receiver<Vec<u8>>,
) -> io::Result<()> {
    for chunk in rx {
        enc.write_all(&chunk)?;
    }
    enc.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(())
}

impl RawSink for SplitWriter {
    fn raw(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let room = RAW_CHUNK - self.raw.len();
            let n = room.min(bytes.len());
            self.raw.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.raw.len() == RAW_CHUNK {
                self.flush_raw()?;
            }
        }
        Ok(())
    }
}

fn corrupt(path: &Path, what: &str) -> Error {
    Error::Store(format!("corrupt tar-split {}: {what}", path.display()))
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Re-creates a layer's tar stream into `out` from `<layer_dir>/tar-split.zst` and the files
/// under `diff_dir`. Returns the number of bytes written.
pub(crate) fn reassemble(layer_dir: &Path, diff_dir: &Path, out: &mut dyn Write) -> Result<u64> {
    let path = layer_dir.join(FILE_NAME);
    let f = File::open(&path).at("open", &path)?;
    let mut r = zstd::stream::read::Decoder::new(f).at("start zstd for", &path)?;
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).at("read", &path)?;
    if &magic != MAGIC {
        return Err(corrupt(&path, "bad magic"));
    }
    let extra_dir = layer_dir.join(EXTRA_DIR);
    let relocated = relocated_ordinals(&extra_dir)?;
    let mut written: u64 = 0;
    let mut ordinal: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let mut tag = [0u8; 1];
        r.read_exact(&mut tag)
            .map_err(|_| corrupt(&path, "missing end record"))?;
        match tag[0] {
            b'R' => {
                let len = read_u32(&mut r).at("read", &path)? as usize;
                let chunk = &mut buf[..len.min(RAW_CHUNK)];
                if len > RAW_CHUNK {
                    return Err(corrupt(&path, "raw chunk too large"));
                }
                r.read_exact(chunk).at("read", &path)?;
                out.write_all(chunk).ctx("write layer tar")?;
                written += len as u64;
            }
            b'F' => {
                let size = read_u64(&mut r).at("read", &path)?;
                let len = read_u32(&mut r).at("read", &path)? as usize;
                if len > 1 << 20 {
                    return Err(corrupt(&path, "path too long"));
                }
                let mut rel = vec![0u8; len];
                r.read_exact(&mut rel).at("read", &path)?;
                let src = if relocated.contains(&ordinal) {
                    extra_dir.join(ordinal.to_string())
                } else {
                    diff_dir.join(OsStr::from_bytes(&rel))
                };
                copy_content(&src, size, out, &mut buf)?;
                written += size;
                ordinal += 1;
            }
            b'E' => return Ok(written),
            _ => return Err(corrupt(&path, "unknown record")),
        }
    }
}

/// Copies exactly `size` bytes of the regular file `src` into `out`.
fn copy_content(src: &Path, size: u64, out: &mut dyn Write, buf: &mut [u8]) -> Result<()> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(src)
        .at("open layer file", src)?;
    let meta = f.metadata().at("stat layer file", src)?;
    if !meta.is_file() || meta.len() != size {
        return Err(Error::Store(format!(
            "layer file {} changed since it was extracted (expected {size} bytes)",
            src.display()
        )));
    }
    let mut r = f;
    let mut left = size;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = r.read(&mut buf[..want]).at("read layer file", src)?;
        if n == 0 {
            return Err(Error::Store(format!(
                "layer file {} is shorter than recorded",
                src.display()
            )));
        }
        out.write_all(&buf[..n]).ctx("write layer tar")?;
        left -= n as u64;
    }
    Ok(())
}

fn relocated_ordinals(extra_dir: &Path) -> Result<HashSet<u64>> {
    let mut set = HashSet::new();
    let rd = match fs::read_dir(extra_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(set),
        Err(e) => return Err(Error::at("read directory", extra_dir, e)),
    };
    for entry in rd {
        let entry = entry.at("read directory", extra_dir)?;
        if let Some(n) = entry.file_name().to_str().and_then(|s| s.parse().ok()) {
            set.insert(n);
        }
    }
    Ok(set)
}
