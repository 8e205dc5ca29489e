//! The build probe (issue 15): `docker build` of a 10-step Dockerfile from busybox with a
//! ~50 MB context (the CLI without buildx: the legacy builder on both engines), then the same
//! build fully cached, then again after one COPY source changed. Each build must end with
//! "Successfully built"; the cached one must take every step from the cache.

use std::path::Path;

use anyhow::{Context, Result, ensure};

use super::assets::Assets;
use super::containers::with_busybox;
use super::engine::{Engine, Start};
use super::scenario::Metric;
use super::scratch;

/// The Dockerfile: ten instructions, three of them making layers from the context.
const DOCKERFILE: &str = "FROM busybox\nENV A=1\nLABEL bench=build\nWORKDIR /app\n\
COPY small.txt ./\nCOPY big/ ./big/\nRUN echo built > /app/built\nUSER 0\nEXPOSE 80\n\
CMD [\"cat\", \"/app/built\"]\n";
/// Files of [`FILE_MB`] MiB in `big/`.
const FILES: usize = 50;
const FILE_MB: usize = 1;

/// Writes the context: the Dockerfile, `small.txt` and `big/` (incompressible bytes).
fn context(dir: &Path) -> Result<()> {
    std::fs::write(dir.join("Dockerfile"), DOCKERFILE)?;
    std::fs::write(dir.join("small.txt"), "one\n")?;
    let big = dir.join("big");
    std::fs::create_dir_all(&big)?;
    // xorshift: the same bytes every run, not compressible.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..FILES {
        let mut data = Vec::with_capacity(FILE_MB << 20);
        while data.len() < FILE_MB << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        std::fs::write(big.join(format!("f{i:02}")), data)?;
    }
    Ok(())
}

/// The three builds on one cold daemon with busybox loaded (untimed).
pub fn build(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let docker = assets.docker(daemon.socket());
    let dir = scratch::tempdir("wharf-bench-build-")?;
    context(dir.path()).context("writing the build context")?;
    let ctx = dir.path().as_os_str();
    let args = ["build".as_ref(), "-t".as_ref(), "bench-build".as_ref(), ctx];
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let (first, out) = docker.timed(&args)?;
    ensure!(
        out.contains("Successfully built"),
        "{}: first build said {out:?}",
        engine.name()
    );
    let (cached, out) = docker.timed(&args)?;
    ensure!(
        out.matches("Using cache").count() == 9,
        "{}: the cached build did not take every step from the cache: {out:?}",
        engine.name()
    );
    std::fs::write(dir.path().join("small.txt"), "two\n")?;
    let (touched, out) = docker.timed(&args)?;
    ensure!(
        out.contains("Successfully built"),
        "{}: rebuild said {out:?}",
        engine.name()
    );
    Ok(vec![
        (Metric::BuildFirst, ms(first)),
        (Metric::BuildCached, ms(cached)),
        (Metric::BuildTouched, ms(touched)),
    ])
}
