//! Lexical path checks for tar entries: everything must stay inside the layer.

use crate::error::{Error, Result};

/// Cleans an entry path relative to the layer root: `.` and empty components are dropped,
/// `..` is resolved lexically. Returns `None` for the root itself. Absolute paths and paths
/// that climb out of the layer are refused.
pub(crate) fn clean_entry_path(raw: &[u8]) -> Result<Option<Vec<u8>>> {
    if raw.first() == Some(&b'/') {
        return Err(escape(raw, "absolute paths are not allowed in a layer"));
    }
    if raw.contains(&0) {
        return Err(escape(raw, "the path contains a NUL byte"));
    }
    let cleaned = resolve(&[], raw).ok_or_else(|| escape(raw, "the path leaves the layer"))?;
    Ok(if cleaned.is_empty() {
        None
    } else {
        Some(cleaned)
    })
}

/// Resolves `rel` (relative) against the directory `base` (a cleaned path inside the layer),
/// lexically. `None` if the result would be outside the layer.
pub(crate) fn resolve(base: &[u8], rel: &[u8]) -> Option<Vec<u8>> {
    let mut parts: Vec<&[u8]> = base
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    for c in rel.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            _ => parts.push(c),
        }
    }
    Some(parts.join(&b'/'))
}

/// The parent directory of a cleaned path (`b""` for the root).
pub(crate) fn parent(rel: &[u8]) -> &[u8] {
    match rel.iter().rposition(|b| *b == b'/') {
        Some(i) => &rel[..i],
        None => b"",
    }
}

/// The last component of a cleaned path.
pub(crate) fn base_name(rel: &[u8]) -> &[u8] {
    match rel.iter().rposition(|b| *b == b'/') {
        Some(i) => &rel[i + 1..],
        None => rel,
    }
}

/// Joins a cleaned directory path and a name.
pub(crate) fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        name.to_vec()
    } else {
        let mut v = dir.to_vec();
        v.push(b'/');
        v.extend_from_slice(name);
        v
    }
}

/// An error for a tar entry that tries to leave its layer.
pub(crate) fn escape(raw: &[u8], why: &str) -> Error {
    Error::bad(format!(
        "refusing to extract {:?}: {why}",
        String::from_utf8_lossy(raw)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_and_refuses() {
        let c = |s: &str| {
            clean_entry_path(s.as_bytes()).map(|o| o.map(|v| String::from_utf8(v).expect("utf8")))
        };
        assert_eq!(c("./a/b/").expect("ok"), Some("a/b".to_string()));
        assert_eq!(c("./").expect("ok"), None);
        assert_eq!(c("a/../b").expect("ok"), Some("b".to_string()));
        assert!(c("../x").is_err());
        assert!(c("a/../../x").is_err());
        assert!(c("/etc/x").is_err());
        assert_eq!(resolve(b"a/b", b"../../c"), Some(b"c".to_vec()));
        assert_eq!(resolve(b"a", b"../../c"), None);
        assert_eq!(parent(b"a/b/c"), b"a/b");
        assert_eq!(base_name(b"a/b/c"), b"c");
    }
}
