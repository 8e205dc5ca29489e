//! `load-bench ARCHIVE LAYER [RUNS]`: the time of [`ImageStore::load`] of a docker-archive
//! next to a plain `tar -x` of one of its layers, in the same conditions (issue 3's target: the
//! load of the ~100 MB image within 1.2× of `tar -x` of its big layer).
//!
//! Both write into fresh temp dirs under `$TMPDIR` (put it on the file system to measure: the
//! bench uses a fresh loop-mounted ext4). Each run extracts `LAYER` with `tar -x`, then opens a
//! fresh store (overlay2, as `wharfd` on a host with overlayfs; not timed) and loads
//! `ARCHIVE` from its file, no HTTP; both figures include the time to make every file, not to
//! remove them afterwards. The page cache is warmed by reading both inputs first.
//!
//! `LAYER` may be `-` to time the load alone (e.g. under a profiler).
//!
//! Prints `key=value` lines per run (`tar_ms`, `load_ms`) and the medians.

use std::error::Error;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use graph::{ImageStore, StoreOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: load-bench ARCHIVE LAYER [RUNS]";
    let archive = PathBuf::from(args.next().ok_or(usage)?);
    let layer = PathBuf::from(args.next().ok_or(usage)?);
    let runs: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    warm(&archive)?;
    if layer.as_os_str() != "-" {
        warm(&layer)?;
    }
    let (mut tars, mut loads) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let tar_ms = if layer.as_os_str() == "-" {
            0.0
        } else {
            tar_x(&layer)?
        };

        let root = tempfile::Builder::new().prefix("wharf-load-").tempdir()?;
        let store = ImageStore::open(&StoreOptions {
            root: root.path().to_path_buf(),
            driver: None,
            overlay_supported: true,
        })?;
        let mut input = File::open(&archive)?;
        let t = Instant::now();
        let loaded = store.load(&mut input, &mut |_| {})?;
        let load_ms = ms(t);
        if loaded.is_empty() {
            return Err("nothing loaded".into());
        }
        println!("run={run} tar_ms={tar_ms:.1} load_ms={load_ms:.1}");
        tars.push(tar_ms);
        loads.push(load_ms);
        drop(store);
    }
    let (tar, load) = (median(&mut tars), median(&mut loads));
    println!("tar_ms={tar:.1}");
    println!("load_ms={load:.1}");
    if tar > 0.0 {
        println!("ratio={:.2}", load / tar);
    }
    Ok(())
}

/// Times `tar -xf layer` into a fresh temp dir (removed afterwards, not timed).
fn tar_x(layer: &Path) -> Result<f64, Box<dyn Error>> {
    let dir = tempfile::Builder::new().prefix("wharf-tar-").tempdir()?;
    let t = Instant::now();
    let ok = Command::new("tar")
        .arg("-xf")
        .arg(layer)
        .arg("-C")
        .arg(dir.path())
        .status()?
        .success();
    let took = ms(t);
    if !ok {
        return Err("tar -x failed".into());
    }
    Ok(took)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Reads a file once so that both timings start from the page cache.
fn warm(path: &Path) -> Result<(), Box<dyn Error>> {
    let mut buf = vec![0u8; 1 << 20];
    let mut f = File::open(path)?;
    while f.read(&mut buf)? > 0 {}
    Ok(())
}
