//! One parsed tar entry, with PAX and GNU extensions already applied.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// The type of a tar entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// Regular file (`0`, NUL, `7`).
    Regular,
    /// Hard link (`1`).
    HardLink,
    /// Symbolic link (`2`).
    Symlink,
    /// Character device (`3`).
    Char,
    /// Block device (`4`).
    Block,
    /// Directory (`5`).
    Dir,
    /// FIFO (`6`).
    Fifo,
    /// Anything else (GNU sparse, volume labels, …), refused by the extractor.
    Other(u8),
}

/// A tar entry's metadata.
#[derive(Debug, Clone)]
pub(crate) struct TarEntry {
    /// Path as stored (PAX `path` / GNU long name / ustar prefix+name).
    pub path: Vec<u8>,
    /// Link target for hard and symbolic links.
    pub link: Vec<u8>,
    pub kind: EntryKind,
    /// Permission bits including setuid/setgid/sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Modification time (seconds, nanoseconds).
    pub mtime: (i64, u32),
    /// Access time when the archive carries one (PAX `atime`).
    pub atime: Option<(i64, u32)>,
    pub dev_major: u64,
    pub dev_minor: u64,
    /// Content length in the stream.
    pub size: u64,
    /// Extended attributes from PAX `SCHILY.xattr.*` records.
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Extension records that apply to the next real entry.
#[derive(Default)]
pub(super) struct Pending {
    pub pax: HashMap<String, Vec<u8>>,
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    pub long_name: Option<Vec<u8>>,
    pub long_link: Option<Vec<u8>>,
}

impl Pending {
    /// Parses a PAX extended header body into this record.
    pub fn add_pax(&mut self, body: &[u8]) -> Result<()> {
        for ext in tar::PaxExtensions::new(body) {
            let ext = ext.map_err(|_| Error::bad("invalid tar header: malformed PAX record"))?;
            let key = ext
                .key()
                .map_err(|_| Error::bad("invalid tar header: non-utf8 PAX key"))?;
            if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                self.xattrs
                    .push((name.as_bytes().to_vec(), ext.value_bytes().to_vec()));
            } else {
                self.pax.insert(key.to_string(), ext.value_bytes().to_vec());
            }
        }
        Ok(())
    }
}

/// Parses a PAX time (`1234`, `1234.5678`, `-1.5`) into seconds and nanoseconds.
pub(super) fn parse_pax_time(v: &[u8]) -> Option<(i64, u32)> {
    let s = std::str::from_utf8(v).ok()?;
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = whole.parse().ok()?;
    let mut nanos: u32 = 0;
    for (i, c) in frac.bytes().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        if i < 9 {
            nanos = nanos * 10 + u32::from(c - b'0');
        }
    }
    for _ in frac.len()..9 {
        nanos *= 10;
    }
    if !neg {
        return Some((secs, nanos));
    }
    if nanos == 0 {
        Some((-secs, 0))
    } else {
        Some((-secs - 1, 1_000_000_000 - nanos))
    }
}

/// Parses a decimal PAX number.
pub(super) fn parse_pax_u64(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.parse().ok()
}
