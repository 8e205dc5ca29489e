//! Log drivers as dockerd 20.10 registers, validates and starts them (moby's `daemon/logger`
//! `factory.go`, `daemon/logdrivers_linux.go`, each driver's `ValidateLogOpt` and `New`).
//!
//! The monitor writes the log ([`execdriver::LogSettings`]); here the daemon checks a
//! container's `LogConfig` at create ([`merge_and_verify`], a 400 in dockerd's words) and turns
//! it into settings at start ([`settings`], whose errors dockerd reports as `failed to
//! initialize logging driver: …`).
//!
//! `json-file`, `local` and `none` work. `syslog` and `journald` are registered as in dockerd
//! (create accepts them) but start fails with dockerd's error when the host has no syslog
//! socket or journal, and with a plain refusal when it has: wharf does not write to them.
//! Every other driver name is unknown.

mod units;

use std::collections::BTreeMap;
use std::path::Path;

use api::types::LogConfig;
use execdriver::{LogFormat, LogSettings};

pub(crate) use units::{atoi, parse_bool};

/// The driver of containers that name none, unless the daemon is told otherwise.
pub(crate) const DEFAULT_DRIVER: &str = "json-file";

/// The drivers create accepts, as `/info`'s `Plugins.Log` lists them (sorted, without
/// `none`, as dockerd's `ListDrivers`).
pub(crate) const DRIVERS: &[&str] = &["journald", "json-file", "local", "syslog"];

/// Options every driver takes, checked by `ValidateLogOpts` itself (`cache-disabled` is
/// 20.10's dual logging switch: wharf's readable drivers need no cache).
const BUILT_IN: &[&str] = &["mode", "max-buffer-size", "cache-disabled"];

/// The options each driver's `ValidateLogOpt` accepts.
fn known_opts(driver: &str) -> Option<&'static [&'static str]> {
    Some(match driver {
        "json-file" => &[
            "max-file",
            "max-size",
            "compress",
            "labels",
            "labels-regex",
            "env",
            "env-regex",
            "tag",
        ],
        "local" => &["max-file", "max-size", "compress"],
        "journald" => &["tag", "labels", "labels-regex", "env", "env-regex"],
        "syslog" => &[
            "env",
            "env-regex",
            "labels",
            "labels-regex",
            "syslog-address",
            "syslog-facility",
            "syslog-tls-ca-cert",
            "syslog-tls-cert",
            "syslog-tls-key",
            "syslog-tls-skip-verify",
            "tag",
            "syslog-format",
        ],
        _ => return None,
    })
}

/// moby's `logger.ValidateLogOpts`: the logging mode, the driver's registration, then its
/// options' names (their values are checked at start, by [`settings`]).
pub(crate) fn validate_opts(driver: &str, opts: &BTreeMap<String, String>) -> Result<(), String> {
    if driver == "none" {
        return Ok(());
    }
    let mode = opts.get("mode").map_or("", String::as_str);
    if !matches!(mode, "" | "blocking" | "non-blocking") {
        return Err(format!("logger: logging mode not supported: {mode}"));
    }
    if let Some(size) = opts.get("max-buffer-size") {
        if mode != "non-blocking" {
            return Err(
                "logger: max-buffer-size option is only supported with 'mode=non-blocking'".into(),
            );
        }
        units::ram_in_bytes(size)
            .map_err(|e| format!("error parsing option max-buffer-size: {e}"))?;
    }
    if let Some(v) = opts.get("cache-disabled") {
        parse_bool(v)?;
    }
    let Some(known) = known_opts(driver) else {
        return Err(format!(
            "logger: no log driver named '{driver}' is registered"
        ));
    };
    let unknown = opts
        .keys()
        .find(|k| !BUILT_IN.contains(&k.as_str()) && !known.contains(&k.as_str()));
    match unknown {
        // The local driver words it its own way.
        Some(k) if driver == "local" => Err(format!("unknown log opt '{k}' for log driver local")),
        Some(k) => Err(format!("unknown log opt '{k}' for {driver} log driver")),
        None if driver == "syslog" => syslog_values(opts),
        None => Ok(()),
    }
}

/// The syslog driver's `ValidateLogOpt` also checks the address, facility and format.
fn syslog_values(opts: &BTreeMap<String, String>) -> Result<(), String> {
    let get = |k: &str| opts.get(k).map_or("", String::as_str);
    let address = get("syslog-address");
    if !address.is_empty() {
        // moby's `urlutil.IsTransportURL`.
        let Some((scheme, rest)) = address
            .split_once("://")
            .filter(|(s, _)| ["tcp", "tcp+tls", "udp", "unix", "unixgram"].contains(s))
        else {
            return Err(format!(
                "syslog-address should be in form proto://address, got {address}"
            ));
        };
        if scheme.starts_with("unix") && !Path::new(rest).exists() {
            return Err(format!("stat {rest}: no such file or directory"));
        }
    }
    const FACILITIES: &[&str] = &[
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
        "local7",
    ];
    let facility = get("syslog-facility");
    let numeric = atoi(facility).is_ok_and(|n| (0..=23).contains(&n));
    if !facility.is_empty() && !FACILITIES.contains(&facility) && !numeric {
        return Err("invalid syslog facility".into());
    }
    if !["", "rfc3164", "rfc5424", "rfc5424micro"].contains(&get("syslog-format")) {
        return Err("Invalid syslog format".into());
    }
    Ok(())
}

/// moby's `mergeAndVerifyLogConfig`: an empty type is the daemon's default, whose options
/// fill in those the container does not set when the types match; then [`validate_opts`].
pub(crate) fn merge_and_verify(cfg: &mut LogConfig, default: &LogConfig) -> Result<(), String> {
    if cfg.kind.is_empty() {
        cfg.kind.clone_from(&default.kind);
    }
    let opts = cfg.config.get_or_insert_with(BTreeMap::new);
    if cfg.kind == default.kind {
        for (k, v) in default.config.iter().flatten() {
            opts.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    validate_opts(&cfg.kind, opts)
}

/// What a driver may write about the container besides its output (moby's `logger.Info`).
pub(crate) struct Subject<'a> {
    /// The full ID.
    pub(crate) id: &'a str,
    /// The name, without the leading `/`.
    pub(crate) name: &'a str,
    /// The image as the container was created from it.
    pub(crate) image_name: &'a str,
    /// The image's full ID (`sha256:…`).
    pub(crate) image_id: &'a str,
    /// The container's labels.
    pub(crate) labels: &'a BTreeMap<String, String>,
    /// The container's `KEY=value` environment.
    pub(crate) env: &'a [String],
}

/// A driver's `New`: the settings the monitor applies, or the error dockerd reports after
/// `failed to initialize logging driver: `.
pub(crate) fn settings(
    driver: &str,
    opts: &BTreeMap<String, String>,
    subject: &Subject<'_>,
) -> Result<LogSettings, String> {
    match driver {
        "none" => Ok(LogSettings {
            format: LogFormat::None,
            ..LogSettings::default()
        }),
        "json-file" => json_file(opts, subject),
        "local" => local(opts),
        "journald" if !is_socket("/run/systemd/journal/socket") => {
            Err("journald is not enabled on this host".into())
        }
        // srslog's error when none of the Unix syslog sockets exists.
        "syslog"
            if !opts.contains_key("syslog-address")
                && !["/dev/log", "/var/run/syslog", "/var/run/log"]
                    .iter()
                    .any(|p| is_socket(p)) =>
        {
            Err("Unix syslog delivery error".into())
        }
        "journald" | "syslog" => Err(format!("the {driver} log driver is not supported by wharf")),
        _ => Err(format!(
            "logger: no log driver named '{driver}' is registered"
        )),
    }
}

/// Whether `path` is a Unix socket one could connect to (`/var/run/log` may be a directory).
fn is_socket(path: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// jsonfilelog's `New`.
fn json_file(
    opts: &BTreeMap<String, String>,
    subject: &Subject<'_>,
) -> Result<LogSettings, String> {
    let mut max_size = None;
    if let Some(s) = opts.get("max-size") {
        let n = units::from_human_size(s)?;
        if n <= 0 {
            return Err("max-size must be a positive number".into());
        }
        max_size = Some(n as u64);
    }
    let mut max_file = 1;
    if let Some(s) = opts.get("max-file") {
        max_file = atoi(s)?;
        if max_file < 1 {
            return Err("max-file cannot be less than 1".into());
        }
    }
    let mut compress = false;
    if let Some(s) = opts.get("compress") {
        compress = parse_bool(s)?;
        if compress && (max_file == 1 || max_size.is_none()) {
            return Err(
                "compress cannot be true when max-file is less than 2 or max-size is not set"
                    .into(),
            );
        }
    }
    let mut attrs = extra_attributes(opts, subject)?;
    if let Some(tag) = opts.get("tag").filter(|t| !t.is_empty()) {
        attrs.insert("tag".into(), log_tag(tag, subject)?);
    }
    Ok(LogSettings {
        format: LogFormat::JsonFile,
        max_size,
        max_file: u32::try_from(max_file).unwrap_or(u32::MAX),
        compress,
        attrs,
    })
}

/// The local driver's `New` with its defaults: 20 MiB × 5 files, compressed.
fn local(opts: &BTreeMap<String, String>) -> Result<LogSettings, String> {
    let mut max_size: i64 = 20 * 1024 * 1024;
    let mut max_file: i64 = 5;
    let mut compress = true;
    if let Some(s) = opts.get("max-size") {
        max_size = units::from_human_size(s)
            .map_err(|e| format!("invalid value for max-size: {s}: {e}"))?;
    }
    if let Some(s) = opts.get("max-file") {
        max_file = atoi(s).map_err(|e| format!("invalid value for max-file: {s}: {e}"))?;
    }
    if let Some(s) = opts.get("compress") {
        compress = parse_bool(s).map_err(|e| format!("error reading compress log option: {e}"))?;
    }
    if max_size < 0 {
        return Err("max size should be a positive number".into());
    }
    if max_file < 0 {
        return Err("max file count cannot be less than 0".into());
    }
    if compress && max_file <= 1 {
        return Err("compression cannot be enabled when max file count is 1".into());
    }
    Ok(LogSettings {
        format: LogFormat::Local,
        max_size: Some(max_size as u64),
        max_file: u32::try_from(max_file).unwrap_or(u32::MAX),
        compress,
        attrs: BTreeMap::new(),
    })
}

/// moby's `Info.ExtraAttributes`: the labels and environment variables the options name or
/// match.
fn extra_attributes(
    opts: &BTreeMap<String, String>,
    subject: &Subject<'_>,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let listed = |key: &str| {
        opts.get(key)
            .map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let pattern = |key: &str| {
        opts.get(key)
            .filter(|v| !v.is_empty())
            .map(|v| regex::Regex::new(v).map_err(|e| format!("error parsing regexp: {e}")))
            .transpose()
    };
    for l in listed("labels") {
        if let Some(v) = subject.labels.get(&l) {
            out.insert(l, v.clone());
        }
    }
    if let Some(re) = pattern("labels-regex")? {
        for (k, v) in subject.labels {
            if re.is_match(k) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let env: BTreeMap<&str, &str> = subject
        .env
        .iter()
        .filter_map(|e| e.split_once('='))
        .collect();
    for l in listed("env") {
        if let Some(v) = env.get(l.as_str()) {
            out.insert(l, (*v).to_owned());
        }
    }
    if let Some(re) = pattern("env-regex")? {
        for (k, v) in &env {
            if re.is_match(k) {
                out.insert((*k).to_owned(), (*v).to_owned());
            }
        }
    }
    Ok(out)
}

/// moby's `ParseLogTag` for the template fields of `logger.Info` wharf knows; any other
/// template action is refused rather than written verbatim.
fn log_tag(template: &str, s: &Subject<'_>) -> Result<String, String> {
    let short = |id: &str| {
        let hex = id.strip_prefix("sha256:").unwrap_or(id);
        hex.chars().take(12).collect::<String>()
    };
    let fields = [
        ("ID", short(s.id)),
        ("FullID", s.id.to_owned()),
        ("Name", s.name.to_owned()),
        ("ImageID", short(s.image_id)),
        ("ImageFullID", s.image_id.to_owned()),
        ("ImageName", s.image_name.to_owned()),
        ("DaemonName", "docker".to_owned()),
    ];
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| format!("template: log-tag:1: unclosed action in {template:?}"))?;
        let action = after[..close].trim();
        let value = action
            .strip_prefix('.')
            .and_then(|f| fields.iter().find(|(name, _)| *name == f))
            .ok_or_else(|| {
                format!("template: log-tag: {{{{{action}}}}} is not a field wharf knows")
            })?;
        out.push_str(&value.1);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests;
