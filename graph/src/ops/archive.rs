//! Reading a `docker load` archive in one pass.
//!
//! Members can come in any order. Small non-layer members (JSON: manifests, configs, index)
//! are kept in memory. Layer members are handled as they stream by: with overlay2 they are
//! extracted at once into staging directories (a layer's files do not depend on its parent),
//! with vfs they are spooled to a temporary file because the parent's tree is needed first.
//! Which member is a layer is decided from its first bytes (tar header, gzip or zstd magic).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::progress::Counting;
use super::types::LoadProgress;
use crate::apply::resolve;
use crate::compress::{Compression, detect, read_head};
use crate::error::{Error, IoContext, Result};
use crate::layers::Staged;
use crate::store::ImageStore;

/// JSON members larger than this are refused (real ones are a few KiB).
const MAX_SMALL_MEMBER: u64 = 16 << 20;

/// A temporary file removed on drop.
pub(crate) struct Spool(pub PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// What became of one archive member.
pub(crate) enum Member {
    /// Small content, kept in memory.
    Bytes(Vec<u8>),
    /// Extracted speculatively (overlay2); taken when a manifest uses it.
    Staged(Option<Staged>),
    /// Spooled to disk (vfs).
    Spooled(Spool),
    /// Looked like a layer but could not be applied; the error is raised if a manifest uses it.
    Failed(Option<Error>),
    /// Not a layer and too large to keep; an error if a manifest uses it.
    Skipped,
}

/// The members of an archive, by normalised path, and its links.
#[derive(Default)]
pub(crate) struct Members {
    pub files: HashMap<String, Member>,
    links: HashMap<String, String>,
}

impl Members {
    /// Follows archive symlinks and hard links (`docker save` links duplicate layers).
    pub(crate) fn resolve_path(&self, path: &str) -> Option<String> {
        let mut p = normalize(path)?;
        for _ in 0..16 {
            match self.links.get(&p) {
                Some(t) => p = t.clone(),
                None => return Some(p),
            }
        }
        None
    }

    /// A small member's bytes.
    pub(crate) fn bytes(&self, path: &str) -> Option<&[u8]> {
        match self.files.get(&self.resolve_path(path)?) {
            Some(Member::Bytes(b)) => Some(b),
            _ => None,
        }
    }
}

/// `./a//b/` → `a/b`; `None` if the path climbs out.
pub(crate) fn normalize(path: &str) -> Option<String> {
    let v = resolve(&[], path.as_bytes())?;
    String::from_utf8(v).ok()
}

/// True if `head` starts like a layer: compressed, or a tar header (or the zero block of an
/// empty tar).
fn looks_like_layer(head: &[u8]) -> bool {
    if !matches!(detect(head), Ok(Compression::None)) {
        return true;
    }
    if head.len() < 512 {
        return false;
    }
    let block = &head[..512];
    if block.iter().all(|b| *b == 0) {
        return true;
    }
    let first = block.iter().copied().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        return false;
    }
    &block[257..262] == b"ustar" || tar_checksum_ok(block)
}

fn tar_checksum_ok(block: &[u8]) -> bool {
    let stored: String = block[148..156]
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    let Ok(stored) = u32::from_str_radix(&stored, 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == stored
}

impl ImageStore {
    /// Reads every member of the (decompressed) archive `input`.
    pub(crate) fn read_archive(
        &self,
        input: &mut dyn Read,
        progress: &mut dyn FnMut(LoadProgress),
    ) -> Result<Members> {
        let mut members = Members::default();
        let mut archive = tar::Archive::new(input);
        let entries = archive
            .entries()
            .map_err(|e| Error::bad(format!("invalid archive: {e}")))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| Error::bad(format!("invalid archive: {e}")))?;
            let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(path) = normalize(&raw_path) else {
                continue;
            };
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                // Symlink targets are relative to the link's directory, hard links to the root.
                let base = match path.rsplit_once('/') {
                    Some((dir, _)) if kind.is_symlink() => dir.to_string(),
                    _ => String::new(),
                };
                if let Some(t) = resolve(base.as_bytes(), target.as_bytes()) {
                    members
                        .links
                        .insert(path, String::from_utf8_lossy(&t).into_owned());
                }
                continue;
            }
            if !kind.is_file() && kind != tar::EntryType::Continuous {
                continue;
            }
            let size = entry.size();
            let mut head = vec![0u8; 512];
            let n = read_head(&mut entry, &mut head)
                .map_err(|e| Error::bad(format!("invalid archive: {e}")))?;
            head.truncate(n);
            let member = if looks_like_layer(&head) {
                let mut report = |current| {
                    progress(LoadProgress::Layer {
                        member: path.clone(),
                        current,
                        total: size,
                    })
                };
                let inner = io::Cursor::new(head).chain(&mut entry);
                self.take_layer_member(&mut Counting::new(inner, &mut report))?
            } else if size > MAX_SMALL_MEMBER {
                Member::Skipped
            } else {
                let mut buf = head;
                entry
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::bad(format!("invalid archive: {e}")))?;
                Member::Bytes(buf)
            };
            members.files.insert(path, member);
        }
        // The tar reader stops at the first zero block; the rest (the second one, padding)
        // is read too, so that an input cut short there fails as any other cut does.
        io::copy(&mut archive.into_inner(), &mut io::sink())
            .map_err(|e| Error::bad(format!("invalid archive: {e}")))?;
        Ok(members)
    }

    /// Stages (overlay2) or spools (vfs) one layer member.
    fn take_layer_member(&self, reader: &mut dyn Read) -> Result<Member> {
        if self.driver.copies_parent() {
            let path = self.layers.scratch_path("member");
            let spool = Spool(path.clone());
            let mut f = File::create(&path).at("create", &path)?;
            io::copy(reader, &mut f).map_err(|e| Error::bad(format!("invalid archive: {e}")))?;
            f.flush().at("write", &path)?;
            return Ok(Member::Spooled(spool));
        }
        match self.layers.stage(reader, None) {
            Ok(s) => Ok(Member::Staged(Some(s))),
            Err(e @ Error::Io { .. }) if is_source_error(&e) => Err(e),
            Err(e) => {
                // Drain the rest so the archive can be read on.
                io::copy(reader, &mut io::sink())
                    .map_err(|e| Error::bad(format!("invalid archive: {e}")))?;
                Ok(Member::Failed(Some(e)))
            }
        }
    }
}

/// True for errors reading the archive itself (the client went away), which end the load.
fn is_source_error(e: &Error) -> bool {
    matches!(e, Error::Io { context, .. } if context == "read tar stream")
}
