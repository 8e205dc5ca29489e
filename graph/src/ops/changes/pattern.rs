//! Shell patterns of `${VAR#...}`, `${VAR%...}` and `${VAR/.../...}`: `*` is any string, `?`
//! any character, `\` escapes `*`, `?` and `\` (and is dropped before `}` and `/`).
//!
//! buildkit turns a pattern into a Go regular expression (`.*` or `.*?` for `*`, `.` for
//! `?`) and uses its leftmost-first match; a Pike VM with threads in priority order finds
//! exactly that match, in linear time as Go's does. As in Go, `*` and `?` do not match a
//! newline.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Star,
    Any,
    Lit(char),
}

/// A compiled pattern.
#[derive(Debug)]
pub(super) struct Glob {
    toks: Vec<Tok>,
    greedy: bool,
    anchored: bool,
}

impl Glob {
    /// Compiles `pattern`; `greedy` makes `*` prefer the longest string, `anchored` matches
    /// only at the start of the value.
    pub(super) fn compile(pattern: &str, greedy: bool, anchored: bool) -> Result<Glob, String> {
        let mut chars = pattern.chars().peekable();
        // Go's text/scanner skips a byte order mark at the very start.
        chars.next_if_eq(&'\u{feff}');
        let mut toks = Vec::new();
        while let Some(c) = chars.next() {
            toks.push(match c {
                '*' => Tok::Star,
                '?' => Tok::Any,
                '\\' => {
                    if matches!(chars.peek(), Some('}' | '/')) {
                        continue;
                    }
                    match chars.next() {
                        Some(e @ ('*' | '?' | '\\')) => Tok::Lit(e),
                        other => {
                            return Err(format!(
                                "invalid escape '\\{}'",
                                other.unwrap_or('\u{fffd}')
                            ));
                        }
                    }
                }
                c => Tok::Lit(c),
            });
        }
        Ok(Glob {
            toks,
            greedy,
            anchored,
        })
    }

    /// The first match in `value` (leftmost start, then the preferred length), as byte
    /// offsets.
    pub(super) fn find(&self, value: &str) -> Option<(usize, usize)> {
        let chars: Vec<char> = value.chars().collect();
        let (s, e) = self.find_chars(&chars, 0)?;
        Some((byte_offset(value, s), byte_offset(value, e)))
    }

    /// `value` with its first match replaced by `replacement` (taken literally).
    pub(super) fn replace_first(&self, value: &str, replacement: &str) -> String {
        match self.find(value) {
            Some((s, e)) => format!("{}{replacement}{}", &value[..s], &value[e..]),
            None => value.to_string(),
        }
    }

    /// Go's `Regexp.ReplaceAllString`: every non-overlapping match replaced, an empty match
    /// right after a match skipped, and `$0` / `${0}` in the replacement standing for the
    /// match (other `$name`s are groups that do not exist: nothing; `$$` is `$`).
    pub(super) fn replace_all(&self, value: &str, template: &str) -> String {
        let chars: Vec<char> = value.chars().collect();
        let n = chars.len();
        let mut out = String::new();
        let (mut last_end, mut search) = (0, 0);
        while search <= n {
            let Some((s, e)) = self.find_chars(&chars, search) else {
                break;
            };
            out.extend(&chars[last_end..s]);
            if e > last_end || s == 0 {
                let whole: String = chars[s..e].iter().collect();
                expand(&mut out, template, &whole);
            }
            last_end = e;
            let width = usize::from(search < n);
            if search + width > e {
                search += width;
            } else if search + 1 > e {
                search += 1;
            } else {
                search = e;
            }
        }
        out.extend(&chars[last_end.min(n)..]);
        out
    }

    /// The leftmost-first match starting at `from` or later, in characters: a Pike VM over
    /// the pattern's states (time linear in value × pattern, no backtracking), threads in
    /// priority order so that the first to match wins as in Go's regexp.
    fn find_chars(&self, v: &[char], from: usize) -> Option<(usize, usize)> {
        let m = self.toks.len();
        let mut clist: Vec<(usize, usize)> = Vec::new();
        let mut nlist: Vec<(usize, usize)> = Vec::new();
        let mut mark = vec![usize::MAX; m + 1];
        let mut matched = None;
        let mut pos = from;
        while pos <= v.len() {
            if matched.is_none() && (!self.anchored || pos == 0) {
                self.add(&mut clist, &mut mark, pos, 0, pos);
            }
            if clist.is_empty() {
                break;
            }
            nlist.clear();
            let c = v.get(pos).copied();
            for &(state, start) in &clist {
                if state == m {
                    // Threads after this one have lower priority: dropped.
                    matched = Some((start, pos));
                    break;
                }
                let next = match (self.toks[state], c) {
                    (Tok::Lit(l), Some(c)) if l == c => state + 1,
                    (Tok::Any, Some(c)) if c != '\n' => state + 1,
                    (Tok::Star, Some(c)) if c != '\n' => state,
                    _ => continue,
                };
                self.add(&mut nlist, &mut mark, pos + 1, next, start);
            }
            std::mem::swap(&mut clist, &mut nlist);
            pos += 1;
        }
        matched
    }

    /// Adds the thread `(state, start)` and what it reaches without reading, in priority
    /// order, to the list of generation `generation`.
    fn add(
        &self,
        list: &mut Vec<(usize, usize)>,
        mark: &mut [usize],
        generation: usize,
        state: usize,
        start: usize,
    ) {
        enum Step {
            Visit(usize),
            Emit(usize),
        }
        let mut stack = vec![Step::Visit(state)];
        while let Some(step) = stack.pop() {
            let s = match step {
                Step::Emit(s) => {
                    list.push((s, start));
                    continue;
                }
                Step::Visit(s) => s,
            };
            if mark[s] == generation {
                continue;
            }
            mark[s] = generation;
            match self.toks.get(s) {
                Some(Tok::Star) if self.greedy => {
                    // Read one more character first, else go on.
                    list.push((s, start));
                    stack.push(Step::Visit(s + 1));
                }
                Some(Tok::Star) => {
                    // Go on first, else read one more character.
                    stack.push(Step::Emit(s));
                    stack.push(Step::Visit(s + 1));
                }
                _ => list.push((s, start)),
            }
        }
    }
}

fn byte_offset(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
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
        assert_eq!(
            Glob::compile("a\\", true, true).err(),
            Some("invalid escape '\\\u{fffd}'".into())
        );
    }
}
