//! moby's `loggerutils.LogFile`: the current log file, rotated by size into `<name>.1` …
//! `<name>.<max-file - 1>` (gzipped to `<name>.N.gz` with `compress`), and the reading of the
//! rotated files back in order.
//!
//! The monitor owns the file and rotates it, so rotation goes on while the daemon is down.

use flate2::read::MultiGzDecoder;
use flate2::{Compression, GzBuilder};
use jiff::Timestamp;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::logconfig::LogSettings;

/// moby opens its log files `0640`.
const MODE: u32 = 0o640;

/// Where a log encoder puts whole entries: any writer, or a [`RotatingFile`].
pub trait LogSink {
    /// Writes one encoded entry, read at `time`, in one piece.
    fn put(&mut self, entry: &[u8], time: Timestamp) -> io::Result<()>;
    /// Flushes what is buffered.
    fn flush_all(&mut self) -> io::Result<()>;
}

impl<W: Write> LogSink for W {
    fn put(&mut self, entry: &[u8], _time: Timestamp) -> io::Result<()> {
        self.write_all(entry)
    }

    fn flush_all(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// The current log file, rotated before an entry is written once it holds `max_size` bytes
/// (so a file may exceed it by one entry, as in moby).
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    size: u64,
    settings: LogSettings,
    last_time: Option<Timestamp>,
}

impl RotatingFile {
    /// Opens (appending to) or creates the log at `path`, and its directory.
    pub fn open(path: &Path, settings: LogSettings) -> io::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = File::options()
            .create(true)
            .append(true)
            .mode(MODE)
            .open(path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile {
            path: path.to_owned(),
            file,
            size,
            settings,
            last_time: None,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        let max_file = self.settings.max_file;
        let compress = self.settings.compress && max_file > 1;
        if max_file > 1 {
            let ext = if compress { ".gz" } else { "" };
            let numbered = |i: u32| rotated_name(&self.path, i, ext);
            remove_if_exists(&numbered(max_file - 1))?;
            for i in (2..max_file).rev() {
                rename_if_exists(&numbered(i - 1), &numbered(i))?;
            }
            rename_if_exists(&self.path, &rotated_name(&self.path, 1, ""))?;
        }
        // With one file, moby truncates it in place.
        self.file = File::options()
            .write(true)
            .truncate(true)
            .create(true)
            .mode(MODE)
            .open(&self.path)?;
        self.size = 0;
        if compress {
            compress_file(&rotated_name(&self.path, 1, ""), self.last_time)?;
        }
        Ok(())
    }
}

impl LogSink for RotatingFile {
    fn put(&mut self, entry: &[u8], time: Timestamp) -> io::Result<()> {
        if self.settings.max_size.is_some_and(|max| self.size >= max) {
            self.rotate()?;
        }
        // One write per entry, so a concurrent reader never sees half an entry unless the
        // disk fills up.
        self.file.write_all(entry)?;
        self.size += entry.len() as u64;
        self.last_time = Some(time);
        Ok(())
    }

    fn flush_all(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// `<path>.<i><ext>`.
fn rotated_name(path: &Path, i: u32, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{i}{ext}"));
    PathBuf::from(name)
}

/// Gzips `path` into `<path>.gz` (through `<path>.gz.tmp`) and removes it; the header's extra
/// field holds moby's `{"lastTime":…}` (the time of the file's last entry, which moby's reader
/// uses to skip files older than `--since`).
fn compress_file(path: &Path, last_time: Option<Timestamp>) -> io::Result<()> {
    let mut src = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut gz_path = path.as_os_str().to_owned();
    gz_path.push(".gz");
    // Written aside and renamed in place: a reader lists `<path>.gz` as soon as it exists, and
    // must never find half a gzip stream there (it reads `<path>` until then).
    let mut tmp_path = gz_path.clone();
    tmp_path.push(".tmp");
    let out = File::options()
        .write(true)
        .truncate(true)
        .create(true)
        .mode(MODE)
        .open(&tmp_path)?;
    let mut builder = GzBuilder::new();
    if let Some(t) = last_time {
        builder = builder.extra(format!(r#"{{"lastTime":"{t}"}}"#).into_bytes());
    }
    let mut gz = builder.write(out, Compression::default());
    io::copy(&mut src, &mut gz)?;
    gz.finish()?.sync_all()?;
    std::fs::rename(&tmp_path, &gz_path)?;
    std::fs::remove_file(path)
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn rename_if_exists(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The rotated files of the log at `path`, oldest first (`<path>.N[.gz]` … `<path>.1[.gz]`),
/// without the current one.
pub fn rotated_files(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for i in 1.. {
        let plain = rotated_name(path, i, "");
        let gz = rotated_name(path, i, ".gz");
        if gz.exists() {
            out.push(gz);
        } else if plain.exists() {
            out.push(plain);
        } else {
            break;
        }
    }
    out.reverse();
    out
}

/// The whole content of a log file, gunzipped when its name ends in `.gz`; a missing file is
/// empty (it may have been rotated away since it was listed).
pub fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        MultiGzDecoder::new(file).read_to_end(&mut out)?;
    } else {
        let mut file = file;
        file.read_to_end(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: i64) -> Timestamp {
        Timestamp::new(1_795_842_000 + n, 0).unwrap()
    }

    fn settings(max_size: u64, max_file: u32, compress: bool) -> LogSettings {
        LogSettings {
            max_size: Some(max_size),
            max_file,
            compress,
            ..LogSettings::default()
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    }

    fn all(path: &Path) -> String {
        let mut out = Vec::new();
        for f in rotated_files(path) {
            out.extend(read_file(&f).unwrap());
        }
        out.extend(read_file(path).unwrap());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rotates_keeping_max_file_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        let mut f = RotatingFile::open(&path, settings(10, 3, false)).unwrap();
        for i in 0..10 {
            f.put(format!("line {i}\n").as_bytes(), t(i)).unwrap();
        }
        // Two 7-byte entries per file: 10 entries made 5 files, 3 are kept.
        assert_eq!(
            names(dir.path()),
            ["c-json.log", "c-json.log.1", "c-json.log.2"]
        );
        assert_eq!(
            all(&path),
            (4..10).map(|i| format!("line {i}\n")).collect::<String>()
        );
    }

    #[test]
    fn compressed_rotation_and_one_file_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        let mut f = RotatingFile::open(&path, settings(10, 3, true)).unwrap();
        for i in 0..10 {
            f.put(format!("line {i}\n").as_bytes(), t(i)).unwrap();
        }
        assert_eq!(
            names(dir.path()),
            ["c-json.log", "c-json.log.1.gz", "c-json.log.2.gz"]
        );
        assert_eq!(
            all(&path),
            (4..10).map(|i| format!("line {i}\n")).collect::<String>()
        );
        // moby's header metadata: the last entry of the file.
        let gz = File::open(dir.path().join("c-json.log.1.gz")).unwrap();
        let dec = flate2::read::GzDecoder::new(gz);
        let extra = dec.header().unwrap().extra().unwrap().to_vec();
        assert_eq!(
            String::from_utf8(extra).unwrap(),
            format!(r#"{{"lastTime":"{}"}}"#, t(7))
        );

        let one = dir.path().join("one.log");
        let mut f = RotatingFile::open(&one, settings(10, 1, false)).unwrap();
        for i in 0..5 {
            f.put(format!("line {i}\n").as_bytes(), t(i)).unwrap();
        }
        assert_eq!(all(&one), "line 4\n");
        assert!(rotated_files(&one).is_empty());
    }

    #[test]
    fn reopening_appends_and_counts_the_existing_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("container.log");
        let mut f = RotatingFile::open(&path, settings(10, 2, false)).unwrap();
        f.put(b"0123456789", t(0)).unwrap();
        drop(f);
        let mut f = RotatingFile::open(&path, settings(10, 2, false)).unwrap();
        f.put(b"x", t(1)).unwrap();
        assert_eq!(all(&path), "0123456789x");
        assert_eq!(rotated_files(&path).len(), 1);
    }
}
