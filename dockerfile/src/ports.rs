//! EXPOSE's port specs, read by go-connections' `nat.ParsePortSpecs` (v0.5.0, which dockerd
//! 27 uses: Docker 20.10's checks in the same order, messages in lower case):
//! `[ip:][hostPort:]containerPort[/proto]`, ranges as `a-b`; only the container ports are
//! kept.

/// The exposed ports (`80/tcp`, ...) of `specs`, in order, the first bad spec refused.
pub(crate) fn parse_port_specs(specs: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for s in specs {
        out.extend(parse_port_spec(s)?);
    }
    Ok(out)
}

fn parse_port_spec(raw: &str) -> Result<Vec<String>, String> {
    let (ip, host_port, container_port) = split_parts(raw);
    let (proto, container_port) = split_proto_port(container_port);
    let mut ip = ip.to_string();
    if ip.starts_with('[') {
        // Brackets of an IPv6 address come off as net.SplitHostPort takes them off.
        ip = split_host_port(&format!("{ip}:"))
            .map_err(|e| format!("invalid IP address {ip}: {e}"))?;
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container_port.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let (start, end) = parse_port_range(container_port)
        .ok_or_else(|| format!("invalid containerPort: {container_port}"))?;
    if !host_port.is_empty() {
        let (hs, he) =
            parse_port_range(host_port).ok_or_else(|| format!("invalid hostPort: {host_port}"))?;
        if end - start != he - hs && end != start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container_port} and {host_port}"
            ));
        }
    }
    let lower = super::gostd::to_lower(proto);
    if !matches!(lower.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    Ok((start..=end).map(|p| format!("{p}/{lower}")).collect())
}

fn split_parts(raw: &str) -> (&str, &str, &str) {
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.as_slice() {
        [c] => ("", "", c),
        [h, c] => ("", h, c),
        [ip, h, c] => (ip, h, c),
        _ => {
            // More colons: an IPv6 address in front.
            let c = raw.rfind(':').unwrap_or(0);
            let h = raw[..c].rfind(':').unwrap_or(0);
            (&raw[..h], &raw[h + 1..c], &raw[c + 1..])
        }
    }
}

/// `port[/proto]` (anything after a second `/` ignored): tcp when no protocol is given;
/// nothing at all when no port is.
fn split_proto_port(raw: &str) -> (&str, &str) {
    let mut parts = raw.split('/');
    let port = parts.next().unwrap_or_default();
    match (port, parts.next()) {
        ("", _) => ("", ""),
        (port, None | Some("")) => ("tcp", port),
        (port, Some(proto)) => (proto, port),
    }
}

/// `strconv.ParseUint(s, 10, 16)`.
fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `nat.ParsePortRange`: `p` or `a-b` (a third part is ignored), `b` not below `a`.
fn parse_port_range(s: &str) -> Option<(u16, u16)> {
    if !s.contains('-') {
        let p = parse_port(s)?;
        return Some((p, p));
    }
    let mut parts = s.split('-');
    let start = parse_port(parts.next()?)?;
    let end = parse_port(parts.next()?)?;
    (end >= start).then_some((start, end))
}

/// The host part of `net.SplitHostPort` for a bracketed host, or its error text.
fn split_host_port(hp: &str) -> Result<String, String> {
    let err = |why: &str| Err(format!("address {hp}: {why}"));
    let Some(colon) = hp.rfind(':') else {
        return err("missing port in address");
    };
    let Some(end) = hp.find(']') else {
        return err("missing ']' in address");
    };
    if end + 1 == hp.len() {
        return err("missing port in address");
    }
    if end + 1 != colon {
        if hp.as_bytes()[end + 1] == b':' {
            return err("too many colons in address");
        }
        return err("missing port in address");
    }
    if hp[1..].contains('[') {
        return err("unexpected '[' in address");
    }
    if hp[end + 1..].contains(']') {
        return err("unexpected ']' in address");
    }
    Ok(hp[1..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(s: &str) -> Result<Vec<String>, String> {
        parse_port_specs(&[s.to_string()])
    }

    #[test]
    fn specs_as_go_connections_reads_them() {
        assert_eq!(ports("80"), Ok(vec!["80/tcp".into()]));
        assert_eq!(ports("53/UDP"), Ok(vec!["53/udp".into()]));
        assert_eq!(ports("080/"), Ok(vec!["80/tcp".into()]));
        assert_eq!(ports("7-9/sctp").map(|v| v.len()), Ok(3));
        assert_eq!(ports("1-2-3"), Ok(vec!["1/tcp".into(), "2/tcp".into()]));
        assert_eq!(ports("0"), Ok(vec!["0/tcp".into()]));
        assert_eq!(ports("8080:80"), Ok(vec!["80/tcp".into()]));
        assert_eq!(ports("127.0.0.1:8080-8090:80"), Ok(vec!["80/tcp".into()]));
        assert_eq!(ports("[::1]:8080:80"), Ok(vec!["80/tcp".into()]));
        assert_eq!(ports("::1:8080:80"), Ok(vec!["80/tcp".into()]));
        assert_eq!(ports("80/tcp/x"), Ok(vec!["80/tcp".into()]));
        assert_eq!(ports("80/FTP"), Err("invalid proto: FTP".into()));
        assert_eq!(ports("x/ftp"), Err("invalid containerPort: x".into()));
        assert_eq!(
            ports("8080:"),
            Err("no port specified: 8080:<empty>".into())
        );
        assert_eq!(ports("+80"), Err("invalid containerPort: +80".into()));
        assert_eq!(ports("65536"), Err("invalid containerPort: 65536".into()));
        assert_eq!(ports("9-7"), Err("invalid containerPort: 9-7".into()));
        assert_eq!(ports("x:80"), Err("invalid hostPort: x".into()));
        assert_eq!(ports("nope:1:80"), Err("invalid IP address: nope".into()));
        assert_eq!(
            ports("[::1:1:80"),
            Err("invalid IP address [::1: address [::1:: missing ']' in address".into())
        );
        assert_eq!(
            ports("1-2:80-90"),
            Err("invalid ranges specified for container and host Ports: 80-90 and 1-2".into())
        );
    }
}
