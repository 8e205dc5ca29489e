//! Putting images into a test registry and looking at them, with `skopeo` (Debian's), run in
//! the registry's namespace, TLS unverified and the test credentials given when the registry
//! wants them.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::{PASSWORD, Registry, RegistryAuth, USER};
use crate::NetNs;

/// Debian's skopeo.
pub const SKOPEO: &str = "/usr/bin/skopeo";

impl Registry {
    /// `docker://<addr>/<reference>`.
    pub fn docker_ref(&self, reference: &str) -> String {
        format!("docker://{}/{reference}", self.addr())
    }

    /// The credentials and client certificate flags this registry needs, under skopeo's
    /// names for them (`--dest-creds`/`--dest-cert-dir` for a copy, `--creds`/`--cert-dir` for
    /// an inspect).
    fn access_args(&self, creds_flag: &str, cert_flag: &str) -> Vec<String> {
        let mut args = Vec::new();
        if self.auth() != RegistryAuth::None {
            args.push(format!("{creds_flag}={USER}:{PASSWORD}"));
        }
        if let Some(d) = self.cert_dir() {
            args.push(format!("{cert_flag}={}", d.display()));
        }
        args
    }

    /// Copies a `docker save` archive (one image) to `reference` (`busybox:latest`).
    pub fn push_docker_archive(&self, ns: &NetNs, archive: &Path, reference: &str) -> Result<()> {
        let src = format!("docker-archive:{}", archive.display());
        self.copy(ns, &src, reference, &[])
    }

    /// [`Registry::push_oci_archive`], the uncompressed layers compressed with zstd on the
    /// way (skopeo's `--dest-compress-format zstd`).
    pub fn push_oci_archive_zstd(
        &self,
        ns: &NetNs,
        archive: &Path,
        name: &str,
        reference: &str,
    ) -> Result<()> {
        let src = format!("oci-archive:{}:{name}", archive.display());
        self.copy(
            ns,
            &src,
            reference,
            &["--all", "--dest-compress-format=zstd"],
        )
    }

    /// Copies the image (or, with an index, every image of it) that an OCI archive names
    /// `name` (its `org.opencontainers.image.ref.name`) to `reference`.
    pub fn push_oci_archive(
        &self,
        ns: &NetNs,
        archive: &Path,
        name: &str,
        reference: &str,
    ) -> Result<()> {
        let src = format!("oci-archive:{}:{name}", archive.display());
        self.copy(ns, &src, reference, &["--all"])
    }

    fn copy(&self, ns: &NetNs, src: &str, reference: &str, flags: &[&str]) -> Result<()> {
        let dest = self.docker_ref(reference);
        let mut args = vec!["--insecure-policy", "copy", "--dest-tls-verify=false"];
        args.extend(flags);
        let access = self.access_args("--dest-creds", "--dest-cert-dir");
        args.extend(access.iter().map(String::as_str));
        args.extend([src, dest.as_str()]);
        ns.run(SKOPEO, &args)
            .map(|_| ())
            .with_context(|| format!("skopeo copy {src} {dest}"))
    }

    /// The manifest (or index) bytes the registry holds for `reference`.
    pub fn raw_manifest(&self, ns: &NetNs, reference: &str) -> Result<Vec<u8>> {
        Ok(self.inspect_args(ns, reference, true)?.into_bytes())
    }

    /// `skopeo inspect`: `Digest`, `Layers` (digests), `Architecture`...
    pub fn inspect(&self, ns: &NetNs, reference: &str) -> Result<Value> {
        let out = self.inspect_args(ns, reference, false)?;
        serde_json::from_str(&out).context("skopeo inspect prints JSON")
    }

    fn inspect_args(&self, ns: &NetNs, reference: &str, raw: bool) -> Result<String> {
        let target = self.docker_ref(reference);
        let mut args = vec!["--insecure-policy", "inspect", "--tls-verify=false"];
        if raw {
            args.push("--raw");
        }
        let access = self.access_args("--creds", "--cert-dir");
        args.extend(access.iter().map(String::as_str));
        args.push(&target);
        ns.run(SKOPEO, &args)
            .with_context(|| format!("skopeo inspect {target}"))
    }
}
