//! The few Go standard-library behaviours dockerd's messages and checks depend on: string
//! quoting (`strconv.Quote`, `%q`, `%#v`), integer parsing with its error texts, case mapping
//! and character classes. Durations are `mobyport::time::parse_duration` (the daemon's prune
//! filters read them too).
//!
//! Character classes are exact for ASCII; for other characters Go's Unicode categories are
//! approximated with Rust's `char` properties (letters and digits in variable names, printable
//! characters in quoted messages).

/// `unicode.IsSpace` for a single byte treated as a rune, as Go code that walks a string byte
/// by byte sees it. Only ASCII bytes count: a byte of a multi-byte character is never a space
/// here (Go would take 0x85 and 0xA0 for spaces and split a character in two).
pub(crate) fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// The whitespace of the Dockerfile parser's `[\t\v\f\r ]+` splits.
pub(crate) fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// RE2's `\s`: `[\t\n\f\r ]`.
pub(crate) fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `unicode.IsLetter` (category L); non-ASCII approximated by `char::is_alphabetic`.
pub(crate) fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic() && !c.is_numeric()
    }
}

/// `unicode.IsDigit` (category Nd); non-ASCII approximated by `char::is_numeric`.
pub(crate) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric()
    }
}

/// `strings.ToUpper` and `strings.ToLower`, rune by rune, shared with the signal parser.
pub(crate) use mobyport::strings::{to_lower, to_upper};

/// `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let u = c as u32;
    let format = matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0001 | 0xE0020..=0xE007F);
    let private_or_non_char = matches!(u,
        0xE000..=0xF8FF | 0xF0000..=0x10FFFF | 0xFDD0..=0xFDEF)
        || (u & 0xFFFE) == 0xFFFE;
    !c.is_whitespace() && !c.is_control() && !format && !private_or_non_char
}

/// `strconv.Quote` (also what `%q` and `%#v` print for a string).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_print(c) => out.push(c),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `strconv.ParseInt(s, 10, 32)` with its error message.
pub(crate) fn parse_int32(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.ParseInt: parsing {}: invalid syntax", quote(s));
    let range = || format!("strconv.ParseInt: parsing {}: value out of range", quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    const MAX: u64 = u32::MAX as u64;
    let mut n: u64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return Err(syntax());
        }
        n = n * 10 + u64::from(c - b'0');
        if n > MAX {
            return Err(range());
        }
    }
    let cutoff = 1u64 << 31;
    if (!neg && n >= cutoff) || (neg && n > cutoff) {
        return Err(range());
    }
    Ok(if neg { -(n as i64) } else { n as i64 })
}

/// Levenshtein distance over characters (buildkit's suggestions).
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_as_go() {
        assert_eq!(parse_int32("3"), Ok(3));
        assert_eq!(parse_int32("+3"), Ok(3));
        assert_eq!(parse_int32("-2147483648"), Ok(-2_147_483_648));
        assert_eq!(
            parse_int32("2147483648"),
            Err(r#"strconv.ParseInt: parsing "2147483648": value out of range"#.into())
        );
        assert_eq!(
            parse_int32("3x"),
            Err(r#"strconv.ParseInt: parsing "3x": invalid syntax"#.into())
        );
    }

    #[test]
    fn quoting_follows_strconv() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\t\x01\u{a0}é"), r#""\t\x01\u00a0é""#);
        assert_eq!(levenshtein("intervl", "interval"), 1);
        assert_eq!(to_upper("cmd-ß"), "CMD-ß");
    }
}
