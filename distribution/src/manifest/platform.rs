//! Choosing an index's manifest for a platform, as dockerd does on Linux (moby's
//! `filterManifests` over containerd's `platforms.Only`): names normalised (`x86_64` is
//! `amd64`, `aarch64` is `arm64`, `arm` means `arm/v7`), a platform also runs older variants
//! of its architecture (`arm/v7` runs `v6` and `v5`; `arm64` runs 32-bit `arm`; `amd64/v3` runs
//! `v2` and `v1`), the closest match first, and an entry without a platform last.

use std::fmt;
use std::str::FromStr;

use super::{Descriptor, ImageIndex, Platform};
use crate::Error;

/// A wanted platform: `os/arch[/variant]`, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`, `arm`...
    pub architecture: String,
    /// `v7`..., empty for the architecture's default.
    pub variant: String,
}

impl PlatformSpec {
    /// The platform this daemon runs: `linux` and the host's architecture (`linux/amd64`
    /// here), as dockerd's default.
    pub fn host() -> PlatformSpec {
        PlatformSpec::normalized("linux", std::env::consts::ARCH, "")
    }

    /// A platform from its parts, normalised as containerd normalises them.
    pub fn normalized(os: &str, architecture: &str, variant: &str) -> PlatformSpec {
        let os = match os.to_ascii_lowercase().as_str() {
            "macos" => "darwin".to_owned(),
            other => other.to_owned(),
        };
        let (architecture, variant) = normalize_arch(
            &architecture.to_ascii_lowercase(),
            &variant.to_ascii_lowercase(),
        );
        PlatformSpec {
            os,
            architecture,
            variant,
        }
    }

    /// Whether an entry's platform runs here, and how well: 0 is an exact match, larger is a
    /// fallback (an older variant, 32-bit arm on arm64); `None` does not run.
    fn rank(&self, p: &Platform) -> Option<usize> {
        let theirs = PlatformSpec::normalized(&p.os, &p.architecture, &p.variant);
        if theirs.os != self.os {
            return None;
        }
        self.vector()
            .iter()
            .position(|(arch, variant)| *arch == theirs.architecture && *variant == theirs.variant)
    }

    /// What this platform runs, best first (containerd's `platformVector`).
    fn vector(&self) -> Vec<(String, String)> {
        let mut out = vec![(self.architecture.clone(), self.variant.clone())];
        let level = |v: &str| v.strip_prefix('v').and_then(|n| n.parse::<u32>().ok());
        match self.architecture.as_str() {
            "amd64" => {
                // `amd64` is `v1`, written without a variant.
                let mut n = level(&self.variant).unwrap_or(1);
                while n > 1 {
                    n -= 1;
                    let v = if n == 1 {
                        String::new()
                    } else {
                        format!("v{n}")
                    };
                    out.push(("amd64".into(), v));
                }
            }
            "arm" => {
                let mut n = level(&self.variant).unwrap_or(7);
                while n > 5 {
                    n -= 1;
                    out.push(("arm".into(), format!("v{n}")));
                }
            }
            "arm64" => {
                for n in (5..=8).rev() {
                    out.push(("arm".into(), format!("v{n}")));
                }
            }
            _ => {}
        }
        out
    }
}

/// containerd's `normalizeArch`.
fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let (a, v) = match (arch, variant) {
        ("i386", _) => ("386", ""),
        ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64", ""),
        ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v),
        ("aarch64" | "arm64", "8" | "v8" | "") => ("arm64", ""),
        ("aarch64" | "arm64", v) => ("arm64", v),
        ("armhf", _) => ("arm", "v7"),
        ("armel", _) => ("arm", "v6"),
        ("arm", "" | "7") => ("arm", "v7"),
        ("arm", "5" | "6" | "8") => return ("arm".into(), format!("v{variant}")),
        (a, v) => (a, v),
    };
    (a.to_owned(), v.to_owned())
}

impl FromStr for PlatformSpec {
    type Err = Error;

    /// `os/arch[/variant]`; a lone component is an OS (with the host's architecture) when it
    /// names one, else an architecture on Linux (containerd's `platforms.Parse`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || {
            Error::InvalidPlatform(format!(
                "{s:?}: unknown operating system or architecture: invalid argument"
            ))
        };
        let parts: Vec<&str> = s.split('/').collect();
        if parts.iter().any(|p| p.is_empty())
            || parts.len() > 3
            || parts.iter().any(|p| {
                !p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
        {
            return Err(invalid());
        }
        const OSES: &[&str] = &["linux", "windows", "darwin", "freebsd", "macos"];
        Ok(match parts.as_slice() {
            [one] if OSES.contains(&one.to_ascii_lowercase().as_str()) => {
                let host = PlatformSpec::host();
                PlatformSpec::normalized(one, &host.architecture, &host.variant)
            }
            [arch] => PlatformSpec::normalized("linux", arch, ""),
            [os, arch] => PlatformSpec::normalized(os, arch, ""),
            [os, arch, variant] => PlatformSpec::normalized(os, arch, variant),
            _ => return Err(invalid()),
        })
    }
}

impl fmt::Display for PlatformSpec {
    /// `os/arch[/variant]`, as dockerd's "no matching manifest for ..." shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

/// The index entry dockerd would pull for `want`: the best match, ties in the index's order,
/// an entry without a platform after every match.
pub fn choose<'a>(index: &'a ImageIndex, want: &PlatformSpec) -> Result<&'a Descriptor, Error> {
    index
        .manifests
        .iter()
        .filter_map(|d| match &d.platform {
            Some(p) => want.rank(p).map(|r| (r, d)),
            None => Some((usize::MAX, d)),
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, d)| d)
        .ok_or_else(|| Error::NoMatchingPlatform {
            platform: want.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Digest;
    use crate::manifest::media;

    fn entry(n: u8, os: &str, arch: &str, variant: &str) -> Descriptor {
        let mut d = Descriptor::new(media::OCI_MANIFEST, 1, Digest::sha256(&[n]));
        d.platform = Some(Platform {
            os: os.into(),
            architecture: arch.into(),
            variant: variant.into(),
            ..Platform::default()
        });
        d
    }

    fn index(entries: Vec<Descriptor>) -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: media::OCI_INDEX.into(),
            manifests: entries,
        }
    }

    fn pick(i: &ImageIndex, want: &str) -> Result<u8, Error> {
        let d = choose(i, &want.parse().unwrap())?;
        Ok((1..=255)
            .find(|n| d.digest == Digest::sha256(&[*n]))
            .unwrap())
    }

    #[test]
    fn the_host_platform_is_linux_amd64_here() {
        if std::env::consts::ARCH == "x86_64" {
            assert_eq!(PlatformSpec::host().to_string(), "linux/amd64");
        }
    }

    #[test]
    fn platforms_parse_and_normalise() {
        let p: PlatformSpec = "linux/x86_64".parse().unwrap();
        assert_eq!(p.to_string(), "linux/amd64");
        assert_eq!(
            "linux/arm".parse::<PlatformSpec>().unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(
            "linux/aarch64/v8"
                .parse::<PlatformSpec>()
                .unwrap()
                .to_string(),
            "linux/arm64"
        );
        assert_eq!(
            "arm64".parse::<PlatformSpec>().unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            "linux/amd64/v1"
                .parse::<PlatformSpec>()
                .unwrap()
                .to_string(),
            "linux/amd64"
        );
        assert!("linux//amd64".parse::<PlatformSpec>().is_err());
        assert!("a/b/c/d".parse::<PlatformSpec>().is_err());
    }

    #[test]
    fn entries_chosen_as_dockerd_chooses_them() {
        let i = index(vec![
            entry(1, "linux", "arm", "v6"),
            entry(2, "linux", "arm64", "v8"),
            entry(3, "linux", "amd64", ""),
            entry(4, "linux", "arm", "v7"),
            entry(5, "windows", "amd64", ""),
            entry(6, "unknown", "unknown", ""),
        ]);
        assert_eq!(pick(&i, "linux/amd64").unwrap(), 3);
        assert_eq!(pick(&i, "linux/arm64").unwrap(), 2);
        assert_eq!(pick(&i, "linux/arm/v7").unwrap(), 4);
        assert_eq!(pick(&i, "linux/arm/v6").unwrap(), 1);
        assert_eq!(pick(&i, "windows/amd64").unwrap(), 5);
        let e = pick(&i, "linux/s390x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "no matching manifest for linux/s390x in the manifest list entries"
        );

        // Fallbacks: arm64 runs 32-bit arm, arm/v8 runs v7, amd64/v3 runs plain amd64.
        let arm_only = index(vec![
            entry(1, "linux", "arm", "v6"),
            entry(4, "linux", "arm", "v7"),
        ]);
        assert_eq!(pick(&arm_only, "linux/arm64").unwrap(), 4);
        assert_eq!(pick(&arm_only, "linux/arm/v8").unwrap(), 4);
        assert!(pick(&arm_only, "linux/arm/v5").is_err());
        let amd = index(vec![
            entry(3, "linux", "amd64", ""),
            entry(7, "linux", "amd64", "v2"),
        ]);
        assert_eq!(pick(&amd, "linux/amd64/v3").unwrap(), 7);
        assert_eq!(pick(&amd, "linux/amd64").unwrap(), 3);

        // An entry without a platform matches, after every real match.
        let mut bare = Descriptor::new(media::OCI_MANIFEST, 1, Digest::sha256(&[9]));
        bare.platform = None;
        let with_bare = index(vec![bare.clone(), entry(3, "linux", "amd64", "")]);
        assert_eq!(pick(&with_bare, "linux/amd64").unwrap(), 3);
        assert_eq!(pick(&index(vec![bare]), "linux/arm64").unwrap(), 9);
    }
}
