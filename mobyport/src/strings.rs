//! Go's `strings.ToUpper` and `strings.ToLower`.
//!
//! Go maps rune by rune, so a character whose other case is several characters (`ß` → `SS`)
//! stays as it is, where Rust's `str::to_uppercase` would lengthen the string. Approximation:
//! the few characters whose full mapping is longer but whose simple one is not (`İ`, which Go
//! lowers to `i`) also stay as they are.

/// `strings.ToUpper`.
pub fn to_upper(s: &str) -> String {
    s.chars().map(|c| single(c.to_uppercase(), c)).collect()
}

/// `strings.ToLower`.
pub fn to_lower(s: &str) -> String {
    s.chars().map(|c| single(c.to_lowercase(), c)).collect()
}

fn single(mut mapped: impl Iterator<Item = char>, original: char) -> char {
    match (mapped.next(), mapped.next()) {
        (Some(m), None) => m,
        _ => original,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_rune_by_rune_as_go() {
        assert_eq!(to_upper("sigTerm"), "SIGTERM");
        assert_eq!(to_upper("straße"), "STRAßE");
        // U+017F LATIN SMALL LETTER LONG S upper-cases to an ASCII `S`, in Go too.
        assert_eq!(to_upper("\u{17f}ig"), "SIG");
        assert_eq!(to_lower("CMD"), "cmd");
    }
}
