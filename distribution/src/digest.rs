//! Content digests (`sha256:<hex>`), as go-digest validates and computes them.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::Error;

/// A validated content digest: a known algorithm and its hex of the right length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// The sha256 digest of `bytes` (what dockerd computes for manifests and pushed blobs).
    pub fn sha256(bytes: &[u8]) -> Digest {
        Digest(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }

    /// `sha256:<hex>` as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The algorithm (`sha256`).
    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    /// The hex part.
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, h)| h)
    }

    /// A hasher of this digest's algorithm, to verify content against it.
    pub fn hasher(&self) -> Hasher {
        match self.algorithm() {
            "sha384" => Hasher::Sha384(Sha384::new()),
            "sha512" => Hasher::Sha512(Sha512::new()),
            _ => Hasher::Sha256(Sha256::new()),
        }
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        let mut h = self.hasher();
        h.update(bytes);
        h.finish() == *self
    }
}

impl FromStr for Digest {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidDigest(s.to_owned());
        let (alg, hex) = s.split_once(':').ok_or_else(invalid)?;
        let len = match alg {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            _ => return Err(invalid()),
        };
        let lower_hex = hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if hex.len() != len || !lower_hex {
            return Err(invalid());
        }
        Ok(Digest(s.to_owned()))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A running hash of one of the digest algorithms.
#[derive(Clone)]
pub enum Hasher {
    /// sha256, what nearly everything uses.
    Sha256(Sha256),
    /// sha384.
    Sha384(Sha384),
    /// sha512.
    Sha512(Sha512),
}

impl Hasher {
    /// A sha256 hasher (for content whose digest is computed, not checked).
    pub fn sha256() -> Hasher {
        Hasher::Sha256(Sha256::new())
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha384(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        let (alg, sum) = match self {
            Hasher::Sha256(h) => ("sha256", hex::encode(h.finalize())),
            Hasher::Sha384(h) => ("sha384", hex::encode(h.finalize())),
            Hasher::Sha512(h) => ("sha512", hex::encode(h.finalize())),
        };
        Digest(format!("{alg}:{sum}"))
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hasher")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_validate_and_verify() {
        let d = Digest::sha256(b"hello");
        assert_eq!(
            d.as_str(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(d.as_str().parse::<Digest>().unwrap(), d);
        assert!(d.matches(b"hello") && !d.matches(b"hellO"));
        assert_eq!(d.algorithm(), "sha256");
        for bad in ["sha256:abc", "md5:00", "sha256", &d.as_str().to_uppercase()] {
            assert!(bad.parse::<Digest>().is_err(), "{bad}");
        }
        let d512: Digest = format!("sha512:{}", "a".repeat(128)).parse().unwrap();
        assert!(!d512.matches(b""));
    }
}
