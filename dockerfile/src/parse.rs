//! The Dockerfile parser (buildkit's `frontend/dockerfile/parser`) over the joined changes:
//! lines, parser directives, comments, line continuations, one node per instruction (its
//! arguments as `syntax` splits them), and heredocs (which also swallow the lines they span).

use crate::gostd;
use crate::lex::{Env, Lex};
use crate::syntax::{arguments, split_command};

/// One instruction.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The instruction name as written (`cmd`, `CMD`).
    pub value: String,
    /// The whole logical line, continuations joined.
    pub original: String,
    /// The `--name=value` words in front of the arguments.
    pub flags: Vec<String>,
    /// The arguments as the instruction's syntax splits them (ENV and LABEL: key, value,
    /// key, value...; HEALTHCHECK: the type, then the command).
    pub args: Vec<String>,
    /// The arguments were a JSON array.
    pub json: bool,
    /// The instruction ONBUILD wraps.
    pub child: Option<Box<Node>>,
    /// Heredocs read after the line.
    pub heredocs: Vec<Heredoc>,
    /// The line (from 1) the instruction starts on.
    pub start_line: usize,
}

impl Node {
    /// The arguments as the instruction parser sees them: an ONBUILD's are its trigger's
    /// name and arguments.
    pub fn all_args(&self) -> Vec<String> {
        match &self.child {
            Some(c) => std::iter::once(c.value.clone())
                .chain(c.all_args())
                .collect(),
            None => self.args.clone(),
        }
    }
}

/// A heredoc (`<<EOF` ... `EOF`).
#[derive(Debug, Clone)]
pub struct Heredoc {
    /// The terminator.
    pub name: String,
    /// The lines in between, line endings included.
    pub content: String,
}

/// The instructions and the escape token in effect.
#[derive(Debug)]
pub struct Parsed {
    /// The instructions, in order.
    pub nodes: Vec<Node>,
    /// `\` unless a `# escape=` directive said `` ` ``.
    pub escape: char,
}

/// `bufio.Scanner`'s limit: a longer line ends the input.
const MAX_LINE: usize = 65535;

/// Parses `text` as a Dockerfile.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut d = Directives::default();
    let mut lines = Lines {
        rest: text,
        too_long: false,
        line: 0,
    };
    let mut nodes = Vec::new();
    let mut first = true;
    while let Some(raw) = lines.next() {
        let start_line = lines.line;
        let raw = if std::mem::take(&mut first) {
            raw.strip_prefix('\u{feff}').unwrap_or(raw)
        } else {
            raw
        };
        let line = d.process_line(raw, true)?;
        let (line, mut end) = trim_continuation(line, d.escape);
        if end && line.is_empty() {
            continue;
        }
        let mut logical = line.to_string();
        while !end {
            let Some(raw) = lines.next() else { break };
            let line = d.process_line(raw, false)?;
            // Comment lines and blank lines inside a continuation are skipped.
            if is_comment(raw) || line.trim_start().is_empty() {
                continue;
            }
            let (line, e) = trim_continuation(line, d.escape);
            logical.push_str(line);
            end = e;
        }
        let mut node = node_from_line(&logical, &d)?;
        node.start_line = start_line;
        if can_contain_heredoc(&node) && logical.contains("<<") {
            for (name, chomp) in heredocs_in(&logical)? {
                let mut content = String::new();
                let mut terminated = false;
                for raw in lines.by_ref() {
                    let candidate = trim_newline(raw);
                    let candidate = if chomp {
                        candidate.trim_start_matches('\t')
                    } else {
                        candidate
                    };
                    if candidate == name {
                        terminated = true;
                        break;
                    }
                    content.push_str(raw);
                }
                if !terminated {
                    return Err("unterminated heredoc".into());
                }
                node.heredocs.push(Heredoc { name, content });
            }
        }
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err("file with no instructions".into());
    }
    if lines.too_long {
        return Err(format!(
            "dockerfile line greater than max allowed size of {MAX_LINE}"
        ));
    }
    Ok(Parsed {
        nodes,
        escape: d.escape,
    })
}

/// Lines with their `\n`, stopping before one longer than [`MAX_LINE`].
struct Lines<'a> {
    rest: &'a str,
    too_long: bool,
    /// The number of the line last returned.
    line: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() || self.too_long {
            return None;
        }
        let end = self.rest.find('\n').map_or(self.rest.len(), |i| i + 1);
        let line = &self.rest[..end];
        if line.strip_suffix('\n').unwrap_or(line).len() > MAX_LINE {
            self.too_long = true;
            return None;
        }
        self.rest = &self.rest[end..];
        self.line += 1;
        Some(line)
    }
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn is_comment(s: &str) -> bool {
    s.trim_start().starts_with('#')
}

/// Parser directives (`# escape=`` ` ``, `# syntax=...`, `# check=...`): only before
/// anything else.
struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            escape: '\\',
            done: false,
            seen: Vec::new(),
        }
    }
}

impl Directives {
    /// A line without its line ending (and leading whitespace), a directive noted, a
    /// comment emptied.
    fn process_line<'a>(&mut self, raw: &'a str, strip_left: bool) -> Result<&'a str, String> {
        let mut line = trim_newline(raw);
        if strip_left {
            line = line.trim_start();
        }
        self.directive(line)?;
        Ok(if is_comment(line) { "" } else { line })
    }

    fn directive(&mut self, line: &str) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = line
            .strip_prefix('#')
            .and_then(|l| directive_parts(l.trim_start()))
        else {
            self.done = true;
            return Ok(());
        };
        let key = name.to_ascii_lowercase();
        if !matches!(key.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&key) {
            return Err(format!("only one {key} parser directive can be used"));
        }
        if key == "escape" {
            self.escape = match value {
                "`" => '`',
                "\\" => '\\',
                _ => {
                    return Err(format!(
                        "invalid escape token '{value}' does not match ` or \\"
                    ));
                }
            };
        }
        self.seen.push(key);
        Ok(())
    }
}

/// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
fn directive_parts(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let len = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    let (name, rest) = s.split_at(len);
    let rest = rest
        .trim_start_matches(gostd::is_re_space)
        .strip_prefix('=')?;
    let trimmed = rest.trim_start_matches(gostd::is_re_space);
    let value = if trimmed.is_empty() {
        // Only whitespace: the lazy `.+?` still takes one (the last) character.
        let c = rest.chars().next_back()?;
        &rest[rest.len() - c.len_utf8()..]
    } else {
        trimmed.trim_end_matches(gostd::is_re_space)
    };
    Some((name, value))
}

/// Removes a line continuation (the escape token last on the line, not itself escaped):
/// the line and whether it ends the instruction.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        Some(before) if before.is_empty() || !before.ends_with(escape) => (before, false),
        _ => (line, true),
    }
}

/// Splits an instruction line and parses its arguments as the instruction's syntax says.
fn node_from_line(line: &str, d: &Directives) -> Result<Node, String> {
    node_at(line, d, 0)
}

fn node_at(line: &str, d: &Directives, depth: usize) -> Result<Node, String> {
    let (cmd, flags, rest) = split_command(line);
    let mut node = Node {
        value: cmd.to_string(),
        original: line.to_string(),
        flags,
        ..Node::default()
    };
    let lower = gostd::to_lower(cmd);
    if lower != "onbuild" {
        (node.args, node.json) = arguments(&lower, &rest, d.escape)?;
    } else if depth == 0 {
        if !rest.is_empty() {
            node.child = Some(Box::new(node_at(&rest, d, 1)?));
        }
    } else {
        // An ONBUILD trigger of an ONBUILD is refused once parsed, whatever follows; what
        // follows is only checked for syntax, without recursion (a long chain must not
        // exhaust the stack).
        let mut rest = rest;
        while !rest.is_empty() {
            let (cmd, _, r) = split_command(&rest);
            let lower = gostd::to_lower(cmd);
            if lower != "onbuild" {
                arguments(&lower, &r, d.escape)?;
                break;
            }
            rest = r;
        }
    }
    Ok(node)
}

/// RUN, COPY and ADD (also as an ONBUILD trigger) in shell form may use heredocs.
fn can_contain_heredoc(node: &Node) -> bool {
    let node = match (&node.child, gostd::to_lower(&node.value) == "onbuild") {
        (Some(child), true) => child,
        _ => node,
    };
    matches!(
        gostd::to_lower(&node.value).as_str(),
        "add" | "copy" | "run"
    ) && !node.json
}

/// The heredocs a line opens (`<<EOF`, `<<-EOF`, `2<<"EOF"`), as (terminator, strip tabs).
fn heredocs_in(line: &str) -> Result<Vec<(String, bool)>, String> {
    let raw = Lex {
        escape: '\\',
        raw_quotes: true,
        raw_escapes: true,
        skip_unset_env: true,
    };
    let empty = Env::default();
    let mut out = Vec::new();
    for word in raw.process_words(line, &empty).unwrap_or_default() {
        // ^(\d*)<<(-?)([^<]*)$
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        let Some(after) = word[digits..].strip_prefix("<<") else {
            continue;
        };
        let (chomp, rest) = match after.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, after),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let plain = Lex {
            raw_quotes: false,
            raw_escapes: false,
            ..raw
        };
        let names = plain.process_words(rest, &empty)?;
        if names.len() != 1 {
            continue;
        }
        let quoted = Lex {
            raw_quotes: true,
            ..plain
        };
        if quoted.process_words(rest, &empty)?.len() != names.len() {
            return Err(format!(
                "internal lexing of heredoc produced inconsistent results: {rest}"
            ));
        }
        out.extend(names.into_iter().map(|n| (n, chomp)));
    }
    Ok(out)
}

/// The one instruction `text` holds (tests of this module and its neighbours).
#[cfg(test)]
pub(crate) fn one(text: &str) -> Node {
    let p = parse(text).expect("parses");
    assert_eq!(p.nodes.len(), 1, "{text}");
    p.nodes.into_iter().next().expect("one node")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_continuations() {
        let p = parse("# a comment\n\n  cmd a \\\n  # inside\n\n b\\\\\r\nENV A=1\n").expect("ok");
        let v: Vec<(&str, &[String])> = p
            .nodes
            .iter()
            .map(|n| (n.value.as_str(), n.args.as_slice()))
            .collect();
        assert_eq!(
            v,
            [
                ("cmd", &["a  b\\\\".to_string()][..]),
                ("ENV", &["A".into(), "1".into()][..])
            ]
        );
        assert_eq!(
            parse("").err().as_deref(),
            Some("file with no instructions")
        );
        assert_eq!(
            parse("# x\n  \n").err().as_deref(),
            Some("file with no instructions")
        );
        let long = format!("CMD a\nCMD {}", "x".repeat(MAX_LINE));
        assert_eq!(
            parse(&long).err().as_deref(),
            Some("dockerfile line greater than max allowed size of 65535")
        );
        assert!(parse(&format!("CMD {}", "x".repeat(MAX_LINE - 4))).is_ok());
    }

    #[test]
    fn directives_come_first() {
        let p = parse("# escape=`\nWORKDIR C:\\x `\n  y").expect("ok");
        assert_eq!(p.escape, '`');
        assert_eq!(p.nodes[0].args, ["C:\\x   y"]);
        assert_eq!(parse("\n# escape=`\nCMD x").expect("ok").escape, '\\');
        assert_eq!(
            parse("# escape=x\nCMD x").err().as_deref(),
            Some("invalid escape token 'x' does not match ` or \\")
        );
        assert_eq!(
            parse("# syntax=a\n# SYNTAX = b\nCMD x").err().as_deref(),
            Some("only one syntax parser directive can be used")
        );
    }

    #[test]
    fn heredocs_are_read_and_checked() {
        let p = parse("ONBUILD RUN <<EOF\necho hi\nEOF\nCMD x").expect("ok");
        assert_eq!(p.nodes.len(), 2);
        assert_eq!(p.nodes[0].heredocs[0].name, "EOF");
        assert_eq!(p.nodes[0].heredocs[0].content, "echo hi\n");
        let p = parse("RUN <<-'A' 3<<B\n\tA\nx\nB").expect("ok");
        assert_eq!(p.nodes.len(), 1);
        assert_eq!(
            parse("RUN <<EOF\nx").err().as_deref(),
            Some("unterminated heredoc")
        );
        assert_eq!(one("RUN [\"<<EOF\"]").heredocs.len(), 0);
    }
}
