//! `GET /images/json` filters, with Docker's semantics.

use api::filters::Filters;
use graph::{ImageStore, ImageSummary};
use jiff::Timestamp;

use crate::error::{Error, Result};

/// Keeps the images `filters` and `all` select.
pub fn apply(
    store: &ImageStore,
    images: Vec<ImageSummary>,
    filters: &Filters,
    all: bool,
) -> Result<Vec<ImageSummary>> {
    let before = bound(store, filters.get("before"))?;
    let since = bound(store, filters.get("since"))?;
    let until = match filters.get("until").first() {
        Some(v) => Some(parse_until(v)?),
        None => None,
    };
    let dangling = match filters.get("dangling").first().map(String::as_str) {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(v) => return Err(Error::Invalid(format!("invalid filter 'dangling={v}'"))),
    };
    let created = |i: &ImageSummary| i.created.map_or(0, graph::go_unix);
    Ok(images
        .into_iter()
        // Intermediate images (untagged parents of others) only with `all`.
        .filter(|i| all || !(i.repo_tags.is_empty() && i.has_children))
        .filter(|i| dangling.is_none_or(|d| d == i.repo_tags.is_empty()))
        .filter(|i| {
            filters.any("reference", |pattern| {
                i.repo_tags.iter().any(|tag| {
                    let name = tag.rsplit_once(':').map_or(tag.as_str(), |(n, _)| n);
                    glob(pattern, tag) || glob(pattern, name)
                })
            })
        })
        .filter(|i| filters.match_labels(i.labels.as_ref()))
        .filter(|i| before.is_none_or(|t| created(i) < t))
        .filter(|i| since.is_none_or(|t| created(i) > t))
        .filter(|i| until.is_none_or(|t| created(i) <= t))
        .collect())
}

/// The creation time of the image a `before`/`since` filter names.
fn bound(store: &ImageStore, values: &[String]) -> Result<Option<i64>> {
    let Some(name) = values.first() else {
        return Ok(None);
    };
    let id = store.resolve(name)?;
    let details = store.details(&id)?;
    Ok(Some(
        details.config.created_time().map_or(0, graph::go_unix),
    ))
}

/// `until`: Unix seconds or an RFC 3339 time.
fn parse_until(v: &str) -> Result<i64> {
    if let Ok(secs) = v.split('.').next().unwrap_or(v).parse::<i64>() {
        return Ok(secs);
    }
    v.parse::<Timestamp>()
        .map(graph::go_unix)
        .map_err(|_| Error::Invalid(format!("invalid filter 'until={v}'")))
}

/// Go's `path.Match`: `*` and `?` never match `/`; everything else is literal.
fn glob(pattern: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), s.chars().collect());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if s[si] != '/' && (c == '?' || c == s[si]) || Some(&s[si]) == p.get(pi) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                // Let the last star swallow one more character, never a slash.
                Some((sp, ss)) if s[ss] != '/' => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                _ => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_follows_path_match() {
        assert!(glob("busybox", "busybox"));
        assert!(glob("busy*", "busybox"));
        assert!(glob("*:latest", "busybox:latest"));
        assert!(glob("b?sybox:*", "busybox:1"));
        assert!(!glob("*", "team/app"));
        assert!(glob("team/*", "team/app"));
        assert!(!glob("busy", "busybox"));
        assert!(!glob("layered:2", "layered:1"));
    }
}
