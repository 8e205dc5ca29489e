//! `GET /containers/{id}/logs`: the log the monitor writes (`json-file` or `local`), read
//! from its rotated files and the current one; with `follow`, new records are read as they are
//! written, across rotations, until the container stops.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, IoContext};
use api::backend::{ContainerLogs, LogEntry, LogsOptions, StdStream};
use bytes::Bytes;
use execdriver::LogFormat;
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;

use super::Containers;
use crate::blocking::blocking;

/// How often a followed log is read while its container runs (state changes wake it at once).
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// Reads a container's log incrementally: the first call returns the rotated files' records
/// and the current file's, each later one the complete records written since. The current
/// file stays open, so when the monitor rotates it the reader finishes the old file before it
/// opens the new one.
pub(crate) struct LogReader {
    path: PathBuf,
    format: LogFormat,
    /// The current file as last opened, its inode and how far it was read.
    file: Option<(File, u64, u64)>,
    /// Whether the rotated files were read (by the first call).
    started: bool,
    partial: Vec<u8>,
    stdout: bool,
    stderr: bool,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    details: bool,
}

impl LogReader {
    /// A reader of the streams asked for, from the start of the log at `path` (the current
    /// file) in `format`.
    pub(crate) fn new(path: PathBuf, format: LogFormat, stdout: bool, stderr: bool) -> Self {
        LogReader {
            path,
            format,
            file: None,
            started: false,
            partial: Vec::new(),
            stdout,
            stderr,
            since: None,
            until: None,
            details: false,
        }
    }

    /// The records written since the last call that pass the filters; a missing log is empty.
    /// Malformed records (a torn last line after a crash) are skipped.
    pub(crate) fn read_new(&mut self) -> io::Result<Vec<LogEntry>> {
        let mut out = Vec::new();
        if !self.started {
            out = self.read_rotated()?;
            self.started = true;
        }
        loop {
            // Checked before the open file is read to its end: once the path names another
            // file, nothing more is written to the open one.
            let now = match std::fs::metadata(&self.path) {
                Ok(m) => Some((m.ino(), m.len())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            if self.file.is_none() {
                match File::open(&self.path) {
                    Ok(f) => {
                        let ino = f.metadata()?.ino();
                        self.file = Some((f, ino, 0));
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e),
                }
            }
            let Some((f, ino, offset)) = self.file.as_mut() else {
                return Ok(out);
            };
            // With `max-file=1` moby truncates the file in place: start over.
            if now.is_some_and(|(i, len)| i == *ino && len < *offset) {
                *offset = 0;
                self.partial.clear();
            }
            f.seek(SeekFrom::Start(*offset))?;
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            *offset += bytes.len() as u64;
            let rotated = now.is_some_and(|(i, _)| i != *ino);
            self.partial.extend_from_slice(&bytes);
            let mut pending = std::mem::take(&mut self.partial);
            self.keep(&mut pending, &mut out);
            self.partial = pending;
            if !rotated {
                return Ok(out);
            }
            // The rest of a torn record in a rotated file never comes.
            self.partial.clear();
            self.file = None;
        }
    }

    /// The records of the rotated files, oldest first, with the current file opened after
    /// them. A rotation while they are read would lose or repeat a file: then they are read
    /// again (a rotation takes `max-size` bytes of output, so this ends).
    fn read_rotated(&mut self) -> io::Result<Vec<LogEntry>> {
        let inode = |path: &std::path::Path| match std::fs::metadata(path) {
            Ok(m) => Ok(Some(m.ino())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let before = inode(&self.path)?;
            let mut out = Vec::new();
            for rotated in execdriver::rotated_files(&self.path) {
                let mut bytes = execdriver::read_file(&rotated)?;
                self.keep(&mut bytes, &mut out);
            }
            let opened = match File::open(&self.path) {
                Ok(f) => {
                    let ino = f.metadata()?.ino();
                    Some((f, ino, 0))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            if opened.as_ref().map(|o| o.1) == before || attempts == 5 {
                self.file = opened;
                return Ok(out);
            }
        }
    }

    /// Decodes the whole records at the front of `bytes` and keeps those that pass the
    /// filters.
    fn keep(&self, bytes: &mut Vec<u8>, out: &mut Vec<LogEntry>) {
        for entry in execdriver::decode(self.format, bytes) {
            let stream = match entry.stream {
                execdriver::Stream::Stdout if self.stdout => StdStream::Stdout,
                execdriver::Stream::Stderr if self.stderr => StdStream::Stderr,
                _ => continue,
            };
            if self.since.is_some_and(|s| entry.time < s)
                || self.until.is_some_and(|u| entry.time > u)
            {
                continue;
            }
            let mut line = entry.log.into_bytes();
            if self.details {
                let mut with = attrs_prefix(entry.attrs.as_ref());
                with.push(b' ');
                with.append(&mut line);
                line = with;
            }
            out.push(LogEntry {
                stream,
                time: entry.time,
                line: Bytes::from(line),
            });
        }
    }
}

/// moby's `attrsByteSlice`: `k=v,k2=v2`, sorted, each part as Go's `url.QueryEscape`.
fn attrs_prefix(attrs: Option<&std::collections::BTreeMap<String, String>>) -> Vec<u8> {
    fn escape(s: &str, out: &mut Vec<u8>) {
        for &b in s.as_bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b),
                b' ' => out.push(b'+'),
                _ => out.extend(format!("%{b:02X}").into_bytes()),
            }
        }
    }
    let mut out = Vec::new();
    for (i, (k, v)) in attrs.into_iter().flatten().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        escape(k, &mut out);
        out.push(b'=');
        escape(v, &mut out);
    }
    out
}

impl Containers {
    /// The log of the container `term` names, as `opts` asks.
    pub(crate) async fn logs(&self, term: &str, opts: LogsOptions) -> Result<ContainerLogs, Error> {
        let c = self.get(term)?;
        let rec = c.record();
        let tty = rec.config.tty;
        let (format, path) = super::logging::readable(&rec, &c.exec_dir())?;
        let mut reader = LogReader::new(path, format, opts.stdout, opts.stderr);
        reader.since = opts.since;
        reader.until = opts.until;
        reader.details = opts.details;
        let (first, reader) = blocking(move || (reader.read_new(), reader)).await?;
        let mut first = first.ctx("reading the container's log")?;
        if let Some(n) = opts.tail {
            let skip = first.len().saturating_sub(n);
            first.drain(..skip);
        }
        let (tx, mut rx) = mpsc::channel(256);
        let mut events = c.events.subscribe();
        let follow = opts.follow && opts.until.is_none_or(|u| u > Timestamp::now());
        tokio::spawn(async move {
            for e in first {
                if tx.send(Ok(e)).await.is_err() {
                    return;
                }
            }
            if !follow {
                return;
            }
            let mut reader = reader;
            loop {
                let running = events.borrow_and_update().running();
                if !running {
                    // One last read: everything the run wrote is in the file once its exit
                    // has been handled.
                    let (batch, _) = read(reader).await;
                    for e in batch {
                        if tx.send(Ok(e)).await.is_err() {
                            return;
                        }
                    }
                    return;
                }
                tokio::select! {
                    r = events.changed() => if r.is_err() { return },
                    () = tokio::time::sleep(FOLLOW_POLL) => {}
                    () = tx.closed() => return,
                }
                let (batch, back) = read(reader).await;
                reader = back;
                for e in batch {
                    if tx.send(Ok(e)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(ContainerLogs {
            tty,
            entries: futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed(),
        })
    }
}

/// Reads new records on the blocking pool; a failure is logged and reads as nothing new.
async fn read(mut reader: LogReader) -> (Vec<LogEntry>, LogReader) {
    let path = reader.path.clone();
    match blocking(move || (reader.read_new(), reader)).await {
        Ok((Ok(batch), reader)) => (batch, reader),
        Ok((Err(e), reader)) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read a container log");
            (Vec::new(), reader)
        }
        Err(e) => {
            tracing::warn!(error = %e, "log reader task failed");
            (
                Vec::new(),
                LogReader::new(path, LogFormat::None, false, false),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use execdriver::{LogSettings, LogWriter, RotatingFile, Stream};

    fn lines(entries: &[LogEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| String::from_utf8_lossy(&e.line).trim_end().to_owned())
            .collect()
    }

    #[test]
    fn reads_the_rotated_files_then_follows_across_rotations() {
        for (format, compress) in [
            (LogFormat::JsonFile, false),
            (LogFormat::JsonFile, true),
            (LogFormat::Local, true),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.log");
            let settings = LogSettings {
                format,
                max_size: Some(150),
                max_file: 3,
                compress,
                ..LogSettings::default()
            };
            let file = RotatingFile::open(&path, settings).unwrap();
            let mut w = LogWriter::with_format(file, format, Default::default());
            let mut put = |range: std::ops::Range<i64>| {
                for i in range {
                    let t = Timestamp::new(1_795_842_000 + i, 0).unwrap();
                    w.write(Stream::Stdout, format!("line {i}\n").as_bytes(), t)
                        .unwrap();
                }
            };
            put(0..6);
            let mut r = LogReader::new(path.clone(), format, true, true);
            let first = lines(&r.read_new().unwrap());
            // Whatever was rotated away is gone; the rest comes in order, ending at 5.
            assert_eq!(
                first.last().map(String::as_str),
                Some("line 5"),
                "{format:?}"
            );
            let n = first.len();
            assert!(n >= 3, "{first:?}");
            let want: Vec<String> = (6 - n as i64..6).map(|i| format!("line {i}")).collect();
            assert_eq!(first, want);
            // Enough for a rotation or two between reads: nothing is lost or repeated.
            let mut followed = Vec::new();
            for k in 0..4 {
                put(6 + k * 2..8 + k * 2);
                followed.extend(lines(&r.read_new().unwrap()));
            }
            let want: Vec<String> = (6..14).map(|i| format!("line {i}")).collect();
            assert_eq!(followed, want, "{format:?} compress={compress}");
        }
    }

    #[test]
    fn details_prefix_as_moby() {
        let attrs = std::collections::BTreeMap::from([
            ("tag".to_owned(), "a b/c".to_owned()),
            ("env1".to_owned(), "x=y".to_owned()),
        ]);
        assert_eq!(attrs_prefix(Some(&attrs)), b"env1=x%3Dy,tag=a+b%2Fc");
        assert_eq!(attrs_prefix(None), b"");
    }
}
