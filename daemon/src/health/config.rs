//! A container's health check as configured: the request's `Healthcheck` merged with the
//! image's `HEALTHCHECK` (moby's `merge`), read with dockerd's defaults.

use std::time::Duration;

use serde_json::Value;

/// Between checks, and how long one may take, when the config says 0 (moby's defaults).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Between checks during the start period.
const DEFAULT_START_INTERVAL: Duration = Duration::from_secs(5);
/// Failures in a row that make a container unhealthy.
const DEFAULT_RETRIES: i64 = 3;

/// moby's `merge` of the health check: none in the request takes the image's; otherwise each
/// field the request leaves empty (or 0) comes from the image.
pub(crate) fn merge(user: &mut Option<Value>, image: Option<&graph::config::HealthConfig>) {
    let Some(image) = image else { return };
    let image_value = || serde_json::to_value(image).unwrap_or(Value::Null);
    let Some(Value::Object(mine)) = user else {
        if user.as_ref().is_none_or(Value::is_null) {
            *user = Some(image_value());
        }
        return;
    };
    let Value::Object(theirs) = image_value() else {
        return;
    };
    for key in [
        "Test",
        "Interval",
        "Timeout",
        "StartPeriod",
        "StartInterval",
        "Retries",
    ] {
        let empty = match mine.get(key) {
            None | Some(Value::Null) => true,
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            _ => false,
        };
        if empty && let Some(v) = theirs.get(key) {
            mine.insert(key.to_owned(), v.clone());
        }
    }
}

/// A health check to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    /// The command: `CMD` arguments as they are, `CMD-SHELL` through `/bin/sh -c`.
    pub(crate) cmd: Vec<String>,
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) start_period: Duration,
    pub(crate) start_interval: Duration,
    pub(crate) retries: i64,
}

/// The check `config` (a container's merged `Healthcheck`) describes; `None` without one, or
/// with `NONE` (moby's `getProbe`).
pub(crate) fn check(config: Option<&Value>, shell: Option<&[String]>) -> Option<Check> {
    let config = config?;
    let test: Vec<String> = config
        .get("Test")
        .and_then(|t| serde_json::from_value(t.clone()).ok())
        .unwrap_or_default();
    let cmd = match test.split_first() {
        Some((kind, args)) if kind == "CMD" => args.to_vec(),
        Some((kind, args)) if kind == "CMD-SHELL" => {
            let mut cmd = match shell {
                Some(s) if !s.is_empty() => s.to_vec(),
                _ => vec!["/bin/sh".to_owned(), "-c".to_owned()],
            };
            cmd.extend(args.iter().cloned());
            cmd
        }
        _ => return None,
    };
    if cmd.is_empty() {
        return None;
    }
    let duration = |key: &str, default: Duration| {
        config
            .get(key)
            .and_then(Value::as_i64)
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n > 0)
            .map_or(default, Duration::from_nanos)
    };
    Some(Check {
        cmd,
        interval: duration("Interval", DEFAULT_INTERVAL),
        timeout: duration("Timeout", DEFAULT_TIMEOUT),
        start_period: duration("StartPeriod", Duration::ZERO),
        start_interval: duration("StartInterval", DEFAULT_START_INTERVAL),
        retries: config
            .get("Retries")
            .and_then(Value::as_i64)
            .filter(|&r| r > 0)
            .unwrap_or(DEFAULT_RETRIES),
    })
}

/// A duration as Go's `time.Duration.String` prints it (`30s`, `1.5s`, `500ms`, `1m30s`),
/// for dockerd's "Health check exceeded timeout (30s)".
pub(crate) fn go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    let trim = |whole: u128, frac: u128, digits: usize| {
        let frac = format!("{frac:0digits$}");
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{frac}")
        }
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", trim(nanos / 1_000, nanos % 1_000, 3));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", trim(nanos / 1_000_000, nanos % 1_000_000, 6));
    }
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let s = format!("{}s", trim(s, frac, 9));
    match (h, m) {
        (0, 0) => s,
        (0, m) => format!("{m}m{s}"),
        (h, m) => format!("{h}h{m}m{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_as_moby_reads_them() {
        let v = serde_json::json!({"Test": ["CMD-SHELL", "exit 1"], "Interval": 1_000_000_000u64});
        let c = check(Some(&v), None).expect("a check");
        assert_eq!(c.cmd, ["/bin/sh", "-c", "exit 1"]);
        assert_eq!(c.interval, Duration::from_secs(1));
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert_eq!(c.retries, 3);
        let v = serde_json::json!({"Test": ["CMD", "true"], "Retries": 5});
        assert_eq!(check(Some(&v), None).expect("a check").cmd, ["true"]);
        assert_eq!(check(Some(&v), None).expect("a check").retries, 5);
        assert_eq!(
            check(Some(&serde_json::json!({"Test": ["NONE"]})), None),
            None
        );
        assert_eq!(check(None, None), None);
    }

    #[test]
    fn the_image_fills_what_the_request_leaves_empty() {
        let image: graph::config::HealthConfig =
            serde_json::from_str(r#"{"Test":["CMD","true"],"Interval":5,"Retries":2}"#)
                .expect("image health config");
        let mut none = None;
        merge(&mut none, Some(&image));
        assert_eq!(
            none.expect("merged")["Test"],
            serde_json::json!(["CMD", "true"])
        );
        let mut mine = Some(serde_json::json!({"Test": [], "Interval": 7, "Retries": 0}));
        merge(&mut mine, Some(&image));
        let mine = mine.expect("merged");
        assert_eq!(mine["Test"], serde_json::json!(["CMD", "true"]));
        assert_eq!(mine["Interval"], 7);
        assert_eq!(mine["Retries"], 2);
    }

    #[test]
    fn durations_as_go_prints_them() {
        assert_eq!(go_duration(Duration::from_secs(30)), "30s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }
}
