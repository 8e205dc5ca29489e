//! The prefix-ID index: Docker's truncindex semantics on ordered keys.

/// The outcome of looking up an ID prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixMatch<T> {
    /// No ID starts with the prefix.
    None,
    /// Exactly one ID starts with the prefix.
    Unique(T),
    /// Two or more IDs start with the prefix.
    Ambiguous,
}

/// Normalises a user-given ID prefix: strips `sha256:`, and returns `None` unless what is left
/// is 1 to 64 lowercase hex digits (anything else cannot be an ID prefix).
pub fn normalize_prefix(s: &str) -> Option<&str> {
    let p = s.strip_prefix("sha256:").unwrap_or(s);
    let ok = !p.is_empty()
        && p.len() <= 64
        && p.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    ok.then_some(p)
}

/// Classifies the first two results of an ordered prefix scan. Only two items are ever pulled
/// from `scan`, so the cost is one seek however many IDs exist.
pub fn classify<T, E>(mut scan: impl Iterator<Item = Result<T, E>>) -> Result<PrefixMatch<T>, E> {
    let Some(first) = scan.next().transpose()? else {
        return Ok(PrefixMatch::None);
    };
    match scan.next().transpose()? {
        None => Ok(PrefixMatch::Unique(first)),
        Some(_) => Ok(PrefixMatch::Ambiguous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize_prefix("sha256:ab"), Some("ab"));
        assert_eq!(normalize_prefix("AB"), None);
        assert_eq!(normalize_prefix(""), None);
        assert_eq!(normalize_prefix("sha256:"), None);
        assert_eq!(normalize_prefix("busybox"), None);
    }
}
