//! Container paths as dockerd reads them from a request.

/// moby's `filepath.Join("/", p)` kept with `PreserveTrailingDotOrSeparator`: cleaned and
/// absolute, `..` stopped at the root, and a trailing `/.` or `/` the client wrote kept (they
/// change what `docker cp` copies).
pub fn container_path(p: &str) -> String {
    let mut cleaned = mobyport::path::clean(&format!("/{p}"));
    if go_base(&cleaned) != "." && go_base(p) == "." {
        if !cleaned.ends_with('/') {
            cleaned.push('/');
        }
        cleaned.push('.');
    }
    if !cleaned.ends_with('/') && p.ends_with('/') {
        cleaned.push('/');
    }
    cleaned
}

/// Go's `filepath.Base`: the last element, trailing slashes dropped; `/` for the root and `.`
/// for an empty path.
pub fn go_base(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Go's `filepath.Split`: the directory (with its trailing slash) and the last element.
pub(crate) fn go_split(p: &str) -> (&str, &str) {
    match p.rfind('/') {
        Some(i) => (&p[..=i], &p[i + 1..]),
        None => ("", p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_dockerd_reads_them() {
        assert_eq!(container_path("etc/passwd"), "/etc/passwd");
        assert_eq!(container_path("/etc/../etc//x/"), "/etc/x/");
        assert_eq!(container_path("/data/."), "/data/.");
        assert_eq!(container_path("."), "/.");
        assert_eq!(container_path("/"), "/");
        assert_eq!(container_path("../../x"), "/x");
        assert_eq!(go_base("/data/."), ".");
        assert_eq!(go_base("/a/b/"), "b");
        assert_eq!(go_base("/"), "/");
        assert_eq!(go_split("/a/b"), ("/a/", "b"));
        assert_eq!(go_split("/a/"), ("/a/", ""));
    }
}
