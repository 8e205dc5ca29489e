//! Applying a layer tar: one streaming pass that decompresses, hashes (diff ID), extracts and
//! records tar-split metadata.

mod creator;
mod extract;
mod paths;

use std::io::Read;
use std::path::Path;

use crate::compress::{Compression, decoder, sniff};
use crate::digest::{DiffId, Digest, HashingReader};
use crate::driver::WhiteoutMode;
use crate::error::{Error, Result};
use crate::hashpipe::conveyor;
use crate::tarsplit::SplitWriter;
use crate::tarstream::TarReader;

pub(crate) use paths::resolve;

/// What applying a layer produced.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    /// sha256 of the uncompressed tar stream.
    pub diff_id: DiffId,
    /// sha256 of the bytes as received (equal to `diff_id` when uncompressed).
    pub blob_digest: Digest,
    /// Content size (files and symlinks; hard links counted once).
    pub size: u64,
    /// Length of the uncompressed tar stream.
    pub tar_size: u64,
}

/// Extracts the (possibly compressed) tar `input` into `layer_dir/diff`, writing
/// `layer_dir/tar-split.zst`. Memory stays bounded: nothing is buffered beyond fixed-size
/// chunks and the set of paths written.
pub(crate) fn apply_layer(
    input: &mut dyn Read,
    layer_dir: &Path,
    mode: WhiteoutMode,
) -> Result<Applied> {
    let (kind, whole) = sniff(Box::new(input))?;
    if kind == Compression::None {
        let (diff_id, size, tar_size) = extract_stream(whole, layer_dir, mode)?;
        return Ok(Applied {
            blob_digest: diff_id.clone(),
            diff_id,
            size,
            tar_size,
        });
    }
    let mut raw = HashingReader::new(whole);
    let (diff_id, size, tar_size) =
        extract_stream(decoder(kind, Box::new(&mut raw))?, layer_dir, mode)?;
    // Drain what the decompressor did not need (e.g. padding after the last frame) so the
    // blob digest covers every byte received.
    let mut sink = [0u8; 8192];
    while raw
        .read(&mut sink)
        .map_err(|e| Error::io("read layer", e))?
        > 0
    {}
    Ok(Applied {
        diff_id,
        blob_digest: raw.finish().0,
        size,
        tar_size,
    })
}

fn extract_stream(
    mut plain: Box<dyn Read + '_>,
    layer_dir: &Path,
    mode: WhiteoutMode,
) -> Result<(DiffId, u64, u64)> {
    // This thread reads `plain`; another hashes; the extraction runs on a third.
    let (size, hashed) = conveyor(&mut plain, |input| -> Result<u64> {
        let diff_dir = layer_dir.join("diff");
        let mut tar = TarReader::new(input);
        let mut split = SplitWriter::create(layer_dir)?;
        let mut ex = extract::Extractor::new(&diff_dir, layer_dir, mode)?;
        while let Some(entry) = tar.next_entry(&mut split)? {
            ex.entry(&entry, &mut tar, &mut split)?;
            tar.skip_rest(&mut split)?;
        }
        let size = ex.finish()?;
        split.finish()?;
        Ok(size)
    })
    .map_err(|e| Error::io("start a layer thread", e))?;
    let size = size?;
    let (diff_id, tar_size) = hashed.map_err(|e| Error::io("read tar stream", e))?;
    Ok((diff_id, size, tar_size))
}
