//! The prune filters' `until`, as moby's `getUntilFromPruneFilters` reads it with
//! `GetTimestamp`: a Go duration before now (`10m`, `1h30m`), an RFC 3339 time or date (with
//! a zone, or else in the daemon's time zone, which wharf takes as UTC), or Unix seconds with
//! an optional fraction.

use api::filters::Filters;
use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};

/// The one `until` of `filters`, read relative to `now`.
pub(crate) fn until(filters: &Filters, now: Timestamp) -> Result<Option<Timestamp>> {
    match filters.get("until") {
        [] => Ok(None),
        [v] => timestamp(v, now).map(Some).map_err(Error::Invalid),
        _ => Err(Error::Invalid(
            "more than one until filter specified".into(),
        )),
    }
}

/// moby's `GetTimestamp`, then `ParseTimestamps` of what it gives.
pub(crate) fn timestamp(value: &str, now: Timestamp) -> std::result::Result<Timestamp, String> {
    if value != "0"
        && let Ok(nanos) = mobyport::time::parse_duration(value)
    {
        // Go keeps whole seconds of `now - d`.
        let t = now - SignedDuration::from_nanos(nanos);
        return Timestamp::from_second(t.as_second()).map_err(|e| e.to_string());
    }
    let local = !value.contains(['z', 'Z', '+']) && value.matches('-').count() != 3;
    let parsed = if local { civil(value) } else { zoned(value) };
    match parsed {
        Some(t) => Ok(t),
        None if value.contains('-') => Err(format!("parsing time {value:?}: cannot parse")),
        None => unix(value)
            .ok_or_else(|| format!("failed to parse value as time or duration: {value:?}")),
    }
}

/// A time without a zone, in UTC: `2006-01-02T15:04:05[.999999999]`, `2006-01-02T15:04`,
/// `2006-01-02T15`, `2006-01-02`.
fn civil(value: &str) -> Option<Timestamp> {
    let full = match value.split_once('T') {
        None => format!("{value}T00:00:00"),
        Some((_, time)) => match time.matches(':').count() {
            0 => format!("{value}:00:00"),
            1 => format!("{value}:00"),
            _ => value.to_owned(),
        },
    };
    let dt: DateTime = full.parse().ok()?;
    jiff::tz::Offset::UTC.to_timestamp(dt).ok()
}

/// A time with a zone (`Z` or `±hh:mm`): RFC 3339, or its shorter forms
/// `2006-01-02T15:04Z07:00`, `2006-01-02T15Z07:00`, `2006-01-02Z07:00`.
fn zoned(value: &str) -> Option<Timestamp> {
    if let Ok(t) = value.parse::<Timestamp>() {
        return Some(t);
    }
    // Split the zone off the end: `Z`, or a sign followed by `hh:mm`.
    let zone_at = value
        .rfind(['Z', 'z'])
        .filter(|&i| i == value.len() - 1)
        .or_else(|| value.rfind(['+', '-']).filter(|&i| value.len() - i == 6))?;
    let (head, zone) = value.split_at(zone_at);
    let zone = if zone.eq_ignore_ascii_case("z") {
        "+00:00"
    } else {
        zone
    };
    let full = match head.split_once('T') {
        None => format!("{head}T00:00:00{zone}"),
        Some((_, time)) => match time.matches(':').count() {
            0 => format!("{head}:00:00{zone}"),
            1 => format!("{head}:00{zone}"),
            _ => return None,
        },
    };
    full.parse().ok()
}

/// Unix seconds with an optional fraction (moby's `parseTimestamp`).
fn unix(value: &str) -> Option<Timestamp> {
    let (secs, frac) = value.split_once('.').unwrap_or((value, ""));
    let secs: i64 = secs.parse().ok()?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) || value.ends_with('.') {
        return None;
    }
    let nanos: i32 = format!("{:0<9}", &frac[..frac.len().min(9)]).parse().ok()?;
    Timestamp::new(secs, nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_reads_as_moby_get_timestamp() {
        let now: Timestamp = "2026-11-28T04:45:44.7Z".parse().unwrap();
        let t = |v: &str| timestamp(v, now).map(|t| t.to_string());
        assert_eq!(t("10m").unwrap(), "2026-11-28T04:35:44Z");
        assert_eq!(t("1h30m").unwrap(), "2026-11-28T03:15:44Z");
        assert_eq!(t("2026-11-28T04:45:44Z").unwrap(), "2026-11-28T04:45:44Z");
        assert_eq!(
            t("2026-11-28T04:45:44.5Z").unwrap(),
            "2026-11-28T04:45:44.5Z"
        );
        assert_eq!(
            t("2026-11-28T06:45:44+02:00").unwrap(),
            "2026-11-28T04:45:44Z"
        );
        assert_eq!(t("2026-11-28T04:45Z").unwrap(), "2026-11-28T04:45:00Z");
        assert_eq!(t("2026-11-28T04Z").unwrap(), "2026-11-28T04:00:00Z");
        assert_eq!(t("2026-11-28Z").unwrap(), "2026-11-28T00:00:00Z");
        assert_eq!(t("2026-11-28T04:45:44").unwrap(), "2026-11-28T04:45:44Z");
        assert_eq!(t("2026-11-28T04:45").unwrap(), "2026-11-28T04:45:00Z");
        assert_eq!(t("2026-11-28").unwrap(), "2026-11-28T00:00:00Z");
        assert_eq!(t("1795841028").unwrap(), "2026-11-28T04:43:48Z");
        assert_eq!(t("1795841028.5").unwrap(), "2026-11-28T04:43:48.5Z");
        assert_eq!(t("0").unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            t("soon").unwrap_err(),
            "failed to parse value as time or duration: \"soon\""
        );
        assert!(t("2026-13-40").is_err());
        let f = |raw: &str| until(&Filters::parse(Some(raw)).unwrap(), now);
        assert_eq!(f("{}").unwrap(), None);
        assert_eq!(
            f(r#"{"until":["1m","2m"]}"#).unwrap_err().to_string(),
            "more than one until filter specified"
        );
    }
}
