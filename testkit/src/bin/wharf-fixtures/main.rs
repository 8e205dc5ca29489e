//! `wharf-fixtures DIR`: writes the benchmark's test images as docker-archives, for
//! `cargo xtask bench` (which builds and runs this binary instead of depending on testkit):
//!
//! - `DIR/busybox.tar` and `DIR/layered.tar`: [`testkit::fixtures::busybox`] and
//!   [`testkit::fixtures::layered`];
//! - `DIR/big.tar` (`big:1`): the busybox layer plus one layer of about 100 MB of the host's own
//!   files, a realistic rootfs mix (executables, libraries, headers, data files, symlinks; see
//!   [`sample`]);
//! - `DIR/big-layer.tar`: that second layer alone, for the plain `tar -x` it is compared with.
//!
//! Prints `key=value` lines: the path, image ID and size of each archive, and the big layer's
//! file count and content size.
//!
//! `wharf-fixtures DIR --huge` writes only `DIR/huge.tar` (`big1g:1`), for the bench's memory
//! row: one layer of 128 files of 8 MB of pseudo-random bytes (1 GiB, incompressible and
//! nowhere zero, so nothing can take a shortcut through sparseness or compression), made as
//! it is written (never whole in memory), and the same bytes on every host ([`huge`]). It
//! prints the same keys for `huge`, plus `huge_layer_files` and `huge_layer_content_bytes`.
//!
//! `wharf-fixtures DIR --registry` writes only the images the bench's pull and push rows put
//! in a registry, all made of the same ~100 MB sample as `big:1`'s layer, without busybox:
//! `DIR/one.tar` (`pull-one:1`, the sample as its one layer), `DIR/five.tar` (`pull-five:1`,
//! the sample cut into five layers of [`FIVE_SHARES`] of it, the largest at the bottom) and
//! `DIR/largest.tar` (`pull-largest:1`, that largest layer alone). It prints the same keys for
//! `one`, `five` and `largest`, plus `five_layer_bytes` (each layer tar's size, bottom first,
//! comma-separated), `sample_files` and `sample_content_bytes`.

mod huge;
mod sample;

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use testkit::fixtures::{self, CREATED, Image, image_config, sha256_hex};

use huge::{HUGE_FILE_SIZE, HUGE_FILES, write_huge};
use sample::Sample;

/// The fixtures' creation time, as in `testkit::fixtures`: 2026-01-01T00:00:00Z.
const EPOCH: u64 = 1_767_225_600;
/// The `PATH` every fixture image sets.
const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// How the five-layer image cuts the sample (percent of its file content, bottom first):
/// clearly different sizes, the largest at the bottom as a base system's usually is.
const FIVE_SHARES: &[u64] = &[45, 25, 15, 10, 5];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, mode) = match args.as_slice() {
        [dir] => (dir, None),
        [dir, flag] if flag == "--huge" || flag == "--registry" => (dir, Some(flag.as_str())),
        _ => bail!("usage: wharf-fixtures DIR [--huge | --registry]"),
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    match mode {
        Some("--huge") => huge_fixture(dir),
        Some(_) => registry_fixtures(dir),
        None => load_fixtures(dir),
    }
}

/// The images the load, run and container rows use.
fn load_fixtures(dir: &Path) -> Result<()> {
    for (name, image) in [
        ("busybox", fixtures::busybox()?),
        ("layered", fixtures::layered()?),
    ] {
        let path = image.write_docker_archive(&dir.join(format!("{name}.tar")))?;
        report(name, &path, &image)?;
    }

    let sample = Sample::take().layer()?;
    let layer = sample.tar;
    let layer_path = dir.join("big-layer.tar");
    std::fs::write(&layer_path, &layer)
        .with_context(|| format!("writing {}", layer_path.display()))?;
    let base = fixtures::busybox_layer()?;
    let big = Image {
        config: big_config(&[&base, &layer])?,
        layers: vec![base, layer],
        tags: vec!["big:1".into()],
    };
    let path = big.write_docker_archive(&dir.join("big.tar"))?;
    report("big", &path, &big)?;
    println!("big_layer={}", layer_path.display());
    println!("big_layer_files={}", sample.files);
    println!("big_layer_content_bytes={}", sample.content);
    println!(
        "big_layer_tar_bytes={}",
        std::fs::metadata(&layer_path)?.len()
    );
    Ok(())
}

/// The ~1 GB image of the memory row.
fn huge_fixture(dir: &Path) -> Result<()> {
    let path = dir.join("huge.tar");
    let id = write_huge(&path, HUGE_FILES, HUGE_FILE_SIZE)?;
    println!("huge={}", path.display());
    println!("huge_id={id}");
    println!("huge_bytes={}", std::fs::metadata(&path)?.len());
    println!("huge_layer_files={HUGE_FILES}");
    println!(
        "huge_layer_content_bytes={}",
        HUGE_FILES as u64 * HUGE_FILE_SIZE as u64
    );
    Ok(())
}

/// The images of the pull and push rows.
fn registry_fixtures(dir: &Path) -> Result<()> {
    let sample = Sample::take();
    let whole = sample.layer()?;
    println!("sample_files={}", whole.files);
    println!("sample_content_bytes={}", whole.content);
    let one = sample_image(vec![whole.tar], "pull-one:1")?;
    report(
        "one",
        &one.write_docker_archive(&dir.join("one.tar"))?,
        &one,
    )?;

    let split = sample.split(FIVE_SHARES)?;
    let contents: Vec<String> = split.iter().map(|l| l.content.to_string()).collect();
    println!("five_layer_content_bytes={}", contents.join(","));
    let layers: Vec<Vec<u8>> = split.into_iter().map(|l| l.tar).collect();
    let sizes: Vec<String> = layers.iter().map(|l| l.len().to_string()).collect();
    let largest = layers
        .iter()
        .max_by_key(|l| l.len())
        .context("the split gave no layer")?
        .clone();
    let five = sample_image(layers, "pull-five:1")?;
    report(
        "five",
        &five.write_docker_archive(&dir.join("five.tar"))?,
        &five,
    )?;
    println!("five_layer_bytes={}", sizes.join(","));
    drop(five);

    let largest = sample_image(vec![largest], "pull-largest:1")?;
    let path = largest.write_docker_archive(&dir.join("largest.tar"))?;
    report("largest", &path, &largest)
}

/// An image of `layers` of the sample (no busybox: nothing runs it), tagged `tag`.
fn sample_image(layers: Vec<Vec<u8>>, tag: &str) -> Result<Image> {
    let history: Vec<Value> = (1..=layers.len())
        .map(|i| {
            json!({
                "created": CREATED,
                "created_by": format!("wharf fixture: part {i} of a ~100 MB sample of the host's /usr"),
            })
        })
        .collect();
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    Ok(Image {
        config: image_config(&diff_ids, json!({ "Env": [PATH_ENV] }), &history)?,
        layers,
        tags: vec![tag.into()],
    })
}

/// Prints where an archive is, its image ID and its size.
fn report(name: &str, path: &Path, image: &Image) -> Result<()> {
    println!("{name}={}", path.display());
    println!("{name}_id={}", image.id());
    println!("{name}_bytes={}", std::fs::metadata(path)?.len());
    Ok(())
}

/// The big image's config, shaped as the other fixtures' configs.
fn big_config(layers: &[&[u8]]) -> Result<Vec<u8>> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    image_config(
        &diff_ids,
        json!({
            "Env": [PATH_ENV],
            "Cmd": ["sh"],
        }),
        &[
            json!({ "created": CREATED, "comment": "wharf fixture: busybox from Debian busybox-static" }),
            json!({ "created": CREATED, "created_by": "wharf fixture: ~100 MB sample of the host's /usr" }),
        ],
    )
}
