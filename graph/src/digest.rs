//! `sha256:<hex>` digests: image IDs, diff IDs, chain IDs, blob digests.

use std::fmt;
use std::io::{self, Read, Write};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// A sha256 content digest, always `sha256:` followed by 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(String);

/// An image ID: the digest of the image's config JSON bytes.
pub type ImageId = Digest;
/// A diff ID: the digest of a layer's uncompressed tar stream.
pub type DiffId = Digest;
/// A chain ID: identifies a layer together with all the layers below it.
pub type ChainId = Digest;

impl Digest {
    /// Parses `sha256:<64 lowercase hex>`; any other form is refused with go-digest's messages.
    pub fn parse(s: &str) -> Result<Digest> {
        let Some((algo, hex)) = s.split_once(':') else {
            return Err(Error::bad(format!("invalid checksum digest format: {s}")));
        };
        if algo != "sha256" {
            return Err(Error::bad(format!("unsupported digest algorithm: {s}")));
        }
        Self::from_hex(hex).ok_or_else(|| {
            if hex.len() != 64 {
                Error::bad(format!("invalid checksum digest length: {s}"))
            } else {
                Error::bad(format!("invalid checksum digest format: {s}"))
            }
        })
    }

    /// Builds a digest from 64 lowercase hex digits, or `None` if `hex` is not that.
    pub fn from_hex(hex: &str) -> Option<Digest> {
        is_sha256_hex(hex).then(|| Digest(format!("sha256:{hex}")))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        let mut h = Sha256::new();
        h.update(bytes);
        Self::from_hasher(h)
    }

    /// Finishes a hasher into a digest.
    pub(crate) fn from_hasher(h: Sha256) -> Digest {
        Digest(format!("sha256:{}", hex::encode(h.finalize())))
    }

    /// The 64 hex digits without the algorithm.
    pub fn hex(&self) -> &str {
        &self.0[7..]
    }

    /// The first 12 hex digits, as Docker shows short IDs.
    pub fn short(&self) -> &str {
        &self.0[7..19]
    }

    /// The full `sha256:<hex>` string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// True if `s` is exactly 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The chain ID of a layer with diff ID `diff` on top of the chain `parent`, as Docker computes
/// it: the first layer's chain ID is its diff ID, each next one is
/// `sha256(parent_chain + " " + diff)`.
pub fn chain_id(parent: Option<&ChainId>, diff: &DiffId) -> ChainId {
    match parent {
        None => diff.clone(),
        Some(p) => Digest::of(format!("{} {}", p.as_str(), diff.as_str()).as_bytes()),
    }
}

/// The chain IDs of every prefix of `diff_ids`.
pub fn chain_ids(diff_ids: &[DiffId]) -> Vec<ChainId> {
    let mut out: Vec<ChainId> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = chain_id(out.last(), d);
        out.push(next);
    }
    out
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A reader that hashes and counts everything read through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The digest of everything read so far, and the count.
    pub(crate) fn finish(self) -> (Digest, u64) {
        (Digest::from_hasher(self.hasher), self.count)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// A writer that hashes and counts everything written through it.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The digest of everything written, the count, and the inner writer.
    pub(crate) fn finish(self) -> (Digest, u64, W) {
        (Digest::from_hasher(self.hasher), self.count, self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_parts() {
        let d = Digest::of(b"");
        assert_eq!(
            d.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(d.short(), "e3b0c44298fc");
        assert_eq!(Digest::parse(d.as_str()).expect("valid"), d);
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse("md5:abc").is_err());
        assert!(Digest::parse(&d.as_str().to_uppercase()).is_err());
    }

    #[test]
    fn chain_ids_follow_docker() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let ids = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(ids[0], a);
        assert_eq!(ids[1], Digest::of(format!("{a} {b}").as_bytes()));
    }
}
