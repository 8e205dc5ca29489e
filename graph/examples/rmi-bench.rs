//! `rmi-bench [TAGS]`: the store's share of `docker rmi` of many tags of one image (issue 3's
//! target: the CLI's 1 000 sequential `DELETE /images/{name}` within 500 ms, end to end).
//!
//! Opens a store on sled in a fresh temp dir under `$TMPDIR` (put it on the file system to
//! measure), imports a one-file image as `base:1`, tags it `bench:t0001` … (default 1 000 tags, not timed),
//! then times [`ImageStore::remove`] of each tag, one call after the other, as the daemon makes
//! them.
//!
//! Prints `key=value` lines: `tags`, `rmi_total_ms`, and the median and max per call in µs.

use std::error::Error;
use std::time::Instant;

use graph::{ImageStore, ImportOptions, NoContainers, Removed, StoreOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let tags: usize = std::env::args().nth(1).map_or(Ok(1_000), |a| a.parse())?;
    let root = tempfile::Builder::new()
        .prefix("wharf-rmi-bench-")
        .tempdir()?;
    let store = ImageStore::open(&StoreOptions {
        root: root.path().to_path_buf(),
        driver: None,
        overlay_supported: true,
    })?;
    // Tagged once more, as busybox is in the bench: every removal is an untag.
    let opts = ImportOptions {
        reference: Some("base:1".to_string()),
        ..ImportOptions::default()
    };
    let id = store.import(&mut layer()?.as_slice(), &opts)?;
    let names: Vec<String> = (1..=tags).map(|i| format!("bench:t{i:04}")).collect();
    for name in &names {
        store.tag(id.as_str(), name)?;
    }

    let mut each = Vec::with_capacity(tags);
    let t = Instant::now();
    for name in &names {
        let t = Instant::now();
        let removed = store.remove(name, false, false, &NoContainers)?;
        each.push(t.elapsed().as_secs_f64() * 1e6);
        if !matches!(removed.as_slice(), [Removed::Untagged(_)]) {
            return Err(format!("rmi {name}: {removed:?}").into());
        }
    }
    let total = t.elapsed().as_secs_f64() * 1000.0;
    each.sort_by(f64::total_cmp);
    println!("tags={tags}");
    println!("rmi_total_ms={total:.1}");
    println!("rmi_median_us={:.0}", each[each.len() / 2]);
    println!("rmi_max_us={:.0}", each[each.len() - 1]);
    Ok(())
}

/// A layer tar with one small file.
fn layer() -> Result<Vec<u8>, Box<dyn Error>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(6);
    h.set_mtime(1_767_225_600);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, "hello", &b"hello\n"[..])?;
    Ok(b.into_inner()?)
}
