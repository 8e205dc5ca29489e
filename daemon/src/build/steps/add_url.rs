//! ADD of URLs (moby's `downloadSource`): each URL is fetched through the daemon into a
//! directory of its own, named after the URL path's last element, mode 0600, its time the
//! epoch (dockerd's zero time when the server gives no `Last-Modified`); never extracted.

use std::path::Path;

use super::*;

/// The name moby gives a download whose URL names no file.
const UNNAMED: &str = "__unnamed__";

impl Builder {
    /// Downloads `urls` for an ADD to `dest`: the directory holding them, and their names.
    pub(super) async fn download(
        &mut self,
        urls: &[String],
        dest: &str,
    ) -> Result<(std::path::PathBuf, Vec<String>), Failure> {
        let dir = self.empty_dir()?;
        let mut names = Vec::new();
        for url in urls {
            let name = match file_name(url) {
                Some(n) => n,
                None if dest.ends_with('/') => {
                    return Err(Failure::from(format!(
                        "cannot determine filename for source {url}"
                    )));
                }
                None => UNNAMED.to_owned(),
            };
            let got = distribution::fetch(url, &format!("wharf/{VERSION}"))
                .await
                .map_err(Failure::from)?;
            if got.status >= 400 {
                return Err(Failure::from(format!(
                    "failed to GET {url} with status {}: {}",
                    got.status_line,
                    String::from_utf8_lossy(&got.body).trim()
                )));
            }
            let path = dir.join(&name);
            if names.contains(&name) {
                return Err(Failure::from(format!(
                    "ADD failed: two URLs download to the same name {name}"
                )));
            }
            crate::blocking::blocking(move || write(&path, &got.body))
                .await?
                .map_err(|e| Failure::from(format!("writing the download of {url}: {e}")))?;
            names.push(name);
        }
        // moby prints a blank line after a download.
        self.say("\n");
        Ok((dir, names))
    }
}

/// The downloaded file, as moby writes it.
fn write(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.set_modified(std::time::UNIX_EPOCH)
}

/// The URL path's last element (moby's `getFilenameForDownload`), none for a path that is
/// empty or ends with `/`.
fn file_name(url: &str) -> Option<String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .split_once('/')
        .map_or("", |(_, p)| p);
    if path.is_empty() || path.ends_with('/') {
        return None;
    }
    path.rsplit('/').next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_downloads() {
        assert_eq!(file_name("http://h/a/b.txt").as_deref(), Some("b.txt"));
        assert_eq!(
            file_name("http://h:8/b.tar?x=1#f").as_deref(),
            Some("b.tar")
        );
        assert_eq!(file_name("http://h/dir/"), None);
        assert_eq!(file_name("http://h"), None);
    }
}
