//! The argument syntax of each instruction (buildkit's `parser/line_parsers.go` and
//! `split_command.go`): the instruction name, the builder flags in front, then JSON arrays,
//! key=value pairs, words or the rest of the line as one argument.

use crate::gostd::{self, is_space_byte, is_split_space};

/// The arguments of an instruction other than ONBUILD.
pub(crate) fn arguments(
    cmd: &str,
    rest: &str,
    escape: char,
) -> Result<(Vec<String>, bool), String> {
    Ok(match cmd {
        "cmd" | "entrypoint" | "run" | "shell" => maybe_json(rest)?,
        "add" | "copy" | "volume" => maybe_json_to_list(rest)?,
        "env" => (name_val(rest, "ENV", escape)?, false),
        "label" => (name_val(rest, "LABEL", escape)?, false),
        "arg" => (words(rest, escape), false),
        "expose" | "from" => (whitespace_delimited(rest), false),
        "healthcheck" => health_config(rest)?,
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            let arg = (!rest.is_empty()).then(|| rest.to_string());
            (arg.into_iter().collect(), false)
        }
        _ => (Vec::new(), false),
    })
}

/// The instruction name, the builder flags and the rest.
pub(crate) fn split_command(line: &str) -> (&str, Vec<String>, String) {
    let t = line.trim();
    match t.find(is_split_space) {
        None => (t, Vec::new(), String::new()),
        Some(i) => {
            let (args, flags) = builder_flags(t[i..].trim_start_matches(is_split_space));
            (&t[..i], flags, args.trim().to_string())
        }
    }
}

#[derive(PartialEq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// Takes the leading `--flag` words off `line` (quotes and backslashes processed, byte by
/// byte as buildkit does); `--` alone ends them.
fn builder_flags(line: &str) -> (&str, Vec<String>) {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut phase, mut quote, mut blank_ok) = (Phase::Spaces, 0u8, false);
    let mut pos = 0;
    loop {
        let at_end = pos == b.len();
        let ch = b.get(pos).copied().unwrap_or(0);
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if is_space_byte(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || b.get(pos + 1) != Some(&b'-') {
                return (&line[pos..], words);
            }
            phase = Phase::Word;
        }
        if at_end {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            break;
        }
        let mut c = ch;
        if phase == Phase::Word {
            if is_space_byte(c) {
                phase = Phase::Spaces;
                if word == "--" {
                    return (&line[pos..], words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
                pos += 1;
                continue;
            }
            if c == b'\'' || c == b'"' {
                (quote, blank_ok, phase) = (c, true, Phase::Quote);
                pos += 1;
                continue;
            }
        } else if c == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        if c == b'\\' {
            if pos + 1 == b.len() {
                // A backslash at the end is dropped.
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = b[pos];
        }
        // Go appends each byte as a rune: non-ASCII comes out as Latin-1.
        word.push(char::from(c));
        pos += 1;
    }
    ("", words)
}

/// Words split on unquoted whitespace, quotes and escapes kept (buildkit's `parseWords`).
fn words(rest: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut w = String::new();
    let (mut phase, mut quote, mut blank_ok) = (Phase::Spaces, '\0', false);
    let mut i = 0;
    loop {
        let ch = chars.get(i).copied();
        if phase == Phase::Spaces {
            match ch {
                None => break,
                Some(c) if c.is_whitespace() => {
                    i += 1;
                    continue;
                }
                Some(_) => phase = Phase::Word,
            }
        }
        let Some(mut c) = ch else {
            if blank_ok || !w.is_empty() {
                words.push(w);
            }
            break;
        };
        if phase == Phase::Word {
            if c.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !w.is_empty() {
                    words.push(std::mem::take(&mut w));
                }
                blank_ok = false;
                i += 1;
                continue;
            }
            if c == '\'' || c == '"' {
                (quote, blank_ok, phase) = (c, true, Phase::Quote);
            } else if c == escape {
                if i + 1 == chars.len() {
                    i += 1;
                    continue;
                }
                // Outside quotes the escape and what it escapes are both kept.
                w.push(c);
                i += 1;
                c = chars[i];
            }
        } else {
            if c == quote {
                phase = Phase::Word;
            } else if c == escape && quote != '\'' {
                if i + 1 == chars.len() {
                    phase = Phase::Word;
                    i += 1;
                    continue;
                }
                w.push(c);
                i += 1;
                c = chars[i];
            }
        }
        w.push(c);
        i += 1;
    }
    words
}

/// ENV and LABEL: `key=value ...`, or the legacy `key value`.
fn name_val(rest: &str, key: &str, escape: char) -> Result<Vec<String>, String> {
    let ws = words(rest, escape);
    let Some(first) = ws.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        return match rest.find(is_split_space) {
            Some(i) => Ok(vec![
                rest[..i].to_string(),
                rest[i..].trim_start_matches(is_split_space).to_string(),
            ]),
            None => Err(format!("{key} must have two arguments")),
        };
    }
    let mut out = Vec::with_capacity(ws.len() * 2);
    for w in &ws {
        let Some((k, v)) = w.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                gostd::quote(w)
            ));
        };
        out.push(k.to_string());
        out.push(v.to_string());
    }
    Ok(out)
}

fn whitespace_delimited(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    rest.split(is_split_space)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

enum Json {
    NotAnArray,
    NotStrings,
}

fn json_array(rest: &str) -> Result<Vec<String>, Json> {
    let t = rest.trim_start();
    if !t.starts_with('[') {
        return Err(Json::NotAnArray);
    }
    let items: Vec<serde_json::Value> = serde_json::from_str(t).map_err(|_| Json::NotAnArray)?;
    items
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(Json::NotStrings),
        })
        .collect()
}

const NOT_STRINGS: &str = "when using JSON array syntax, arrays must be comprised of strings only";

/// A JSON array of strings, else the text as one argument.
fn maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    match json_array(rest) {
        Ok(v) => Ok((v, true)),
        Err(Json::NotStrings) => Err(NOT_STRINGS.into()),
        Err(Json::NotAnArray) => Ok((vec![rest.to_string()], false)),
    }
}

/// A JSON array of strings, else whitespace-separated words.
fn maybe_json_to_list(rest: &str) -> Result<(Vec<String>, bool), String> {
    match json_array(rest) {
        Ok(v) => Ok((v, true)),
        Err(Json::NotStrings) => Err(NOT_STRINGS.into()),
        Err(Json::NotAnArray) => Ok((whitespace_delimited(rest), false)),
    }
}

/// HEALTHCHECK: a type word, then a command as CMD takes it.
fn health_config(rest: &str) -> Result<(Vec<String>, bool), String> {
    let b = rest.as_bytes();
    let sep = b.iter().position(|c| is_space_byte(*c)).unwrap_or(b.len());
    if sep == 0 {
        return Ok((Vec::new(), false));
    }
    let next = sep + b[sep..].iter().take_while(|c| is_space_byte(**c)).count();
    let (cmd, json) = maybe_json(&rest[next..])?;
    let mut args = vec![rest[..sep].to_string()];
    args.extend(cmd);
    Ok((args, json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{one, parse};

    #[test]
    fn flags_and_argument_syntax() {
        let n = one("HEALTHCHECK --interval=5s --timeout=\"1 s\" --x='' CMD [\"a\", \"b\"]");
        assert_eq!(n.flags, ["--interval=5s", "--timeout=1 s", "--x="]);
        assert_eq!(n.args, ["CMD", "a", "b"]);
        assert!(n.json);
        let n = one("healthcheck  cmd  curl -f x ");
        assert_eq!(
            (n.value.as_str(), n.args.as_slice()),
            ("healthcheck", &["cmd".to_string(), "curl -f x".into()][..])
        );
        let n = one("USER -- --x");
        assert_eq!(
            (n.flags.len(), n.args.as_slice()),
            (0, &["--x".to_string()][..])
        );
        let n = one("ENV A=\"x y\" B=z\\ w");
        assert_eq!(n.args, ["A", "\"x y\"", "B", "z\\ w"]);
        let n = one("LABEL a b  c");
        assert_eq!(n.args, ["a", "b  c"]);
        assert_eq!(
            parse("ENV A").err().as_deref(),
            Some("ENV must have two arguments")
        );
        assert_eq!(
            parse("LABEL a=1 b").err().as_deref(),
            Some(r#"Syntax error - can't find = in "b". Must be of the form: name=value"#)
        );
        assert_eq!(one("VOLUME /a  /b").args, ["/a", "/b"]);
        assert_eq!(one("VOLUME [\"/a b\"]").args, ["/a b"]);
        assert_eq!(one("CMD [\"a\",]").args, ["[\"a\",]"]);
        assert_eq!(parse("CMD [1]").err().as_deref(), Some(NOT_STRINGS));
        let n = one("ONBUILD  run echo hi");
        assert_eq!(n.all_args(), ["run", "echo hi"]);
        let chain = format!("{}CMD x", "ONBUILD ".repeat(8000));
        assert_eq!(one(&chain).all_args(), ["ONBUILD"]);
        let chain = format!("{}CMD [1]", "ONBUILD ".repeat(8000));
        assert_eq!(parse(&chain).err().as_deref(), Some(NOT_STRINGS));
    }
}
