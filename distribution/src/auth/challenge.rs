//! `WWW-Authenticate` challenges, parsed as distribution's `challenge` package reads them:
//! a scheme, then `key=value` or `key="quoted value"` parameters separated by commas; scheme
//! and keys compared in lower case.

use std::collections::BTreeMap;

/// One authentication challenge of a `401` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `basic` or `bearer` (lower case).
    pub scheme: String,
    /// The parameters (`realm`, `service`, `scope`, `error`), keys in lower case.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter's value.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }
}

/// Parses one header value; `None` when it has no scheme.
pub fn parse(header: &str) -> Option<Challenge> {
    let header = header.trim_start();
    let end = header
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(header.len());
    let scheme = &header[..end];
    if scheme.is_empty() || !scheme.bytes().all(is_token) {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut rest = header[end..].trim_start();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| !is_token(c as u8))
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let Some(after_eq) = rest.strip_prefix('=') else {
            break;
        };
        rest = after_eq.trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let (v, after) = unquote(quoted);
            value = v;
            rest = after;
        } else {
            let v_end = rest
                .find(|c: char| !is_token(c as u8))
                .unwrap_or(rest.len());
            value = rest[..v_end].to_owned();
            rest = &rest[v_end..];
        }
        if key.is_empty() {
            break;
        }
        params.insert(key, value);
        rest = rest.trim_start();
        match rest.strip_prefix(',') {
            Some(r) => rest = r.trim_start(),
            None => break,
        }
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

/// RFC 7230 token characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The value of a quoted string (after its opening quote), with `\x` escapes undone, and
/// what follows the closing quote.
fn unquote(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
            }
            c => out.push(c),
        }
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_as_distribution_parses_them() {
        let c = parse(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#).unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c.param("service"), Some("registry.docker.io"));
        assert_eq!(c.param("scope"), Some("repository:library/nginx:pull"));

        let c = parse(r#"Basic realm="basic-realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.param("realm"), Some("basic-realm"));

        let c =
            parse(r#"BEARER Realm="http://t:1/token" , Error=invalid_token, x="a\"b""#).unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("http://t:1/token"));
        assert_eq!(c.param("error"), Some("invalid_token"));
        assert_eq!(c.param("x"), Some("a\"b"));

        assert!(parse("").is_none());
        assert_eq!(parse("Negotiate").unwrap().params.len(), 0);
    }
}
