//! COPY's and ADD's checksum of context sources from the context's index (the digests the
//! receive computed or the memo gave), so a cached step reads no file. The index answers for
//! plain paths and patterns over regular files and directories the tar listed; anything else (a
//! symbolic or hard link on the way, a directory the tar did not list, `dir/.`) is left to the
//! extracted files (`copy::gather`), whose checksum is computed another way: the two never mix
//! within one step, and each is stable from one build to the next.

use sha2::{Digest, Sha256};

use super::context::{Entry, Files};
use super::copy::{glob, is_pattern};

/// Regular files and directories; everything else sends the step to the files.
fn plain(e: &Entry) -> Option<bool> {
    match e.kind {
        b'0' | 0 => Some(false),
        b'5' => Some(true),
        _ => None,
    }
}

/// True when every parent of `rel` is a directory the tar listed.
fn parents_listed(files: &Files, rel: &str) -> bool {
    let mut at = rel;
    while let Some((parent, _)) = at.rsplit_once('/') {
        match files.index.get(parent) {
            Some(e) if e.kind == b'5' => at = parent,
            _ => return false,
        }
    }
    true
}

/// The context paths (relative) a source names, `None` when the index cannot tell.
fn resolve(files: &Files, source: &str) -> Option<Vec<String>> {
    let clean = graph::tree::container_path(source);
    if clean.ends_with("/.") {
        return None;
    }
    let rel = clean.trim_matches('/').to_owned();
    if !is_pattern(source) {
        if rel.is_empty() {
            return None;
        }
        return Some(vec![rel]);
    }
    let (dir, last) = match rel.rsplit_once('/') {
        Some((d, l)) => (d.to_owned(), l),
        None => (String::new(), rel.as_str()),
    };
    if is_pattern(&dir) || (!dir.is_empty() && !parents_listed(files, &format!("{dir}/x"))) {
        return None;
    }
    let re = glob(last)?;
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    Some(
        files
            .index
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter_map(|(p, _)| p[prefix.len()..].split_once('/').map_or(Some(p), |_| None))
            .filter(|p| re.is_match(&p[prefix.len()..]))
            .cloned()
            .collect(),
    )
}

/// Path elements: the order of a depth-first walk with each directory's names sorted.
fn walk_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The checksum of `sources` (`file:`, `dir:` or `multi:` and a SHA-256), or `None` when
/// the index cannot answer for one of them.
pub(super) fn from_index(files: &Files, sources: &[String]) -> Option<String> {
    if !files.exact {
        return None;
    }
    let mut paths = Vec::new();
    for s in sources {
        paths.extend(resolve(files, s)?);
    }
    let mut hasher = Sha256::new();
    let mut first_dir = false;
    for (i, rel) in paths.iter().enumerate() {
        if !parents_listed(files, rel) {
            return None;
        }
        let top = files.index.get(rel)?;
        let dir = plain(top)?;
        if i == 0 {
            first_dir = dir;
        }
        let mut entries: Vec<(&str, &Entry)> = vec![("", top)];
        if dir {
            let prefix = format!("{rel}/");
            for (p, e) in files
                .index
                .range(prefix.clone()..)
                .take_while(|(p, _)| p.starts_with(&prefix))
            {
                if e.kind != b'2' {
                    plain(e)?;
                }
                if !parents_listed(files, p) {
                    return None;
                }
                entries.push((&p[prefix.len()..], e));
            }
        }
        entries.sort_by(|a, b| walk_order(a.0, b.0));
        hasher.update(format!("{i}\0").as_bytes());
        for (rest, e) in entries {
            hasher.update(rest.as_bytes());
            hasher.update([0, e.kind]);
            hasher.update(e.mode.to_le_bytes());
            hasher.update(&e.link);
            hasher.update(e.size.to_le_bytes());
            if plain(e) == Some(false) {
                hasher.update(e.digest);
            }
        }
    }
    let kind = match paths.len() {
        0 => return None,
        1 if first_dir => "dir",
        1 => "file",
        _ => "multi",
    };
    Some(format!("{kind}:{}", hex::encode(hasher.finalize())))
}
