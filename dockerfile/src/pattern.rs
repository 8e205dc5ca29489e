//! Shell patterns of `${VAR#...}`, `${VAR%...}` and `${VAR/.../...}`: `*` is any string, `?`
//! any character, `\` escapes `*`, `?` and `\` (and is dropped before `}` and `/`).
//!
//! buildkit turns a pattern into a Go regular expression (`.*` or `.*?` for `*`, `.` for
//! `?`, `^` in front when anchored) and uses its leftmost-first match; the `regex` crate
//! compiles the same expression with the same semantics (leftmost-first, linear time, `.`
//! not matching a newline). Only Go's replacement template rule stays here: `regex`'s own
//! differs at the edges (ASCII-only names, any text inside `${...}`).

use regex::Regex;

/// A compiled pattern.
#[derive(Debug)]
pub(crate) struct Glob {
    re: Regex,
}

impl Glob {
    /// Compiles `pattern`; `greedy` makes `*` prefer the longest string, `anchored` matches
    /// only at the start of the value.
    pub(crate) fn compile(pattern: &str, greedy: bool, anchored: bool) -> Result<Glob, String> {
        let mut chars = pattern.chars().peekable();
        // Go's text/scanner skips a byte order mark at the very start.
        chars.next_if_eq(&'\u{feff}');
        let mut expr = String::from(if anchored { "^" } else { "" });
        while let Some(c) = chars.next() {
            match c {
                '*' => expr.push_str(if greedy { ".*" } else { ".*?" }),
                '?' => expr.push('.'),
                '\\' => {
                    if matches!(chars.peek(), Some('}' | '/')) {
                        continue;
                    }
                    match chars.next() {
                        Some(e @ ('*' | '?' | '\\')) => {
                            expr.push_str(&regex::escape(&e.to_string()))
                        }
                        other => {
                            return Err(format!(
                                "invalid escape '\\{}'",
                                other.unwrap_or('\u{fffd}')
                            ));
                        }
                    }
                }
                c => expr.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        let re = Regex::new(&expr).map_err(|e| e.to_string())?;
        Ok(Glob { re })
    }

    /// The first match in `value` (leftmost start, then the preferred length), as byte
    /// offsets.
    pub(crate) fn find(&self, value: &str) -> Option<(usize, usize)> {
        self.re.find(value).map(|m| (m.start(), m.end()))
    }

    /// `value` with its first match replaced by `replacement` (taken literally).
    pub(crate) fn replace_first(&self, value: &str, replacement: &str) -> String {
        match self.find(value) {
            Some((s, e)) => format!("{}{replacement}{}", &value[..s], &value[e..]),
            None => value.to_string(),
        }
    }

    /// Go's `Regexp.ReplaceAllString`: every non-overlapping match replaced, an empty match
    /// right after a match skipped, and `$0` / `${0}` in the replacement standing for the
    /// match (other `$name`s are groups that do not exist: nothing; `$$` is `$`). The loop is
    /// Go's, so where the search resumes after an empty match is Go's too.
    pub(crate) fn replace_all(&self, value: &str, template: &str) -> String {
        let mut out = String::new();
        let (mut last_end, mut search) = (0, 0);
        while search <= value.len() {
            let Some(m) = self.re.find_at(value, search) else {
                break;
            };
            out.push_str(&value[last_end..m.start()]);
            if m.end() > last_end || m.start() == 0 {
                expand(&mut out, template, m.as_str());
            }
            last_end = m.end();
            let width = value[search..].chars().next().map_or(0, char::len_utf8);
            if search + width > m.end() {
                search += width;
            } else if search + 1 > m.end() {
                search += 1;
            } else {
                search = m.end();
            }
        }
        out.push_str(&value[last_end..]);
        out
    }
}

/// Go's `Regexp.Expand` for a pattern whose only group is the whole match.
fn expand(out: &mut String, template: &str, whole: &str) {
    let mut t = template;
    while let Some(i) = t.find('$') {
        out.push_str(&t[..i]);
        t = &t[i + 1..];
        if let Some(rest) = t.strip_prefix('$') {
            out.push('$');
            t = rest;
            continue;
        }
        match group_ref(t) {
            None => out.push('$'),
            Some((name, rest)) => {
                if name == "0" {
                    out.push_str(whole);
                }
                t = rest;
            }
        }
    }
    out.push_str(t);
}

/// A `name` or `{name}` after `$` (Go's `extract`), and what follows it.
fn group_ref(s: &str) -> Option<(&str, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let len: usize = body
        .chars()
        .take_while(|c| super::gostd::is_letter(*c) || super::gostd::is_digit(*c) || *c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let (name, rest) = body.split_at(len);
    if brace {
        return rest.strip_prefix('}').map(|r| (name, r));
    }
    Some((name, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_prefer_as_go_regexps_do() {
        let g = |p: &str, greedy| Glob::compile(p, greedy, true).expect("pattern");
        assert_eq!(g("*/", false).find("/a/b/c"), Some((0, 1)));
        assert_eq!(g("*/", true).find("/a/b/c"), Some((0, 5)));
        assert_eq!(g("a?c", true).find("abcabc"), Some((0, 3)));
        assert_eq!(g("b", true).find("abc"), None);
        assert_eq!(g("\\*", true).find("*x"), Some((0, 1)));
        assert_eq!(g("*", true).find("ab\ncd"), Some((0, 2)));
        let u = Glob::compile("b*", true, false).expect("pattern");
        assert_eq!(u.find("abbb"), Some((1, 4)));
        assert_eq!(u.replace_all("abcb", "<$0>"), "a<bcb>");
        let two = Glob::compile("b?", true, false).expect("pattern");
        assert_eq!(two.replace_all("abcbd", "<$0>"), "a<bc><bd>");
        assert_eq!(two.replace_all("abcbd", "$$x${0}$1$"), "a$xbc$$xbd$");
        assert_eq!(two.replace_first("abcbd", "$0"), "a$0bd");
        let empty = Glob::compile("x*", true, false).expect("pattern");
        assert_eq!(empty.replace_all("ab", "-"), "ab");
        let star = Glob::compile("*", false, false).expect("pattern");
        assert_eq!(star.replace_all("ab", "-"), "-a-b-");
        assert_eq!(star.replace_all("é.", "-"), "-é-.-");
        assert_eq!(g(".?", true).find("a.b"), None);
        assert_eq!(
            Glob::compile("a\\", true, true).err(),
            Some("invalid escape '\\\u{fffd}'".into())
        );
    }
}
