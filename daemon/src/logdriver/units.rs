//! go-units' `FromHumanSize` (decimal: `1k` = 1000, what json-file's `max-size` takes) and
//! `RAMInBytes` (binary: `1k` = 1024), with their error text.

/// Parses `<number>[ ][kmgtp][i][b]`, case-insensitive, multiplying by `base` per prefix.
fn parse(s: &str, base: f64) -> Result<i64, String> {
    let invalid = || format!("invalid size: '{s}'");
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, rest) = s.split_at(digits_end);
    // go-units' pattern is `^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$`.
    if number.is_empty()
        || number.starts_with('.')
        || number.ends_with('.')
        || number.contains("..")
    {
        return Err(invalid());
    }
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut chars = rest.chars().peekable();
    let power = match chars.peek().map(char::to_ascii_lowercase) {
        Some(c @ ('k' | 'm' | 'g' | 't' | 'p')) => {
            chars.next();
            "kmgtp".find(c).map_or(0, |i| i as i32 + 1)
        }
        _ => 0,
    };
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
        chars.next();
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(invalid());
    }
    // `1.2.3` passes the pattern and fails in `strconv.ParseFloat`.
    let value: f64 = number
        .parse()
        .map_err(|_| format!("strconv.ParseFloat: parsing \"{number}\": invalid syntax"))?;
    Ok((value * base.powi(power)) as i64)
}

/// go-units' `FromHumanSize`.
pub(crate) fn from_human_size(s: &str) -> Result<i64, String> {
    parse(s, 1000.0)
}

/// go-units' `RAMInBytes`.
pub(crate) fn ram_in_bytes(s: &str) -> Result<i64, String> {
    parse(s, 1024.0)
}

/// Go's `strconv.Atoi`, with its error text.
pub(crate) fn atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing \"{s}\": invalid syntax"));
    }
    s.parse()
        .map_err(|_| format!("strconv.Atoi: parsing \"{s}\": value out of range"))
}

/// Go's `strconv.ParseBool`, with its error text.
pub(crate) fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing \"{s}\": invalid syntax"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_go_units() {
        assert_eq!(from_human_size("1k"), Ok(1000));
        assert_eq!(from_human_size("1KB"), Ok(1000));
        assert_eq!(from_human_size("1.5m"), Ok(1_500_000));
        assert_eq!(from_human_size("10 g"), Ok(10_000_000_000));
        assert_eq!(from_human_size("512"), Ok(512));
        assert_eq!(ram_in_bytes("1KiB"), Ok(1024));
        assert_eq!(ram_in_bytes("2m"), Ok(2 << 20));
        for bad in ["", "k", "1x", "-1k", "1kk", ".5k", "1 2"] {
            assert_eq!(from_human_size(bad), Err(format!("invalid size: '{bad}'")));
        }
        assert!(
            from_human_size("1.2.3")
                .unwrap_err()
                .starts_with("strconv.ParseFloat")
        );
    }

    #[test]
    fn go_strconv() {
        assert_eq!(atoi("3"), Ok(3));
        assert_eq!(atoi("-1"), Ok(-1));
        assert_eq!(
            atoi("x"),
            Err("strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(
            parse_bool("yes"),
            Err("strconv.ParseBool: parsing \"yes\": invalid syntax".into())
        );
    }
}
