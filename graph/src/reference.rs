//! Image references (`busybox`, `localhost:5000/x:y`, `name@sha256:…`), normalised as Docker's
//! `distribution/reference` package does.
//!
//! Inside the store every reference is fully qualified (`docker.io/library/busybox:latest`);
//! users see the familiar form (`busybox:latest`).

use std::fmt;

use crate::digest::{Digest, is_sha256_hex};
use crate::error::{Error, Result};

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A fully qualified, validated image reference.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// What a user-supplied string names: an image ID or a repository reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyReference {
    /// A full image ID (`sha256:<hex>` or 64 hex digits).
    Id(Digest),
    /// A repository reference.
    Named(Reference),
}

impl Reference {
    /// Parses a familiar or full reference (`busybox`, `user/app:1`, `localhost:5000/x@sha256:…`)
    /// into its fully qualified form, with Docker's error messages.
    pub fn parse_normalized(s: &str) -> Result<Reference> {
        if is_sha256_hex(s) {
            return Err(Error::InvalidReference(format!(
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            )));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.to_lowercase() != remote {
            return Err(Error::InvalidReference(format!(
                "invalid reference format: repository name ({remote}) must be lowercase"
            )));
        }
        let full = format!("{domain}/{remainder}");
        let (name, tag, digest) = parse_parts(&full)?;
        if name.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(Error::InvalidReference(format!(
                "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
            )));
        }
        let path = name[domain.len() + 1..].to_string();
        Ok(Reference {
            domain,
            path,
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The repository name with its domain (`docker.io/library/busybox`).
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The registry domain (`docker.io`, `localhost:5000`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path below the domain (`library/busybox`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// True if the reference has neither tag nor digest.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// Adds the `latest` tag to a name-only reference (Docker's `TagNameOnly`).
    pub fn with_default_tag(mut self) -> Reference {
        if self.is_name_only() {
            self.tag = Some(DEFAULT_TAG.to_string());
        }
        self
    }

    /// Replaces the tag (and drops any digest). Fails on an invalid tag.
    pub fn with_tag(mut self, tag: &str) -> Result<Reference> {
        if !is_tag(tag) {
            return Err(Error::InvalidReference("invalid tag format".to_string()));
        }
        self.tag = Some(tag.to_string());
        self.digest = None;
        Ok(self)
    }

    /// The repository name as users see it (`busybox`, `user/app`, `localhost:5000/x`).
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            match self.path.strip_prefix(OFFICIAL_PREFIX) {
                Some(rest) if !rest.contains('/') => rest.to_string(),
                _ => self.path.clone(),
            }
        } else {
            self.name()
        }
    }

    /// The whole reference as users see it (`busybox:latest`).
    pub fn familiar(&self) -> String {
        self.render(&self.familiar_name())
    }

    fn render(&self, name: &str) -> String {
        let mut s = name.to_string();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d.as_str());
        }
        s
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form (`docker.io/library/busybox:latest`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.name()))
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl AnyReference {
    /// Parses an image ID (`sha256:<hex>`, bare 64 hex) or a familiar reference, as Docker's
    /// `ParseAnyReference` does.
    pub fn parse(s: &str) -> Result<AnyReference> {
        if is_sha256_hex(s) {
            return Ok(AnyReference::Id(Digest::from_hex(s).expect("checked hex")));
        }
        if let Ok(d) = Digest::parse(s) {
            return Ok(AnyReference::Id(d));
        }
        Reference::parse_normalized(s).map(AnyReference::Named)
    }
}

/// Splits the registry domain off a familiar name, as `splitDockerDomain` does.
fn split_docker_domain(s: &str) -> (String, String) {
    let Some((first, rest)) = s.split_once('/') else {
        return (DEFAULT_DOMAIN.to_string(), format!("{OFFICIAL_PREFIX}{s}"));
    };
    let (domain, remote) =
        if first == "localhost" || first.contains(['.', ':']) || first.to_lowercase() != first {
            (first.to_string(), rest.to_string())
        } else {
            (DEFAULT_DOMAIN.to_string(), s.to_string())
        };
    let domain = if domain == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN.to_string()
    } else {
        domain
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        return (domain, format!("{OFFICIAL_PREFIX}{remote}"));
    }
    (domain, remote)
}

/// Matches `name[:tag][@digest]` against the reference grammar; returns the parts or Docker's
/// error.
fn parse_parts(s: &str) -> Result<(&str, Option<&str>, Option<Digest>)> {
    let invalid = || Error::InvalidReference("invalid reference format".to_string());
    if s.is_empty() {
        return Err(Error::InvalidReference(
            "repository name must have at least one component".to_string(),
        ));
    }
    let (rest, digest) = match s.split_once('@') {
        Some((rest, d)) => (rest, Some(d)),
        None => (s, None),
    };
    let (name, tag) = match rest.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (rest, None),
    };
    if !is_name(name) || tag.is_some_and(|t| !is_tag(t)) {
        let lower = s.to_lowercase();
        if lower != s && parse_parts(&lower).is_ok() {
            return Err(Error::InvalidReference(
                "repository name must be lowercase".to_string(),
            ));
        }
        return Err(invalid());
    }
    let digest = match digest {
        None => None,
        Some(d) => {
            if !is_digest_syntax(d) {
                return Err(invalid());
            }
            Some(Digest::parse(d).map_err(|e| Error::InvalidReference(e.to_string()))?)
        }
    };
    Ok((name, tag, digest))
}

fn is_name(name: &str) -> bool {
    let comps: Vec<&str> = name.split('/').collect();
    match comps.as_slice() {
        [] => false,
        [only] => is_path_component(only),
        [first, rest @ ..] => {
            (is_domain(first) || is_path_component(first))
                && rest.iter().all(|c| is_path_component(c))
        }
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `host[:port]` where host is a DNS-ish name, an IPv4 address or a bracketed IPv6 address.
fn is_domain(d: &str) -> bool {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty() || !v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        match after {
            "" => return true,
            p => match p.strip_prefix(':') {
                Some(port) => ("x", Some(port)),
                None => return false,
            },
        }
    } else {
        match d.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (d, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    host.split('.').all(|c| {
        let b = c.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
    })
}

/// `[\w][\w.-]{0,127}`
fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|x| word(*x) || *x == b'.' || *x == b'-')
}

/// `algorithm:hex` with the grammar of the reference package (hex at least 32 digits).
fn is_digest_syntax(d: &str) -> bool {
    let Some((algo, hex)) = d.split_once(':') else {
        return false;
    };
    let algo_ok = algo.split(['+', '.', '-', '_']).all(|c| {
        let b = c.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(|x| x.is_ascii_alphanumeric())
    });
    algo_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Reference::parse_normalized(s).expect(s).to_string()
    }

    fn err(s: &str) -> String {
        Reference::parse_normalized(s).expect_err(s).to_string()
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox");
        assert_eq!(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(norm("user/app:v1"), "docker.io/user/app:v1");
        assert_eq!(norm("index.docker.io/busybox"), "docker.io/library/busybox");
        assert_eq!(norm("localhost:5000/x:y"), "localhost:5000/x:y");
        assert_eq!(norm("localhost/x"), "localhost/x");
        assert_eq!(norm("example.com/a/b/c"), "example.com/a/b/c");
        assert_eq!(norm("a__b.c-d---e"), "docker.io/library/a__b.c-d---e");
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            norm(&format!("busybox@{d}")),
            format!("docker.io/library/busybox@{d}")
        );
        assert_eq!(
            norm(&format!("busybox:1@{d}")),
            format!("docker.io/library/busybox:1@{d}")
        );
    }

    #[test]
    fn familiar_forms() {
        let f = |s: &str| Reference::parse_normalized(s).expect(s).familiar();
        assert_eq!(f("docker.io/library/busybox:latest"), "busybox:latest");
        assert_eq!(f("docker.io/user/app"), "user/app");
        assert_eq!(f("localhost:5000/x:y"), "localhost:5000/x:y");
        let r = Reference::parse_normalized("busybox").expect("valid");
        assert_eq!(r.with_default_tag().familiar(), "busybox:latest");
    }

    #[test]
    fn docker_error_messages() {
        assert_eq!(
            err("Busybox"),
            "invalid reference format: repository name (library/Busybox) must be lowercase"
        );
        assert_eq!(err("busybox:"), "invalid reference format");
        assert_eq!(err("bu$y"), "invalid reference format");
        assert_eq!(err("a___b"), "invalid reference format");
        assert_eq!(err("-a"), "invalid reference format");
        assert_eq!(err(":tag"), "invalid reference format");
        assert_eq!(err("x:-tag"), "invalid reference format");
        assert_eq!(err(""), "invalid reference format");
        let hex = "a".repeat(64);
        assert_eq!(
            err(&hex),
            format!("invalid repository name ({hex}), cannot specify 64-byte hexadecimal strings")
        );
        assert!(err(&format!("x:{}", "t".repeat(129))).contains("invalid reference format"));
        assert!(err(&format!("{}/x", "a".repeat(260))).contains("255"));
    }

    #[test]
    fn any_reference() {
        let hex = "b".repeat(64);
        assert!(matches!(AnyReference::parse(&hex), Ok(AnyReference::Id(_))));
        assert!(matches!(
            AnyReference::parse(&format!("sha256:{hex}")),
            Ok(AnyReference::Id(_))
        ));
        assert!(matches!(
            AnyReference::parse("abc"),
            Ok(AnyReference::Named(_))
        ));
    }
}
