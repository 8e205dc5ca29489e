//! `prefix-bench [IDS] [LOOKUPS]`: the cost of finding an image by a unique ID prefix among
//! many, for `cargo xtask bench` (issue 3's target: under 10 µs among 100k IDs).
//!
//! Fills a sled metadata store in a temp dir with `IDS` (default 100 000) image records
//! through the catalog's public API, in batches as loads commit them, reopens it (so the
//! lookups do not start from what the writes left in sled's cache), then times `LOOKUPS`
//! (default 10 000) lookups, each of a different image by its shortest unique prefix — the
//! hardest unique case, where the neighbouring ID shares all but the last digit — in a
//! scattered order, two ways:
//!
//! - `prefix_lookup_us`: the index alone, [`Catalog::find_prefix`];
//! - `resolve_us`: [`ImageStore::resolve`], what `docker image inspect 3f9a` goes through
//!   (a reference lookup that misses, then the index).
//!
//! Prints `key=value` lines: for each, the median, min and max in microseconds.

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use graph::catalog::{Catalog, ImageRecord, PrefixMatch};
use graph::{Digest, DriverKind, ImageId, ImageStore, MetaStore, SledStore};

/// Records per commit while filling (a load of many images commits them in one batch).
const BATCH: usize = 10_000;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let lookups: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    if count < 2 || lookups == 0 {
        return Err("need at least 2 IDs and 1 lookup".into());
    }
    let dir = tempfile::Builder::new()
        .prefix("wharf-prefix-bench-")
        .tempdir()?;
    let db = dir.path().join("db");

    let ids: Vec<ImageId> = (0..count)
        .map(|i| Digest::of(format!("wharf prefix-bench image {i}").as_bytes()))
        .collect();
    let t = Instant::now();
    {
        let catalog = Catalog::new(Arc::new(SledStore::open(&db)?));
        for chunk in ids.chunks(BATCH) {
            let mut txn = catalog.txn();
            for id in chunk {
                let config = config_for(id);
                txn.put_image(id, &record(), Some(config.as_bytes()), true)?;
            }
            txn.commit()?;
        }
    }
    println!("ids={count}");
    println!("fill_ms={:.0}", t.elapsed().as_secs_f64() * 1000.0);

    let queries = queries(&ids, lookups);
    let kv: Arc<dyn MetaStore> = Arc::new(SledStore::open(&db)?);
    let catalog = Catalog::new(Arc::clone(&kv));
    let index = time_each(&queries, |prefix, want| {
        match catalog.find_prefix(prefix)? {
            PrefixMatch::Unique(id) if id == *want => Ok(()),
            other => Err(format!("prefix {prefix}: {other:?}, want {want}").into()),
        }
    })?;
    let store = ImageStore::open_with_meta(dir.path(), DriverKind::Vfs, kv)?;
    let resolve = time_each(&queries, |prefix, want| {
        let id = store.resolve(prefix)?;
        if id == *want {
            Ok(())
        } else {
            Err(format!("prefix {prefix} resolved to {id}, want {want}").into())
        }
    })?;
    println!("lookups={lookups}");
    report("prefix_lookup_us", index);
    report("resolve_us", resolve);
    Ok(())
}

fn record() -> ImageRecord {
    ImageRecord {
        top_layer: None,
        parent: None,
        size: 1_024,
        last_tag_time: None,
    }
}

/// A small config of the usual shape, different for every image.
fn config_for(id: &ImageId) -> String {
    format!(
        r#"{{"architecture":"amd64","config":{{"Cmd":["sh"],"Labels":{{"bench":"{}"}}}},"created":"2026-01-01T00:00:00Z","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}}}}"#,
        id.hex()
    )
}

/// `lookups` (prefix, ID) pairs: IDs spread over the whole set in a scattered order, each
/// by its shortest unique prefix.
fn queries(ids: &[ImageId], lookups: usize) -> Vec<(String, ImageId)> {
    let mut sorted: Vec<&str> = ids.iter().map(|d| d.hex()).collect();
    sorted.sort_unstable();
    let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    // A stride coprime with the count visits distinct IDs in a scattered order.
    let n = sorted.len();
    let mut stride = n / 2 + 1;
    while gcd(stride, n) != 1 {
        stride += 1;
    }
    (0..lookups)
        .map(|k| {
            let i = (k * stride) % n;
            let before = i.checked_sub(1).map_or(0, |p| common(sorted[p], sorted[i]));
            let after = sorted.get(i + 1).map_or(0, |s| common(s, sorted[i]));
            let len = before.max(after) + 1;
            let hex = sorted[i];
            let id = Digest::from_hex(hex).expect("IDs are 64 hex digits");
            (hex[..len].to_string(), id)
        })
        .collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Samples in microseconds, sorted.
type Samples = Vec<f64>;

/// Times `lookup` once per query; any wrong answer fails the run.
fn time_each(
    queries: &[(String, ImageId)],
    mut lookup: impl FnMut(&str, &ImageId) -> Result<(), Box<dyn Error>>,
) -> Result<Samples, Box<dyn Error>> {
    let mut us = Vec::with_capacity(queries.len());
    for (prefix, want) in queries {
        let t = Instant::now();
        lookup(prefix, want)?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    us.sort_by(f64::total_cmp);
    Ok(us)
}

/// Prints the median, min and max of sorted samples.
fn report(key: &str, us: Samples) {
    let n = us.len();
    let median = if n % 2 == 1 {
        us[n / 2]
    } else {
        (us[n / 2 - 1] + us[n / 2]) / 2.0
    };
    println!("{key}={median:.2}");
    println!("{key}_min={:.2}", us[0]);
    println!("{key}_max={:.2}", us[n - 1]);
}
