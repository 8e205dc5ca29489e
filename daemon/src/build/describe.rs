//! What `docker history` shows for each step (`CreatedBy`), as dockerd 20.10's classic
//! builder writes it: Go's `%q` and `%v` of the values the step set.

use dockerfile::go_quote;
use graph::config::HealthConfig;

/// `%q` of a string slice: `["a" "b"]`.
pub(super) fn q_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", items.join(" "))
}

/// `%v` of a string slice: `[a b]`.
pub(super) fn v_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// `HEALTHCHECK %q` of Docker 20.10's `*HealthConfig`: `&{["CMD-SHELL" "true"] "5s" "2s" "0s"
/// '\x00'}` (no start interval in that version).
pub(super) fn healthcheck(h: &HealthConfig) -> String {
    let d = |v: Option<i64>| go_quote(&go_duration(v.unwrap_or(0)));
    format!(
        "HEALTHCHECK &{{{} {} {} {} {}}}",
        q_list(h.test.as_deref().unwrap_or_default()),
        d(h.interval),
        d(h.timeout),
        d(h.start_period),
        quote_rune(h.retries.unwrap_or(0)),
    )
}

/// Go's `%q` of an integer: the quoted rune.
fn quote_rune(n: i64) -> String {
    match u32::try_from(n).ok().and_then(char::from_u32) {
        Some('\'') => "'\\''".into(),
        Some(c) if (' '..='~').contains(&c) => format!("'{c}'"),
        Some(c) if (c as u32) < 0x80 => format!("'\\x{:02x}'", c as u32),
        Some(c) if (c as u32) < 0x10000 => format!("'\\u{:04x}'", c as u32),
        Some(c) => format!("'\\U{:08x}'", c as u32),
        None => "'\u{fffd}'".into(),
    }
}

/// Go's `time.Duration.String` of `ns` nanoseconds.
pub(super) fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = match u {
            0..1_000 => return format!("{sign}{u}ns"),
            1_000..1_000_000 => ("µs", 1_000),
            _ => ("ms", 1_000_000),
        };
        return format!("{sign}{}{unit}", fraction(u, div));
    }
    let secs = u / 1_000_000_000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let sec = fraction(s * 1_000_000_000 + u % 1_000_000_000, 1_000_000_000);
    match (h, m) {
        (0, 0) => format!("{sign}{sec}s"),
        (0, m) => format!("{sign}{m}m{sec}s"),
        (h, m) => format!("{sign}{h}h{m}m{sec}s"),
    }
}

/// `v / div` with the fraction's trailing zeros dropped (`1.5`, `2`).
fn fraction(v: u64, div: u64) -> String {
    let (whole, rest) = (v / div, v % div);
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.ilog10() as usize;
    let frac = format!("{rest:0width$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_dockerd_wrote_them() {
        let h = HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), "true".into()]),
            interval: Some(5_000_000_000),
            timeout: Some(2_000_000_000),
            ..HealthConfig::default()
        };
        assert_eq!(
            healthcheck(&h),
            r#"HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "2s" "0s" '\x00'}"#
        );
        assert_eq!(
            q_list(&["/bin/sh".into(), "-c".into()]),
            r#"["/bin/sh" "-c"]"#
        );
        assert_eq!(v_list(&["/bin/sh".into(), "-c".into()]), "[/bin/sh -c]");
        for (ns, s) in [
            (90_000_000_000, "1m30s"),
            (100_000_000, "100ms"),
            (1_500_000_000, "1.5s"),
            (7_200_000_000_000, "2h0m0s"),
            (1_500, "1.5µs"),
        ] {
            assert_eq!(go_duration(ns), s);
        }
        assert_eq!(quote_rune(3), "'\\x03'");
    }
}
