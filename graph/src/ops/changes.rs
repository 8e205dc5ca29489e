//! `--change` instructions of `docker import` (Dockerfile syntax, one instruction each):
//! CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME.
//!
//! Not done: `$VAR` expansion in values, and the HEALTHCHECK / ONBUILD instructions Docker
//! also accepts here.

use std::collections::BTreeMap;

use crate::config::ContainerConfig;
use crate::error::{Error, Result};

/// Applies `changes` to `cfg` in order.
pub(crate) fn apply_changes(changes: &[String], cfg: &mut ContainerConfig) -> Result<()> {
    let mut cmd_set = false;
    for change in changes {
        for line in logical_lines(change) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            match word.to_ascii_lowercase().as_str() {
                "cmd" => {
                    cfg.cmd = Some(command(rest));
                    cmd_set = true;
                }
                "entrypoint" => {
                    cfg.entrypoint = Some(command(rest));
                    if !cmd_set {
                        // As Docker: a new ENTRYPOINT drops an inherited CMD.
                        cfg.cmd = None;
                    }
                }
                "env" => {
                    let env = cfg.env.get_or_insert_with(Vec::new);
                    for (k, v) in name_values(rest, "ENV")? {
                        env.retain(|e| e.split('=').next() != Some(k.as_str()));
                        env.push(format!("{k}={v}"));
                    }
                }
                "label" => {
                    let labels = cfg.labels.get_or_insert_with(BTreeMap::new);
                    for (k, v) in name_values(rest, "LABEL")? {
                        labels.insert(k, v);
                    }
                }
                "expose" => {
                    let ports = cfg.exposed_ports.get_or_insert_with(BTreeMap::new);
                    for spec in rest.split_whitespace() {
                        for p in port_spec(spec)? {
                            ports.insert(p, serde_json::json!({}));
                        }
                    }
                }
                "user" => cfg.user = Some(unquote(rest)),
                "workdir" => {
                    let current = cfg.working_dir.clone().unwrap_or_default();
                    cfg.working_dir = Some(workdir(&current, &unquote(rest)));
                }
                "volume" => {
                    let vols = cfg.volumes.get_or_insert_with(BTreeMap::new);
                    let list = serde_json::from_str::<Vec<String>>(rest)
                        .unwrap_or_else(|_| rest.split_whitespace().map(unquote).collect());
                    for v in list {
                        if v.trim().is_empty() {
                            return Err(Error::bad("VOLUME specified can not be an empty string"));
                        }
                        vols.insert(v, serde_json::json!({}));
                    }
                }
                other => {
                    return Err(Error::bad(format!("{other} is not a valid change command")));
                }
            }
        }
    }
    Ok(())
}

/// Joins backslash-continued lines.
fn logical_lines(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in s.lines() {
        if let Some(stripped) = line.strip_suffix('\\') {
            cur.push_str(stripped);
        } else {
            cur.push_str(line);
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// JSON (exec) form, or shell form wrapped in `/bin/sh -c`.
fn command(rest: &str) -> Vec<String> {
    if rest.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(rest)
    {
        return v;
    }
    vec!["/bin/sh".to_string(), "-c".to_string(), rest.to_string()]
}

/// Splits on unquoted whitespace, keeping quotes in the words.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (_, '\\') => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Removes quotes and backslash escapes.
fn unquote(s: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), c) => out.push(c),
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (None, '"' | '\'') => quote = Some(c),
            (_, c) => out.push(c),
        }
    }
    out
}

/// `k=v k2="v 2"` or the legacy `k some value`.
fn name_values(rest: &str, what: &str) -> Result<Vec<(String, String)>> {
    let ws = words(rest);
    let Some(first) = ws.first() else {
        return Err(Error::bad(format!("{what} requires at least one argument")));
    };
    if !first.contains('=') {
        let (k, v) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if v.trim().is_empty() {
            return Err(Error::bad(format!("{what} names can not be blank")));
        }
        return Ok(vec![(unquote(k), unquote(v.trim()))]);
    }
    ws.iter()
        .map(|w| {
            let (k, v) = w.split_once('=').ok_or_else(|| {
                Error::bad(format!(
                    "Syntax error - can't find = in {w:?}. Must be of the form: name=value"
                ))
            })?;
            let k = unquote(k);
            if k.is_empty() {
                return Err(Error::bad(format!("{what} names can not be blank")));
            }
            Ok((k, unquote(v)))
        })
        .collect()
}

/// `80`, `80/udp`, `8000-8002/tcp` → `["80/tcp"]`, …
fn port_spec(spec: &str) -> Result<Vec<String>> {
    let (range, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let bad = || Error::bad(format!("invalid containerPort: {spec}"));
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(Error::bad(format!("invalid proto: {proto}")));
    }
    let (lo, hi) = range.split_once('-').unwrap_or((range, range));
    let lo: u16 = lo.parse().map_err(|_| bad())?;
    let hi: u16 = hi.parse().map_err(|_| bad())?;
    if hi < lo {
        return Err(bad());
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

/// Docker's `normalizeWorkdir`: relative paths join the current one; the result is clean.
fn workdir(current: &str, requested: &str) -> String {
    let joined = if requested.starts_with('/') {
        requested.to_string()
    } else {
        format!("/{current}/{requested}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(ch: &[&str]) -> Result<ContainerConfig> {
        let mut c = ContainerConfig::default();
        apply_changes(
            &ch.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &mut c,
        )?;
        Ok(c)
    }

    #[test]
    fn dockerfile_instructions() {
        let c = apply(&[
            r#"CMD ["sh"]"#,
            "ENV A=1 B=\"two words\"",
            "ENV C legacy value",
            "EXPOSE 80 53/udp 8000-8001",
            "LABEL org.x=y",
            "USER nobody",
            "WORKDIR /app",
            "WORKDIR sub",
            r#"VOLUME ["/data"]"#,
            "VOLUME /a /b",
        ])
        .expect("valid");
        assert_eq!(c.cmd, Some(vec!["sh".to_string()]));
        assert_eq!(
            c.env,
            Some(vec![
                "A=1".to_string(),
                "B=two words".to_string(),
                "C=legacy value".to_string()
            ])
        );
        let ports: Vec<&String> = c.exposed_ports.as_ref().expect("ports").keys().collect();
        assert_eq!(ports, ["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
        assert_eq!(c.labels.expect("labels")["org.x"], "y");
        assert_eq!(c.user.as_deref(), Some("nobody"));
        assert_eq!(c.working_dir.as_deref(), Some("/app/sub"));
        assert_eq!(c.volumes.expect("vols").len(), 3);
        let c = apply(&["CMD echo hi", "ENTRYPOINT [\"/bin/sh\", \"-c\"]"]).expect("valid");
        assert_eq!(c.cmd.expect("cmd"), ["/bin/sh", "-c", "echo hi"]);
        assert!(
            apply(&["RUN x"])
                .expect_err("invalid")
                .to_string()
                .contains("run is not a valid change command")
        );
        assert!(apply(&["EXPOSE abc"]).is_err());
    }
}
