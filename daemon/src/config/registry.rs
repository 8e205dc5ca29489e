//! Registry settings: `--insecure-registry` / `insecure-registries`, `--registry-mirror` /
//! `registry-mirrors` (checked by the registry client, which owns those rules and moby's
//! messages), `--max-concurrent-downloads` and `--max-concurrent-uploads` (3 and 5 by default,
//! as dockerd), and where per-registry certificates are looked for: `certs.d/HOST:PORT/` beside
//! `daemon.json`, as dockerd reads `/etc/docker/certs.d`.

use std::path::Path;

/// dockerd's default for `--max-concurrent-downloads`.
const DEFAULT_DOWNLOADS: u32 = 3;
/// dockerd's default for `--max-concurrent-uploads`.
const DEFAULT_UPLOADS: u32 = 5;

/// The validated registry settings.
#[derive(Debug, Clone)]
pub struct Registries {
    /// Insecure registries, mirrors and the certs directory, as the registry client takes
    /// them.
    pub client: distribution::RegistryConfig,
    /// Layers downloaded at once per pull.
    pub max_concurrent_downloads: u32,
    /// Layers uploaded at once per push.
    pub max_concurrent_uploads: u32,
}

/// The raw settings, from flags or `daemon.json`.
#[derive(Debug, Default)]
pub struct RawRegistries {
    /// `--insecure-registry` / `insecure-registries`.
    pub insecure: Vec<String>,
    /// `--registry-mirror` / `registry-mirrors`.
    pub mirrors: Vec<String>,
    /// `--max-concurrent-downloads` / `max-concurrent-downloads`.
    pub downloads: Option<i64>,
    /// `--max-concurrent-uploads` / `max-concurrent-uploads`.
    pub uploads: Option<i64>,
}

impl Registries {
    /// Checks `raw` as dockerd does; the message names what is wrong in dockerd's words.
    pub fn load(raw: RawRegistries, config_file: &Path) -> Result<Registries, String> {
        let certs_dir = config_file
            .parent()
            .unwrap_or_else(|| Path::new("/"))
            .join("certs.d");
        let client =
            distribution::RegistryConfig::new(&raw.insecure, &raw.mirrors, Some(certs_dir))
                .map_err(|e| e.to_string())?;
        let count = |what: &str, v: Option<i64>, default: u32| match v {
            None => Ok(default),
            Some(n) => u32::try_from(n).map_err(|_| format!("invalid max concurrent {what}: {n}")),
        };
        Ok(Registries {
            client,
            max_concurrent_downloads: count("downloads", raw.downloads, DEFAULT_DOWNLOADS)?,
            max_concurrent_uploads: count("uploads", raw.uploads, DEFAULT_UPLOADS)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_concurrency_limits_as_dockerd() {
        let r = Registries::load(
            RawRegistries::default(),
            Path::new("/etc/wharf/daemon.json"),
        )
        .expect("defaults");
        assert_eq!(
            (r.max_concurrent_downloads, r.max_concurrent_uploads),
            (3, 5)
        );
        assert_eq!(r.client.certs_dir(), Some(Path::new("/etc/wharf/certs.d")));
        assert!(r.client.mirrors().is_empty());
        let raw = RawRegistries {
            downloads: Some(-1),
            ..RawRegistries::default()
        };
        assert_eq!(
            Registries::load(raw, Path::new("/d.json")).expect_err("negative"),
            "invalid max concurrent downloads: -1"
        );
        let raw = RawRegistries {
            mirrors: vec!["ftp://m.example.com".into()],
            ..RawRegistries::default()
        };
        assert!(
            Registries::load(raw, Path::new("/d.json"))
                .expect_err("bad mirror")
                .starts_with("invalid mirror: unsupported scheme \"ftp\"")
        );
    }
}
