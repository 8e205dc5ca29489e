//! What the image, network and container scenarios need besides the daemons: the fixture
//! images (and, apart, a ~1 GB one), the helper programs built from the workspace, a data
//! root seeded with 10 000 images, an OCI bundle of busybox for a bare `runc run`, and the
//! pull and push rows' images with the registry storage that serves them ([`HostedImages`]).
//!
//! xtask depends on no workspace crate: it builds `testkit`'s `wharf-fixtures` binary and the
//! `graph` and `netdriver` examples with cargo, runs them, and reads their `key=value` lines.
//! Everything they write lives in one temp dir, removed when the [`Assets`] drop (also on
//! failure or Ctrl-C). Fixtures, the seeded data root and the bundle are made on first use,
//! once per run.

use std::cell::OnceCell;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tempfile::TempDir;

use super::client::{DOCKER_CLI, Docker};
use super::registry::HostedImages;
use super::scenario::Fixture;
use super::{interrupt, scratch};
use crate::{cargo, run_checked, workspace_root};

/// How many images the seeded data root holds.
pub const SEEDED_IMAGES: u64 = 10_000;

/// One fixture image as written: its archive, tag and expected image ID.
#[derive(Debug)]
pub struct FixtureImage {
    /// The docker-archive.
    pub path: PathBuf,
    /// The tag it loads as.
    pub tag: &'static str,
    /// `sha256:…`, the same on every engine.
    pub id: String,
    /// The archive's size in bytes.
    pub bytes: u64,
}

/// The fixture images and the big one's layer alone.
#[derive(Debug)]
pub struct Fixtures {
    busybox: FixtureImage,
    layered: FixtureImage,
    big: FixtureImage,
    /// The big image's `/usr` layer, as a plain tar.
    pub big_layer: PathBuf,
    /// Regular files in it.
    pub big_layer_files: u64,
    /// Their total size in bytes.
    pub big_layer_content: u64,
}

impl Fixtures {
    /// One of the images.
    pub fn image(&self, f: Fixture) -> &FixtureImage {
        match f {
            Fixture::Busybox => &self.busybox,
            Fixture::Layered => &self.layered,
            Fixture::Big => &self.big,
        }
    }
}

/// The ~1 GB fixture (`wharf-fixtures --huge`), written only for the rows that load it.
#[derive(Debug)]
pub struct HugeFixture {
    /// The archive, `big1g:1`.
    pub image: FixtureImage,
    /// Regular files in its one layer.
    pub files: u64,
    /// Their total size in bytes.
    pub content: u64,
    /// How long writing it took.
    pub took: Duration,
}

/// An OCI bundle of the busybox fixture's rootfs for a bare `runc run`.
#[derive(Debug)]
pub struct RuncBundle {
    /// The bundle: `config.json` and `rootfs/`.
    pub dir: PathBuf,
    /// The cgroup its spec names (`cgroupsPath`), one level, the bench's own: runc removes it
    /// when a run ends, and nothing of it stays.
    pub cgroup: String,
}

/// The helper programs, their outputs and the temp dir that holds those.
pub struct Assets {
    dir: TempDir,
    docker_config: PathBuf,
    fixtures_bin: PathBuf,
    seed_bin: PathBuf,
    /// `graph`'s `prefix-bench` example.
    pub prefix_bench: PathBuf,
    /// `netdriver`'s `endpoint-bench` example.
    pub endpoint_bench: PathBuf,
    fixtures: OnceCell<Fixtures>,
    huge: OnceCell<HugeFixture>,
    seeded: OnceCell<PathBuf>,
    bundle: OnceCell<RuncBundle>,
    hosted: OnceCell<HostedImages>,
}

impl Assets {
    /// Builds the helper programs (release) and makes the temp dir; nothing is written yet.
    pub fn build() -> Result<Assets> {
        ensure!(
            Path::new(DOCKER_CLI).is_file(),
            "the image scenarios drive the real Docker CLI at {DOCKER_CLI}, which is missing"
        );
        run_checked(cargo().args([
            "build",
            "--release",
            "-p",
            "testkit",
            "--bin",
            "wharf-fixtures",
        ]))?;
        run_checked(cargo().args([
            "build",
            "--release",
            "-p",
            "graph",
            "--example",
            "prefix-bench",
            "--example",
            "seed-images",
        ]))?;
        run_checked(cargo().args([
            "build",
            "--release",
            "-p",
            "netdriver",
            "--example",
            "endpoint-bench",
        ]))?;
        let release = workspace_root().join("target/release");
        let dir = scratch::tempdir("wharf-bench-assets-")?;
        let docker_config = dir.path().join("docker-config");
        std::fs::create_dir(&docker_config)?;
        Ok(Assets {
            dir,
            docker_config,
            fixtures_bin: release.join("wharf-fixtures"),
            seed_bin: release.join("examples/seed-images"),
            prefix_bench: release.join("examples/prefix-bench"),
            endpoint_bench: release.join("examples/endpoint-bench"),
            fixtures: OnceCell::new(),
            huge: OnceCell::new(),
            seeded: OnceCell::new(),
            bundle: OnceCell::new(),
            hosted: OnceCell::new(),
        })
    }

    /// The Docker CLI for the daemon on `sock`.
    pub fn docker<'a>(&'a self, sock: &'a Path) -> Docker<'a> {
        Docker::new(sock, &self.docker_config)
    }

    /// The fixture images, written on first use.
    pub fn fixtures(&self) -> Result<&Fixtures> {
        if let Some(f) = self.fixtures.get() {
            return Ok(f);
        }
        let dir = self.dir.path().join("fixtures");
        eprintln!("xtask bench: writing the fixture images (wharf-fixtures)");
        let out = output(Command::new(&self.fixtures_bin).arg(&dir), "wharf-fixtures")?;
        let image = |name: &str, tag: &'static str| -> Result<FixtureImage> {
            Ok(FixtureImage {
                path: PathBuf::from(text(&out, name)?),
                tag,
                id: text(&out, &format!("{name}_id"))?.to_string(),
                bytes: number(&out, &format!("{name}_bytes"))? as u64,
            })
        };
        let f = Fixtures {
            busybox: image("busybox", "busybox:latest")?,
            layered: image("layered", "layered:1")?,
            big: image("big", "big:1")?,
            big_layer: PathBuf::from(text(&out, "big_layer")?),
            big_layer_files: number(&out, "big_layer_files")? as u64,
            big_layer_content: number(&out, "big_layer_content_bytes")? as u64,
        };
        Ok(self.fixtures.get_or_init(|| f))
    }

    /// The ~1 GB fixture, written on first use (in a couple of seconds).
    pub fn huge(&self) -> Result<&HugeFixture> {
        if let Some(h) = self.huge.get() {
            return Ok(h);
        }
        let dir = self.dir.path().join("fixtures");
        eprintln!("xtask bench: writing the ~1 GB fixture image (wharf-fixtures --huge)");
        let t0 = Instant::now();
        let out = output(
            Command::new(&self.fixtures_bin).arg(&dir).arg("--huge"),
            "wharf-fixtures --huge",
        )?;
        let took = t0.elapsed();
        let h = HugeFixture {
            image: FixtureImage {
                path: PathBuf::from(text(&out, "huge")?),
                tag: "big1g:1",
                id: text(&out, "huge_id")?.to_string(),
                bytes: number(&out, "huge_bytes")? as u64,
            },
            files: number(&out, "huge_layer_files")? as u64,
            content: number(&out, "huge_layer_content_bytes")? as u64,
            took,
        };
        Ok(self.huge.get_or_init(|| h))
    }

    /// The ~1 GB fixture, if a scenario used it.
    pub fn loaded_huge(&self) -> Option<&HugeFixture> {
        self.huge.get()
    }

    /// The fixture images, if a scenario used them.
    pub fn loaded_fixtures(&self) -> Option<&Fixtures> {
        self.fixtures.get()
    }

    /// The pull and push rows' images and the filled registry storage, made on first use.
    pub fn hosted(&self) -> Result<&HostedImages> {
        if let Some(h) = self.hosted.get() {
            return Ok(h);
        }
        eprintln!("xtask bench: writing the pull images (wharf-fixtures --registry)");
        let h = HostedImages::make(&self.fixtures_bin, &self.dir.path().join("registry"))?;
        Ok(self.hosted.get_or_init(|| h))
    }

    /// The pull and push rows' images, if a scenario used them.
    pub fn loaded_hosted(&self) -> Option<&HostedImages> {
        self.hosted.get()
    }

    /// Whether a scenario used the seeded data root.
    pub fn is_seeded(&self) -> bool {
        self.seeded.get().is_some()
    }

    /// A data root holding [`SEEDED_IMAGES`] images, seeded on first use.
    pub fn seeded_root(&self) -> Result<&Path> {
        if let Some(p) = self.seeded.get() {
            return Ok(p);
        }
        let root = self.dir.path().join("seeded-root");
        eprintln!("xtask bench: seeding a data root with {SEEDED_IMAGES} images (seed-images)");
        let out = output(
            Command::new(&self.seed_bin)
                .arg(&root)
                .arg(SEEDED_IMAGES.to_string()),
            "seed-images",
        )?;
        let images = number(&out, "images")?;
        ensure!(
            images as u64 == SEEDED_IMAGES,
            "seed-images stored {images} images, not {SEEDED_IMAGES}"
        );
        Ok(self.seeded.get_or_init(|| root))
    }
}

impl Assets {
    /// The busybox fixture as an OCI bundle for `runc run` (made on first use): its one layer
    /// extracted as `rootfs/`, and `runc spec`'s default `config.json` (new namespaces of every
    /// kind, network included; read-only root) made to run `true` without a terminal, in a
    /// cgroup of its own.
    pub fn runc_bundle(&self) -> Result<&RuncBundle> {
        if let Some(b) = self.bundle.get() {
            return Ok(b);
        }
        let archive = &self.fixtures()?.image(Fixture::Busybox).path;
        let dir = self.dir.path().join("runc-bundle");
        let unpacked = self.dir.path().join("busybox-archive");
        let rootfs = dir.join("rootfs");
        for d in [&unpacked, &rootfs] {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        run_checked(
            Command::new("tar")
                .arg("-xf")
                .arg(archive)
                .arg("-C")
                .arg(&unpacked),
        )?;
        // A docker-archive: `<id>/layer.tar` per layer; busybox has one.
        let layers: Vec<PathBuf> = std::fs::read_dir(&unpacked)?
            .flatten()
            .map(|e| e.path().join("layer.tar"))
            .filter(|p| p.is_file())
            .collect();
        let [layer] = layers.as_slice() else {
            bail!(
                "{} holds {} layers, expected one",
                archive.display(),
                layers.len()
            );
        };
        run_checked(
            Command::new("tar")
                .arg("-xf")
                .arg(layer)
                .arg("-C")
                .arg(&rootfs),
        )?;
        run_checked(Command::new("runc").arg("spec").arg("--bundle").arg(&dir))?;
        let cgroup = format!("/wharf-bench-runc-{}", std::process::id());
        let path = dir.join("config.json");
        let spec = std::fs::read_to_string(&path)?;
        let spec = bundle_spec(&spec, &cgroup)?;
        std::fs::write(&path, spec)?;
        Ok(self.bundle.get_or_init(|| RuncBundle { dir, cgroup }))
    }
}

/// `runc spec`'s default config made to run `true` without a terminal in cgroup `cgroup`
/// (each edit must apply exactly once: the text is runc's own, indented with tabs).
fn bundle_spec(spec: &str, cgroup: &str) -> Result<String> {
    let edits = [
        ("\"terminal\": true", "\"terminal\": false".to_string()),
        ("\"sh\"", "\"true\"".to_string()),
        (
            "\"linux\": {",
            format!("\"linux\": {{\n\t\t\"cgroupsPath\": \"{cgroup}\","),
        ),
    ];
    let mut spec = spec.to_string();
    for (from, to) in edits {
        ensure!(
            spec.matches(from).count() == 1,
            "runc spec's config.json does not hold {from} exactly once"
        );
        spec = spec.replace(from, &to);
    }
    Ok(spec)
}

/// Reads `path` through, so that a timed command finds it in the page cache: this machine
/// kind reclaims cold page cache proactively (DAMON), and a fixture written a minute earlier
/// may be half on disk again, which made the same load vary 4-fold between runs.
pub fn warm(path: &Path) -> Result<()> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    std::io::copy(&mut f, &mut std::io::sink())
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(())
}

/// Runs a helper to the end in its own process group (Ctrl-C reaches xtask only, which stops
/// once the helper is done); fails unless it exits 0. Returns its standard output.
pub fn output(cmd: &mut Command, what: &str) -> Result<String> {
    let out: Output = cmd
        .env("TMPDIR", scratch::base())
        .stdin(Stdio::null())
        .process_group(0)
        .output()
        .with_context(|| format!("running {what}"))?;
    interrupt::check()?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The value of a `key=value` line.
pub fn text<'a>(out: &'a str, key: &str) -> Result<&'a str> {
    out.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::trim)
        .with_context(|| format!("no {key}= line in:\n{out}"))
}

/// The number of a `key=value` line.
pub fn number(out: &str, key: &str) -> Result<f64> {
    let v = text(out, key)?;
    v.parse()
        .with_context(|| format!("{key}={v} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runc_spec_is_edited_once_each() {
        let spec = "{\n\t\"process\": {\n\t\t\"terminal\": true,\n\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t]\n\t},\n\t\"linux\": {\n\t\t\"namespaces\": []\n\t}\n}";
        let out = bundle_spec(spec, "/b-1").expect("every edit applies");
        assert!(out.contains("\"terminal\": false"), "{out}");
        assert!(out.contains("\"true\"") && !out.contains("\"sh\""), "{out}");
        assert!(
            out.contains("\"linux\": {\n\t\t\"cgroupsPath\": \"/b-1\","),
            "{out}"
        );
        assert!(bundle_spec("{}", "/b-1").is_err());
    }

    #[test]
    fn key_value_lines_are_read() {
        let out = "attach_ms=0.9\nattach_ms_min=0.7\nbig=/tmp/x/big.tar\n";
        assert_eq!(number(out, "attach_ms").expect("present"), 0.9);
        assert_eq!(number(out, "attach_ms_min").expect("present"), 0.7);
        assert_eq!(text(out, "big").expect("present"), "/tmp/x/big.tar");
        assert!(number(out, "detach_ms").is_err());
        assert!(number(out, "big").is_err());
    }
}
