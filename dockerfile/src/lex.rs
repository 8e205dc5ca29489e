//! Word processing of the Dockerfile builder (buildkit's `shell.Lex`, which the classic
//! builder uses): quotes, escapes and `$VAR` / `${VAR...}` expansion over an environment.
//!
//! `'...'` keeps everything literally; `"..."` expands variables and lets the escape token
//! escape only `"`, `$` and itself; outside quotes the escape token escapes any character and
//! is dropped at the end of a word. `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
//! `${VAR+word}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR#glob}`, `${VAR##glob}`, `${VAR%glob}`,
//! `${VAR%%glob}`, `${VAR/glob/new}` and `${VAR//glob/new}` work as in buildkit. An unset
//! variable expands to nothing. Errors read `failed to process "<word>": <why>`.

use std::collections::HashMap;

use crate::gostd;
use crate::pattern::Glob;

/// Variables visible to expansion.
#[derive(Debug, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    /// From `KEY=value` entries (a later entry wins; `KEY` alone is set and empty).
    pub fn from_list(list: &[String]) -> Env {
        Env(list
            .iter()
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (e.clone(), String::new()),
            })
            .collect())
    }
}

/// A configured lexer.
#[derive(Debug, Clone, Copy)]
pub struct Lex {
    /// `\` or `` ` `` (the `# escape=` parser directive).
    pub escape: char,
    /// Keep quote characters in the result.
    pub raw_quotes: bool,
    /// Keep escape characters in the result.
    pub raw_escapes: bool,
    /// Leave unset variables as written.
    pub skip_unset_env: bool,
}

impl Lex {
    /// The lexer the builder uses for instructions.
    pub fn new(escape: char) -> Lex {
        Lex {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset_env: false,
        }
    }

    /// `ProcessWord`: the word expanded, with its quotes and escapes removed.
    pub fn process_word(&self, word: &str, env: &Env) -> Result<String, String> {
        self.process(word, env).map(|(w, _)| w)
    }

    /// `ProcessWords`: the expanded word split on unquoted whitespace (whitespace that comes
    /// from a variable's value splits too).
    pub fn process_words(&self, word: &str, env: &Env) -> Result<Vec<String>, String> {
        self.process(word, env).map(|(_, ws)| ws)
    }

    fn process(&self, word: &str, env: &Env) -> Result<(String, Vec<String>), String> {
        let mut chars: Vec<char> = word.chars().collect();
        // Go's text/scanner skips a byte order mark at the very start.
        if chars.first() == Some(&'\u{feff}') {
            chars.remove(0);
        }
        let mut sw = Scanner {
            lex: self,
            env,
            chars,
            pos: 0,
            raw_escapes: self.raw_escapes,
            depth: 0,
        };
        sw.stop_on(None, self.raw_escapes)
            .map_err(|e| format!("failed to process {}: {e}", gostd::quote(word)))
    }
}

/// Words being split (buildkit's `wordsStruct`).
#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, c: char) {
        if c.is_whitespace() && self.in_word {
            if !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else if !c.is_whitespace() {
            self.add_raw_char(c);
        }
    }
    fn add_raw_char(&mut self, c: char) {
        self.word.push(c);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }
    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(self.word);
        }
        self.words
    }
}

struct Scanner<'a> {
    lex: &'a Lex,
    env: &'a Env,
    chars: Vec<char>,
    pos: usize,
    raw_escapes: bool,
    /// Substitutions being processed inside one another.
    depth: usize,
}

/// Substitutions nested deeper than this are refused (Go would go on; the recursion here
/// must not exhaust a thread's stack).
const MAX_NESTING: usize = 200;

type Processed = Result<(String, Vec<String>), String>;

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn get_env(&self, name: &str) -> (String, bool) {
        match self.env.0.get(name) {
            Some(v) => (v.clone(), true),
            None => (String::new(), false),
        }
    }

    /// Processes up to `stop` (consumed) or the end; reaching the end while looking for
    /// `stop` is an error.
    fn stop_on(&mut self, stop: Option<char>, raw_escapes: bool) -> Processed {
        let saved = std::mem::replace(&mut self.raw_escapes, raw_escapes);
        let r = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        r
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> Processed {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(c) = self.peek() {
            if Some(c) == stop {
                self.next();
                return Ok((result, words.finish()));
            }
            match c {
                '$' => {
                    let v = self.dollar()?;
                    result.push_str(&v);
                    words.add_string(&v);
                }
                '\'' | '"' => {
                    let v = if c == '\'' {
                        self.single_quote()?
                    } else {
                        self.double_quote()?
                    };
                    result.push_str(&v);
                    words.add_raw_string(&v);
                }
                _ => {
                    self.next();
                    let mut c = c;
                    if c == self.lex.escape {
                        if self.raw_escapes {
                            words.add_raw_char(c);
                            result.push(c);
                        }
                        // The escape escapes anything, except at the end of the word.
                        match self.next() {
                            None => break,
                            Some(n) => c = n,
                        }
                        words.add_raw_char(c);
                    } else {
                        words.add_char(c);
                    }
                    result.push(c);
                }
            }
        }
        if let Some(s) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {s}"
            ));
        }
        Ok((result, words.finish()))
    }

    fn single_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        self.next();
        if self.lex.raw_quotes {
            result.push('\'');
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    );
                }
                Some('\'') => {
                    if self.lex.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        self.next();
        if self.lex.raw_quotes {
            result.push('"');
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    );
                }
                Some('"') => {
                    self.next();
                    if self.lex.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let v = self.dollar()?;
                    result.push_str(&v);
                }
                Some(c) => {
                    self.next();
                    let mut c = c;
                    if c == self.lex.escape {
                        if self.raw_escapes {
                            result.push(c);
                        }
                        match self.peek() {
                            // An escape at the very end is dropped (and the quote is
                            // then missing).
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.lex.escape => {
                                self.next();
                                c = n;
                            }
                            // Other characters keep the escape in front of them.
                            Some(_) => {}
                        }
                    }
                    result.push(c);
                }
            }
        }
    }

    fn dollar(&mut self) -> Result<String, String> {
        self.depth += 1;
        let r = match self.depth > MAX_NESTING {
            true => Err("syntax error: substitutions nested too deeply".into()),
            false => self.substitution(),
        };
        self.depth -= 1;
        r
    }

    /// `$name`, `${name}` or `${name<modifier>...}`, the `$` next.
    fn substitution(&mut self) -> Result<String, String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            let (value, found) = self.get_env(&name);
            if !found && self.lex.skip_unset_env {
                return Ok(format!("${name}"));
            }
            return Ok(value);
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            Some(_) => {}
        }
        let name = self.name();
        let mut ch = self.next();
        // Go's string(rune) of EOF is U+FFFD.
        let mut chs = String::from(ch.unwrap_or('\u{fffd}'));
        match ch {
            Some('}') => {
                let (value, set) = self.get_env(&name);
                if !set && self.lex.skip_unset_env {
                    return Ok(format!("${{{name}}}"));
                }
                Ok(value)
            }
            Some(':' | '+' | '-' | '?' | '#' | '%') => {
                let mut null_is_unset = false;
                if ch == Some(':') {
                    null_is_unset = true;
                    ch = self.next();
                    chs.push(ch.unwrap_or('\u{fffd}'));
                }
                let raw = matches!(ch, Some('#' | '%'));
                let mut word = match self.stop_on(Some('}'), raw) {
                    Ok((w, _)) => w,
                    Err(_) if self.peek().is_none() => {
                        return Err("syntax error: missing '}'".into());
                    }
                    Err(e) => return Err(e),
                };
                let (value, set) = self.get_env(&name);
                if self.lex.skip_unset_env && !set {
                    return Ok(format!("${{{name}{chs}{word}}}"));
                }
                let unset = !set || (null_is_unset && value.is_empty());
                match ch {
                    Some('-') => Ok(if unset { word } else { value }),
                    Some('+') => Ok(if unset { String::new() } else { word }),
                    Some('?') => {
                        let default = if !set {
                            "is not allowed to be unset"
                        } else if null_is_unset && value.is_empty() {
                            "is not allowed to be empty"
                        } else {
                            return Ok(value);
                        };
                        let message = if word.is_empty() { default } else { &word };
                        Err(format!("{name}: {message}"))
                    }
                    Some(m @ ('%' | '#')) => {
                        // One `%`/`#` removes the shortest match, two the longest.
                        let greedy = word.starts_with(m);
                        if greedy {
                            word.remove(0);
                        }
                        if m == '%' {
                            trim_suffix(&word, &value, greedy)
                        } else {
                            trim_prefix(&word, &value, greedy)
                        }
                    }
                    _ => Err(format!("unsupported modifier ({chs}) in substitution")),
                }
            }
            Some('/') => {
                let all = self.peek() == Some('/');
                if all {
                    self.next();
                }
                let pattern = match self.stop_on(Some('/'), true) {
                    Ok((p, _)) => p,
                    Err(_) if self.peek().is_none() => {
                        return Err("syntax error: missing '/' in ${}".into());
                    }
                    Err(e) => return Err(e),
                };
                let replacement = match self.stop_on(Some('}'), true) {
                    Ok((r, _)) => r,
                    Err(_) if self.peek().is_none() => {
                        return Err("syntax error: missing '}'".into());
                    }
                    Err(e) => return Err(e),
                };
                let (value, set) = self.get_env(&name);
                if self.lex.skip_unset_env && !set {
                    return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                }
                let glob = Glob::compile(&pattern, true, false)
                    .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
                Ok(if all {
                    glob.replace_all(&value, &replacement)
                } else {
                    glob.replace_first(&value, &replacement)
                })
            }
            _ => Err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    /// A variable name: letters, digits and `_`; or all the digits of a positional
    /// parameter; or one special parameter character.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if name.is_empty() && gostd::is_digit(c) {
                while let Some(d) = self.peek().filter(|d| gostd::is_digit(*d)) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return c.to_string();
            }
            if !gostd::is_letter(c) && !gostd::is_digit(c) && c != '_' {
                break;
            }
            self.next();
            name.push(c);
        }
        name
    }
}

fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let glob = Glob::compile(pattern, greedy, true)
        .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
    Ok(match glob.find(value) {
        Some((_, end)) => value[end..].to_string(),
        None => value.to_string(),
    })
}

/// As buildkit: the shortest or longest suffix is found as a prefix of the reversed value.
fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let reversed: String = value.chars().rev().collect();
    let trimmed = trim_prefix(&reverse_pattern(pattern), &reversed, greedy)?;
    Ok(trimmed.chars().rev().collect())
}

/// Reverses a pattern keeping each escape in front of the character it escapes.
fn reverse_pattern(pattern: &str) -> String {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = vec![' '; p.len()];
    let last = p.len().saturating_sub(1);
    let mut i = 0;
    while i < p.len() {
        let o = last - i;
        if p[i] == '\\' && i != last {
            out[o - 1] = p[i];
            out[o] = p[i + 1];
            i += 2;
        } else {
            out[o] = p[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env::from_list(&[
            "A=a".into(),
            "EMPTY=".into(),
            "SP=x  y".into(),
            "P=/usr/local/lib/x.tar.gz".into(),
            "D=[$0]".into(),
        ])
    }

    fn word(w: &str) -> Result<String, String> {
        Lex::new('\\').process_word(w, &env())
    }

    #[test]
    fn expands_like_the_builder() {
        let cases = [
            ("$A", "a"),
            ("${A}", "a"),
            ("x$A-y", "xa-y"),
            ("$NOPE", ""),
            ("${NOPE:-d}", "d"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${A:-d}", "a"),
            ("${A:+alt}", "alt"),
            ("${EMPTY:+alt}", ""),
            ("${EMPTY+alt}", "alt"),
            ("${NOPE+alt}", ""),
            ("${NOPE:-$A$A}", "aa"),
            ("${NOPE:-'q x'}", "q x"),
            ("'$A'", "$A"),
            ("\"$A\"", "a"),
            ("\\$A", "$A"),
            ("\"\\$A\"", "$A"),
            ("\"a\\b\"", "a\\b"),
            ("a\\ b", "a b"),
            ("a\\", "a"),
            ("$", "$"),
            ("$/x", "$/x"),
            ("$1x", "x"),
            ("$$", ""),
            ("${P#*/}", "usr/local/lib/x.tar.gz"),
            ("${P##*/}", "x.tar.gz"),
            ("${P%.*}", "/usr/local/lib/x.tar"),
            ("${P%%.*}", "/usr/local/lib/x"),
            ("${P/l/L}", "/usr/Local/lib/x.tar.gz"),
            ("${P//l/L}", "/usr/LocaL/Lib/x.tar.gz"),
            ("${SP//?/.}", "...."),
            ("${P/lib/$A}", "/usr/local/a/x.tar.gz"),
            ("${A/a/$D}", "[$0]"),
            ("${A//a/$D}", "[a]"),
            ("${A//a/\\$0}", "\\a"),
            ("\u{feff}$A", "a"),
        ];
        for (input, want) in cases {
            assert_eq!(word(input).as_deref(), Ok(want), "{input}");
        }
        let backtick = Lex::new('`');
        assert_eq!(
            backtick.process_word("a`$A\\b", &env()),
            Ok("a$A\\b".into())
        );
    }

    #[test]
    fn errors_are_the_builders() {
        let cases = [
            ("${A", "unsupported modifier (\u{fffd}) in substitution"),
            ("${A:-x", "syntax error: missing '}'"),
            ("${", "syntax error: missing '}'"),
            ("${}", "syntax error: bad substitution"),
            ("${:-x}", "syntax error: bad substitution"),
            ("${A!}", "unsupported modifier (!) in substitution"),
            ("${A:x}", "unsupported modifier (:x) in substitution"),
            ("${NOPE?}", "NOPE: is not allowed to be unset"),
            ("${EMPTY:?must be set}", "EMPTY: must be set"),
            ("${A/x}", "syntax error: missing '/' in ${}"),
            (
                "${A#\\x}",
                "invalid pattern (\\x) in substitution: invalid escape '\\x'",
            ),
            (
                "'abc",
                "unexpected end of statement while looking for matching single-quote",
            ),
            (
                "\"abc\\",
                "unexpected end of statement while looking for matching double-quote",
            ),
        ];
        for (input, why) in cases {
            assert_eq!(
                word(input),
                Err(format!("failed to process {}: {why}", gostd::quote(input))),
                "{input}"
            );
        }
        assert_eq!(word("${EMPTY?}"), Ok(String::new()));
        let deep = format!(
            "{}x{}",
            "${A:-".repeat(MAX_NESTING),
            "}".repeat(MAX_NESTING)
        );
        assert_eq!(word(&deep), Ok("a".into()));
        let deeper = format!("{}x{}", "${N:-".repeat(5000), "}".repeat(5000));
        assert!(word(&deeper).is_err());
    }

    #[test]
    fn words_split_after_expansion() {
        let lex = Lex::new('\\');
        let words = |w: &str| lex.process_words(w, &env());
        assert_eq!(
            words("a $SP 'b c'"),
            Ok(vec!["a".into(), "x".into(), "y".into(), "b c".into()])
        );
        assert_eq!(words("\"$SP\""), Ok(vec!["x  y".into()]));
        assert_eq!(words("\"\""), Ok(vec![]));
        assert_eq!(words("a\\ b"), Ok(vec!["a b".into()]));
    }

    #[test]
    fn raw_and_skip_modes_keep_text() {
        let lex = Lex {
            escape: '\\',
            raw_quotes: true,
            raw_escapes: true,
            skip_unset_env: true,
        };
        let words = |w: &str| lex.process_words(w, &Env::default());
        assert_eq!(
            words("RUN <<'EOF' $X ${Y:-z} a\\ b"),
            Ok(vec![
                "RUN".into(),
                "<<'EOF'".into(),
                "$X".into(),
                "${Y:-z}".into(),
                "a\\ b".into()
            ])
        );
    }
}
