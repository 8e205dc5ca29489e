//! `.dockerignore` as the daemon reads it: the CLI leaves out what it excludes but always
//! sends the Dockerfile and `.dockerignore` themselves (its `TrimBuildFilesFromExcludes`), and
//! dockerd then removes those two from the context when the file excludes them (moby's
//! `removeDockerfile`), so `COPY . /app` copies neither.
//!
//! Patterns are moby's `fileutils` ones: a line per pattern, `#` comments, `!` re-includes, a
//! leading `/` and `./` ignored, `*` and `?` within a path element, `**` across elements, a
//! pattern matching a directory matching everything under it; the last matching pattern wins.

use regex::Regex;

/// One pattern.
#[derive(Debug)]
struct Pattern {
    re: Regex,
    /// `!pattern`: a match re-includes.
    exclusion: bool,
}

/// The patterns of a `.dockerignore` (moby's `dockerignore.ReadAll` + `NewPatternMatcher`).
#[derive(Debug)]
pub(super) struct Ignore {
    patterns: Vec<Pattern>,
}

impl Ignore {
    /// Parses the file's text; a pattern that cannot compile is an error in moby's words.
    pub(super) fn parse(text: &str) -> Result<Ignore, String> {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclusion, raw) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let cleaned = clean(raw);
            if cleaned.is_empty() {
                continue;
            }
            let re = regex_of(&cleaned).ok_or_else(|| format!("syntax error in pattern: {raw}"))?;
            patterns.push(Pattern { re, exclusion });
        }
        Ok(Ignore { patterns })
    }

    /// moby's `Matches`: whether `path` (relative, `/`-separated) is excluded — by a pattern
    /// matching it or one of its parent directories, the last matching pattern deciding.
    pub(super) fn excludes(&self, path: &str) -> bool {
        let path = clean(path);
        let parents: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
        let mut matched = false;
        for p in &self.patterns {
            let hit = p.re.is_match(&path) || parents.iter().any(|d| p.re.is_match(d));
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }
}

/// Go's `filepath.Clean` of a pattern or path, without a leading `/` (moby strips it).
fn clean(raw: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in raw.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// moby's `regexpMatch` translation: `**` any run of elements, `*` and `?` inside one,
/// `[...]` classes, `\` escapes, anchored at both ends.
fn regex_of(pattern: &str) -> Option<Regex> {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 1;
                if chars.get(i + 1) == Some(&'/') {
                    // `**/`: zero or more whole elements.
                    i += 1;
                    re.push_str("(.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                let end = chars[i + 1..].iter().position(|&c| c == ']')? + i + 1;
                let mut class: String = chars[i + 1..end].iter().collect();
                if let Some(rest) = class.strip_prefix('!') {
                    class = format!("^{rest}");
                }
                re.push('[');
                re.push_str(&class.replace('[', "\\["));
                re.push(']');
                i = end;
            }
            '\\' => {
                i += 1;
                re.push_str(&regex::escape(&chars.get(i)?.to_string()));
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    Regex::new(&re).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> Ignore {
        Ignore::parse(text).expect("patterns")
    }

    #[test]
    fn the_build_files_as_moby_matches_them() {
        let i = ignore("# comment\nDockerfile\n.dockerignore\n");
        assert!(i.excludes("Dockerfile"));
        assert!(i.excludes(".dockerignore"));
        assert!(!i.excludes("sub/Dockerfile"));
        assert!(ignore("*\n!keep").excludes("Dockerfile"));
        assert!(!ignore("*\n!Dockerfile").excludes("Dockerfile"));
        assert!(ignore("**/Dockerfile*").excludes("sub/Dockerfile.dev"));
        assert!(ignore("/Docker?ile").excludes("Dockerfile"));
        assert!(ignore("./sub").excludes("sub/Dockerfile"));
        assert!(ignore("Docker[e-g]ile").excludes("Dockerfile"));
        assert!(!ignore("Docker[!f]ile").excludes("Dockerfile"));
        assert!(!ignore("").excludes("Dockerfile"));
        assert!(!ignore("docker*").excludes("Dockerfile"));
    }
}
