//! Kernel release parsing, in the shape of moby's `kernel.ParseRelease`: `major.minor[.patch]`
//! followed by a free-form flavor (`-28-amd64`, `-fc-v782`, `.el7.x86_64`).

use std::fmt;

use serde::Serialize;

/// A parsed kernel release such as `5.10.0-28-amd64`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelVersion {
    /// The major version (`5`).
    pub major: u32,
    /// The minor version (`10`).
    pub minor: u32,
    /// The patch level (`0`); `0` when the release has none, as in `4.4-generic`.
    pub patch: u32,
    /// Everything after the numbers (`-28-amd64`), possibly empty.
    pub flavor: String,
}

impl KernelVersion {
    /// Parses a release string as `/proc/sys/kernel/osrelease` holds it; `None` if it does not
    /// start with `major.minor`.
    pub fn parse(release: &str) -> Option<Self> {
        let (major, rest) = number(release.trim())?;
        let (minor, rest) = number(rest.strip_prefix('.')?)?;
        let (patch, rest) = match rest.strip_prefix('.').and_then(number) {
            Some((patch, rest)) => (patch, rest),
            None => (0, rest),
        };
        Some(Self {
            major,
            minor,
            patch,
            flavor: rest.to_owned(),
        })
    }

    /// Whether this kernel is `major.minor.patch` or newer (the flavor is ignored).
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            major,
            minor,
            patch,
            flavor,
        } = self;
        write!(f, "{major}.{minor}.{patch}{flavor}")
    }
}

/// Splits the leading decimal number off `text`.
fn number(text: &str) -> Option<(u32, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let value = text[..end].parse().ok()?;
    Some((value, &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_releases() {
        let debian = KernelVersion::parse("5.10.0-28-amd64").expect("valid release");
        assert_eq!((debian.major, debian.minor, debian.patch), (5, 10, 0));
        assert_eq!(debian.flavor, "-28-amd64");
        assert_eq!(debian.to_string(), "5.10.0-28-amd64");

        let short = KernelVersion::parse("4.4-generic").expect("valid release");
        assert_eq!((short.major, short.minor, short.patch), (4, 4, 0));
        assert_eq!(short.flavor, "-generic");

        let rhel = KernelVersion::parse("3.10.0-1160.el7.x86_64").expect("valid release");
        assert_eq!(rhel.patch, 0);
        assert_eq!(rhel.flavor, "-1160.el7.x86_64");

        let dotted = KernelVersion::parse("6.18.44.1").expect("valid release");
        assert_eq!((dotted.patch, dotted.flavor.as_str()), (44, ".1"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "6", "6.", "linux-6.1", ".5.3", "99999999999.1"] {
            assert_eq!(KernelVersion::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn compares_numbers_only() {
        let v = KernelVersion::parse("3.8.0-rc1").expect("valid release");
        assert!(v.at_least(3, 8, 0));
        assert!(!v.at_least(3, 8, 1));
        assert!(
            !KernelVersion::parse("3.7.10")
                .expect("valid release")
                .at_least(3, 8, 0)
        );
    }
}
