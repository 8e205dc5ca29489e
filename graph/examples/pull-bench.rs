//! `pull-bench [--vfs] [--rate MB_PER_S] [RUNS] LAYER...`: the time of staging and committing a pull of the
//! image made of the `LAYER` files (plain, gzip or zstd tars, bottom first; each read from
//! its file as a registry blob would stream in), the layers staged one after the other vs
//! each on a thread of its own ([`graph::Pull::stage_layer`]). No HTTP: this measures what
//! the store adds to a pull's downloads.
//!
//! `--rate` limits each layer's stream to that many MB/s (as a download would be), so that
//! the figures show what overlapping downloads gives; without it the layers are read as fast
//! as the store takes them, which shows what staging costs in CPU.
//!
//! Each run opens a fresh store under `$TMPDIR` (overlay2, or vfs with `--vfs`; not timed),
//! stages and commits; the page cache is warmed by reading every layer first. Prints
//! `key=value` lines per run (`sequential_ms`, `concurrent_ms`) and the medians.

use std::error::Error;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use graph::compress::decompress;
use graph::{BlobSource, Digest, ImageStore, Reference, StoreOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let vfs = args.first().is_some_and(|a| a == "--vfs");
    if vfs {
        args.remove(0);
    }
    let mut rate = None;
    if args.first().is_some_and(|a| a == "--rate") {
        args.remove(0);
        let mb: f64 = args.first().ok_or("--rate needs MB/s")?.parse()?;
        args.remove(0);
        rate = Some(mb * 1_000_000.0);
    }
    let runs: usize = match args.first().map(|a| a.parse()) {
        Some(Ok(n)) => {
            args.remove(0);
            n
        }
        _ => 5,
    };
    let layers: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
    if layers.is_empty() {
        return Err("usage: pull-bench [--vfs] [--rate MB_PER_S] [RUNS] LAYER...".into());
    }
    let config = config(&layers)?;
    let (mut seq, mut conc) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let sequential_ms = pull(&config, &layers, vfs, rate, false)?;
        let concurrent_ms = pull(&config, &layers, vfs, rate, true)?;
        println!("run={run} sequential_ms={sequential_ms:.1} concurrent_ms={concurrent_ms:.1}");
        seq.push(sequential_ms);
        conc.push(concurrent_ms);
    }
    let (s, c) = (median(&mut seq), median(&mut conc));
    println!("sequential_ms={s:.1}");
    println!("concurrent_ms={c:.1}");
    println!("ratio={:.2}", c / s);
    Ok(())
}

/// A minimal image config for the layers (their diff IDs), warming the page cache.
fn config(layers: &[PathBuf]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut diff_ids = Vec::new();
    for l in layers {
        let (_, mut plain) = decompress(Box::new(File::open(l)?))?;
        let mut tar = Vec::new();
        plain.read_to_end(&mut tar)?;
        diff_ids.push(Digest::of(&tar).to_string());
    }
    Ok(serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))?)
}

/// One pull into a fresh store; returns the milliseconds of staging and committing.
fn pull(
    config: &[u8],
    layers: &[PathBuf],
    vfs: bool,
    rate: Option<f64>,
    concurrent: bool,
) -> Result<f64, Box<dyn Error>> {
    let root = tempfile::Builder::new().prefix("wharf-pull-").tempdir()?;
    let store = Arc::new(ImageStore::open(&StoreOptions {
        root: root.path().to_path_buf(),
        driver: vfs.then(|| "vfs".to_string()),
        overlay_supported: true,
    })?);
    let repo = Reference::parse_normalized("bench")?;
    let mut blobs = Vec::new();
    for l in layers {
        blobs.push(BlobSource::new(digest_of_file(l)?, &repo));
    }
    let t = Instant::now();
    let p = store.begin_pull(config)?;
    let stage = |i: usize, path: &Path| -> graph::Result<()> {
        let mut f = File::open(path).map_err(|e| graph::Error::Io {
            context: format!("open {}", path.display()),
            source: e,
        })?;
        let mut input = Throttled {
            inner: &mut f,
            rate,
            read: 0,
            start: Instant::now(),
        };
        p.stage_layer(i, &mut input, &mut |_| {})
    };
    if concurrent {
        std::thread::scope(|s| -> graph::Result<()> {
            let handles: Vec<_> = layers
                .iter()
                .enumerate()
                .map(|(i, l)| s.spawn(move || stage(i, l)))
                .collect();
            for h in handles {
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
            }
            Ok(())
        })?;
    } else {
        for (i, l) in layers.iter().enumerate() {
            stage(i, l)?;
        }
    }
    let tag = Reference::parse_normalized("bench:1")?;
    p.commit(&[tag], None, &blobs)?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

/// A reader giving at most `rate` bytes per second (when set).
struct Throttled<R> {
    inner: R,
    rate: Option<f64>,
    read: u64,
    start: Instant,
}

impl<R: Read> Read for Throttled<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(rate) = self.rate else {
            return self.inner.read(buf);
        };
        // Pieces of 64 KiB, each given when the rate allows it.
        let piece = buf.len().min(64 * 1024);
        let n = self.inner.read(&mut buf[..piece])?;
        self.read += n as u64;
        let due = std::time::Duration::from_secs_f64(self.read as f64 / rate);
        if let Some(wait) = due.checked_sub(self.start.elapsed()) {
            std::thread::sleep(wait);
        }
        Ok(n)
    }
}

fn digest_of_file(path: &Path) -> Result<Digest, Box<dyn Error>> {
    Ok(Digest::of(&std::fs::read(path)?))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
