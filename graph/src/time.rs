//! RFC 3339 timestamps, parsed and printed the way Go's `time` package does for image configs.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// An instant with nanoseconds and the UTC offset it was written with.
///
/// Ordering and equality compare the instant only.
#[derive(Debug, Clone, Copy)]
pub struct Timestamp {
    /// Seconds since the Unix epoch (UTC).
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// Offset from UTC, in seconds, used when printing.
    pub offset: i32,
}

impl Timestamp {
    /// The Unix epoch, as Go prints `time.Unix(0, 0).UTC()`.
    pub const EPOCH: Timestamp = Timestamp {
        secs: 0,
        nanos: 0,
        offset: 0,
    };

    /// The current time in UTC.
    pub fn now() -> Timestamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nanos: d.subsec_nanos(),
            offset: 0,
        }
    }

    /// Parses RFC 3339 with optional fractional seconds (`2026-11-28T04:29:59.565977961Z`,
    /// `2020-01-01T10:00:00+02:00`). Returns `None` when malformed.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 {
            return None;
        }
        if sec > 60 {
            return None;
        }
        let mut i = 19;
        let mut nanos: u32 = 0;
        if b[i] == b'.' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            let digits = i - start;
            if digits == 0 {
                return None;
            }
            for _ in digits..9 {
                nanos *= 10;
            }
        }
        let offset = match b.get(i)? {
            b'Z' | b'z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                let o = i32::try_from(oh * 3600 + om * 60).ok()?;
                if *sign == b'-' { -o } else { o }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let local = days * 86400 + hour * 3600 + min * 60 + sec;
        Some(Timestamp {
            secs: local - i64::from(offset),
            nanos,
            offset,
        })
    }

    /// Prints as Go's `time.RFC3339Nano`: trailing zeros of the fraction dropped, `Z` for UTC.
    pub fn to_rfc3339_nano(&self) -> String {
        let local = self.secs + i64::from(self.offset);
        let days = local.div_euclid(86400);
        let rem = local.rem_euclid(86400);
        let (y, m, d) = civil_from_days(days);
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        if self.offset == 0 {
            s.push('Z');
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let o = self.offset.abs();
            s.push_str(&format!("{sign}{:02}:{:02}", o / 3600, o % 3600 / 60));
        }
        s
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        (self.secs, self.nanos) == (other.secs, other.nanos)
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_nano())
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_go_format() {
        let t = Timestamp::parse("2026-11-28T04:29:59.565977961Z").expect("valid");
        assert_eq!(t.secs, 1_795_840_199);
        assert_eq!(t.to_rfc3339_nano(), "2026-11-28T04:29:59.565977961Z");
        let t = Timestamp::parse("2020-01-01T10:00:00.500+02:00").expect("valid");
        assert_eq!(t.secs, 1_577_865_600);
        assert_eq!(t.to_rfc3339_nano(), "2020-01-01T10:00:00.5+02:00");
        assert_eq!(Timestamp::EPOCH.to_rfc3339_nano(), "1970-01-01T00:00:00Z");
        assert!(Timestamp::parse("yesterday").is_none());
        assert!(Timestamp::parse("2020-01-01T10:00:00").is_none());
    }
}
