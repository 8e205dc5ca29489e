//! JSON written the way Go's `encoding/json` writes Docker's structs: field order, `omitempty`
//! rules, sorted map keys and HTML-safe string escapes. Used where bytes matter: the legacy
//! `<v1 id>/json` files and v1 IDs of `save`, and the config `import` creates.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::config::{ContainerConfig, HealthConfig, ImageConfig};
use jiff::Timestamp;
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::Offset;

/// Go's JSON string encoding (with `<`, `>`, `&`, U+2028 and U+2029 escaped).
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object under construction, fields in insertion order.
#[derive(Default)]
pub(crate) struct Obj {
    fields: Vec<(String, String)>,
}

impl Obj {
    pub(crate) fn raw(&mut self, key: &str, value: String) -> &mut Self {
        self.fields.push((key.to_string(), value));
        self
    }
    pub(crate) fn str(&mut self, key: &str, v: &str) -> &mut Self {
        let mut s = String::new();
        string(&mut s, v);
        self.raw(key, s)
    }
    /// A string field with `omitempty`.
    pub(crate) fn str_omit(&mut self, key: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) if !v.is_empty() => self.str(key, v),
            _ => self,
        }
    }
    pub(crate) fn bool(&mut self, key: &str, v: Option<bool>) -> &mut Self {
        self.raw(key, v.unwrap_or(false).to_string())
    }
    /// Adds a field or replaces one with the same key.
    pub(crate) fn set(&mut self, key: &str, value: String) {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some(f) => f.1 = value,
            None => self.fields.push((key.to_string(), value)),
        }
    }
    /// Renders in insertion order (a Go struct).
    pub(crate) fn render(&self) -> String {
        render(self.fields.iter())
    }
    /// Renders with keys sorted (a Go map).
    pub(crate) fn render_sorted(&self) -> String {
        let mut f: Vec<&(String, String)> = self.fields.iter().collect();
        f.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        render(f.into_iter())
    }
}

fn render<'a>(fields: impl Iterator<Item = &'a (String, String)>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(&mut out, k);
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
    out
}

/// `[]string` (nil → `null`).
pub(crate) fn str_list(v: Option<&Vec<String>>) -> String {
    match v {
        None => "null".to_string(),
        Some(items) => {
            let mut out = String::from("[");
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(&mut out, s);
            }
            out.push(']');
            out
        }
    }
}

/// `map[string]struct{}` (nil → `null`).
fn set_map(v: Option<&BTreeMap<String, serde_json::Value>>) -> String {
    match v {
        None => "null".to_string(),
        Some(m) => {
            let mut o = Obj::default();
            for k in m.keys() {
                o.raw(k, "{}".to_string());
            }
            o.render_sorted()
        }
    }
}

fn str_map(v: Option<&BTreeMap<String, String>>) -> String {
    match v {
        None => "null".to_string(),
        Some(m) => {
            let mut o = Obj::default();
            for (k, val) in m {
                o.str(k, val);
            }
            o.render_sorted()
        }
    }
}

fn health(h: &HealthConfig) -> String {
    let mut o = Obj::default();
    if let Some(t) = h.test.as_ref().filter(|t| !t.is_empty()) {
        o.raw("Test", str_list(Some(t)));
    }
    for (k, v) in [
        ("Interval", h.interval),
        ("Timeout", h.timeout),
        ("StartPeriod", h.start_period),
        ("StartInterval", h.start_interval),
        ("Retries", h.retries),
    ] {
        if let Some(v) = v.filter(|v| *v != 0) {
            o.raw(k, v.to_string());
        }
    }
    o.render()
}

/// Docker 20.10's `container.Config`, field by field.
pub(crate) fn container_config(c: &ContainerConfig) -> String {
    let mut o = Obj::default();
    o.str("Hostname", c.hostname.as_deref().unwrap_or(""))
        .str("Domainname", c.domainname.as_deref().unwrap_or(""))
        .str("User", c.user.as_deref().unwrap_or(""))
        .bool("AttachStdin", c.attach_stdin)
        .bool("AttachStdout", c.attach_stdout)
        .bool("AttachStderr", c.attach_stderr);
    if let Some(p) = c.exposed_ports.as_ref().filter(|p| !p.is_empty()) {
        o.raw("ExposedPorts", set_map(Some(p)));
    }
    o.bool("Tty", c.tty)
        .bool("OpenStdin", c.open_stdin)
        .bool("StdinOnce", c.stdin_once)
        .raw("Env", str_list(c.env.as_ref()))
        .raw("Cmd", str_list(c.cmd.as_ref()));
    if let Some(h) = &c.healthcheck {
        o.raw("Healthcheck", health(h));
    }
    if c.args_escaped == Some(true) {
        o.raw("ArgsEscaped", "true".to_string());
    }
    o.str("Image", c.image.as_deref().unwrap_or(""))
        .raw("Volumes", set_map(c.volumes.as_ref()))
        .str("WorkingDir", c.working_dir.as_deref().unwrap_or(""))
        .raw("Entrypoint", str_list(c.entrypoint.as_ref()));
    if c.network_disabled == Some(true) {
        o.raw("NetworkDisabled", "true".to_string());
    }
    o.str_omit("MacAddress", c.mac_address.as_deref())
        .raw("OnBuild", str_list(c.on_build.as_ref()))
        .raw("Labels", str_map(c.labels.as_ref()))
        .str_omit("StopSignal", c.stop_signal.as_deref());
    if let Some(t) = c.stop_timeout {
        o.raw("StopTimeout", t.to_string());
    }
    if let Some(s) = c.shell.as_ref().filter(|s| !s.is_empty()) {
        o.raw("Shell", str_list(Some(s)));
    }
    o.render()
}

/// A time as Go marshals `time.Time` (zero time when absent).
pub(crate) fn time(t: Option<&str>) -> String {
    let mut out = String::new();
    string(&mut out, &time_text(t));
    out
}

/// The text of a `time.Time` read from `t` and printed again ([`rfc3339_nano`]); the zero
/// time when absent, and a text that is not a time as it is.
pub(crate) fn time_text(t: Option<&str>) -> String {
    match t {
        None => mobyport::time::ZERO.to_string(),
        Some(s) => rfc3339_nano(s).unwrap_or_else(|| s.to_string()),
    }
}

/// A time text as Go's `time.Time` reads it and prints it again (`RFC3339Nano`): the offset it
/// was written with kept (`Z` for UTC), trailing zeros of the fraction dropped. `None` if
/// `text` is not a time.
pub(crate) fn rfc3339_nano(text: &str) -> Option<String> {
    let at: Timestamp = text.parse().ok()?;
    let offset = match Pieces::parse(text).ok()?.offset() {
        Some(PiecesOffset::Numeric(n)) => n.offset(),
        _ => Offset::UTC,
    };
    Some(if offset == Offset::UTC {
        at.to_string()
    } else {
        at.display_with_offset(offset).to_string()
    })
}

/// Go's `Time.Unix`: whole seconds since the epoch, rounded down (jiff's `as_second` rounds
/// toward zero, which differs before 1970).
pub fn unix(t: Timestamp) -> i64 {
    t.as_second() - i64::from(t.subsec_nanosecond() < 0)
}

/// Docker's `image.V1Image` fields of a config, in struct order (without `id`/`parent`, which
/// the caller sets).
pub(crate) fn v1_image(cfg: &ImageConfig) -> Obj {
    let mut o = Obj::default();
    o.str_omit("comment", cfg.comment.as_deref())
        .raw("created", time(cfg.created.as_deref()))
        .str_omit("container", cfg.container.as_deref())
        .raw(
            "container_config",
            container_config(&cfg.container_config.clone().unwrap_or_default()),
        )
        .str_omit("docker_version", cfg.docker_version.as_deref())
        .str_omit("author", cfg.author.as_deref());
    if let Some(c) = &cfg.config {
        o.raw("config", container_config(c));
    }
    o.str_omit("architecture", cfg.architecture.as_deref())
        .str_omit("variant", cfg.variant.as_deref())
        .str_omit("os", cfg.os.as_deref());
    if let Some(s) = cfg.size.filter(|s| *s != 0) {
        o.raw("Size", s.to_string());
    }
    o
}

/// Inserts `id` and `parent` at the front, where Go's struct order puts them.
pub(crate) fn with_ids(o: Obj, id: Option<&str>, parent: Option<&str>) -> Obj {
    let mut out = Obj::default();
    out.str_omit("id", id).str_omit("parent", parent);
    out.fields.extend(o.fields);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let mut s = String::new();
        string(&mut s, "a<b>&\"\\\n\u{1}é");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0001é""#);
    }

    #[test]
    fn times_as_go_reads_and_prints_them() {
        for (text, go) in [
            (
                "2026-11-28T04:29:59.565977961Z",
                "2026-11-28T04:29:59.565977961Z",
            ),
            (
                "2020-01-01T10:00:00.500+02:00",
                "2020-01-01T10:00:00.5+02:00",
            ),
            (
                "2020-01-01T10:00:00.000000000-05:30",
                "2020-01-01T10:00:00-05:30",
            ),
            ("2020-01-01T10:00:00+00:00", "2020-01-01T10:00:00Z"),
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ] {
            assert_eq!(rfc3339_nano(text).as_deref(), Some(go), "{text}");
            assert_eq!(time(Some(text)), format!("\"{go}\""));
        }
        let unix_of = |text: &str| unix(text.parse().expect("a time"));
        assert_eq!(unix_of("2026-11-28T04:29:59.565977961Z"), 1_795_840_199);
        assert_eq!(unix_of("1969-12-31T23:59:59.5Z"), -1);
        assert_eq!(unix_of("1969-12-31T23:59:59Z"), -1);
        assert_eq!(rfc3339_nano("yesterday"), None);
        assert_eq!(rfc3339_nano("2020-01-01T10:00:00"), None);
        assert_eq!(time(Some("yesterday")), r#""yesterday""#);
        assert_eq!(time(None), r#""0001-01-01T00:00:00Z""#);
    }

    #[test]
    fn empty_container_config_matches_docker() {
        assert_eq!(
            container_config(&ContainerConfig::default()),
            r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}"#
        );
    }
}
