//! The pull and push rows' images: written once per bench by `wharf-fixtures --registry` as
//! docker-archives (uncompressed layers), and a registry storage directory filled with them
//! once, by `skopeo copy` to a registry run in a namespace made for it. skopeo gzips each
//! layer on the way, so the storage holds them as registries serve images. Every timed pull
//! then serves that storage read-only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::super::assets::{self, FixtureImage, number, text};
use super::super::procs;
use super::super::scenario::Hosted;
use super::server::{ADDR, Access, Server};
use crate::ns::{self, NetNs};

/// Debian's skopeo.
pub const SKOPEO: &str = "/usr/bin/skopeo";

impl Hosted {
    /// Every one, in the order they are written.
    pub const ALL: [Hosted; 3] = [Hosted::One, Hosted::Five, Hosted::Largest];

    /// The tag its docker-archive loads as.
    pub fn tag(self) -> &'static str {
        match self {
            Hosted::One => "pull-one:1",
            Hosted::Five => "pull-five:1",
            Hosted::Largest => "pull-largest:1",
        }
    }

    /// Its name and tag in the registry.
    pub fn repo(self) -> &'static str {
        match self {
            Hosted::One => "bench/one:1",
            Hosted::Five => "bench/five:1",
            Hosted::Largest => "bench/largest:1",
        }
    }

    /// Its reference for the daemons: `127.0.0.1:5000/bench/one:1`.
    pub fn reference(self) -> String {
        format!("{ADDR}/{}", self.repo())
    }

    /// How many layers it has.
    pub fn layers(self) -> usize {
        match self {
            Hosted::Five => 5,
            Hosted::One | Hosted::Largest => 1,
        }
    }

    /// The `wharf-fixtures` keys it is printed under.
    fn key(self) -> &'static str {
        match self {
            Hosted::One => "one",
            Hosted::Five => "five",
            Hosted::Largest => "largest",
        }
    }
}

/// The images and the filled storage.
#[derive(Debug)]
pub struct HostedImages {
    images: Vec<(Hosted, FixtureImage)>,
    /// The storage root every pull serves.
    pub storage: PathBuf,
    /// Each layer tar's size in the five-layer image, bottom first.
    pub five_layer_bytes: Vec<u64>,
    /// Regular files in the sample.
    pub sample_files: u64,
    /// Their total size.
    pub sample_content: u64,
    /// What the storage's blobs (gzipped layers, configs, manifests) add up to.
    pub blob_bytes: u64,
    /// How long writing the archives and filling the storage took.
    pub took: Duration,
}

impl HostedImages {
    /// Writes the archives into `dir` with `fixtures_bin` and fills `dir/storage` with them.
    pub fn make(fixtures_bin: &Path, dir: &Path) -> Result<HostedImages> {
        let t0 = Instant::now();
        let out = assets::output(
            Command::new(fixtures_bin).arg(dir).arg("--registry"),
            "wharf-fixtures --registry",
        )?;
        let images = Hosted::ALL
            .iter()
            .map(|&h| {
                let key = h.key();
                Ok((
                    h,
                    FixtureImage {
                        path: PathBuf::from(text(&out, key)?),
                        tag: h.tag(),
                        id: text(&out, &format!("{key}_id"))?.to_string(),
                        bytes: number(&out, &format!("{key}_bytes"))? as u64,
                    },
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let five_layer_bytes = text(&out, "five_layer_bytes")?
            .split(',')
            .map(|n| n.parse().with_context(|| format!("layer size {n}")))
            .collect::<Result<Vec<u64>>>()?;
        let storage = dir.join("storage");
        fill(&storage, &images)?;
        let blob_bytes = blobs(&storage)?
            .iter()
            .map(|b| b.metadata().map_or(0, |m| m.len()))
            .sum();
        Ok(HostedImages {
            images,
            storage,
            five_layer_bytes,
            sample_files: number(&out, "sample_files")? as u64,
            sample_content: number(&out, "sample_content_bytes")? as u64,
            blob_bytes,
            took: t0.elapsed(),
        })
    }

    /// One of the images.
    pub fn image(&self, h: Hosted) -> &FixtureImage {
        &self
            .images
            .iter()
            .find(|(x, _)| *x == h)
            .expect("every hosted image is written")
            .1
    }

    /// Reads every blob of the storage through, so that a timed pull finds them in the page
    /// cache (see [`assets::warm`]).
    pub fn warm(&self) -> Result<()> {
        for blob in blobs(&self.storage)? {
            assets::warm(&blob)?;
        }
        Ok(())
    }
}

/// Pushes every image to a registry on `storage`, run in a namespace of its own.
fn fill(storage: &Path, images: &[(Hosted, FixtureImage)]) -> Result<()> {
    std::fs::create_dir_all(storage).with_context(|| format!("creating {}", storage.display()))?;
    eprintln!("xtask bench: filling a registry with the pull images (skopeo copy, gzip layers)");
    let netns = NetNs::new("bench-fill")?;
    let result = (|| {
        let server = Server::start(&netns.name, storage, Access::ReadWrite)?;
        for (h, image) in images {
            skopeo(
                &netns.name,
                &[
                    "copy",
                    "--dest-tls-verify=false",
                    "--dest-compress-format=gzip",
                    &format!("docker-archive:{}", image.path.display()),
                    &format!("docker://{}", h.reference()),
                ],
            )
            .with_context(|| format!("the registry said:\n{}", server.log()))?;
        }
        Ok(())
    })();
    procs::kill_leftovers(&netns.name);
    result
}

/// `skopeo --insecure-policy ARGS` in the namespace named `netns`; its standard output.
pub fn skopeo(netns: &str, args: &[&str]) -> Result<String> {
    let mut cmd = ns::command_in(netns, SKOPEO);
    cmd.arg("--insecure-policy").args(args);
    assets::output(&mut cmd, &format!("skopeo {}", args.join(" ")))
}

/// The `data` files of every blob in the registry storage `storage`.
fn blobs(storage: &Path) -> Result<Vec<PathBuf>> {
    let root = storage.join("docker/registry/v2/blobs/sha256");
    let mut out = Vec::new();
    for prefix in std::fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))? {
        for blob in std::fs::read_dir(prefix?.path())? {
            let data = blob?.path().join("data");
            if data.is_file() {
                out.push(data);
            }
        }
    }
    out.sort();
    Ok(out)
}
