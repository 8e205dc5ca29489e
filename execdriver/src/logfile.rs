//! Docker's `json-file` log format: one JSON object per line,
//! `{"log":"hi\n","stream":"stdout","time":"2026-11-28T05:00:00.123456789Z"}`.
//!
//! The monitor writes it ([`LogWriter`]); the daemon reads it ([`parse_line`], [`read_log`]).

use jiff::Timestamp;
use serde::{Deserialize, Serialize, Serializer};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use crate::error::{Context, Error, Result};

/// Longest entry the writer emits; longer lines are split into partial entries (without a
/// trailing newline), as dockerd's log copier does.
pub const MAX_ENTRY: usize = 16 * 1024;

/// The output stream a log entry or attach frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// The process's standard output (all output under a tty).
    Stdout,
    /// The process's standard error.
    Stderr,
}

impl Stream {
    fn index(self) -> usize {
        match self {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }
}

/// One line of a `json-file` log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The bytes, including the newline that ended them (lossily UTF-8, as Docker stores them).
    pub log: String,
    /// Which stream they came from.
    pub stream: Stream,
    /// When the monitor read them.
    #[serde(serialize_with = "nine_digits")]
    pub time: Timestamp,
}

/// moby's `jsonlog` writes the time as `RFC3339NanoFixed`: always nine fraction digits, where
/// Go's `RFC3339Nano` (and jiff's `Display`) drop trailing zeros.
fn nine_digits<S: Serializer>(t: &Timestamp, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{t:.9}"))
}

/// Parses one line of a `json-file` log.
pub fn parse_line(line: &[u8]) -> Result<LogEntry> {
    serde_json::from_slice(line)
        .map_err(|e| Error::Runtime(format!("malformed json-file log line: {e}")))
}

/// Which entries [`read_log`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only the last `n` entries (after the time filters), as `docker logs --tail`.
    pub tail: Option<usize>,
    /// Only entries at or after this time (`--since`).
    pub since: Option<Timestamp>,
    /// Only entries before this time (`--until`).
    pub until: Option<Timestamp>,
}

/// Reads the entries of the log at `path` that pass `filter`; a missing log is empty.
/// Malformed lines (a torn last line after a crash) are skipped.
pub fn read_log(path: &Path, filter: &LogFilter) -> Result<Vec<LogEntry>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::path("opening", path, e)),
    };
    let mut out = Vec::new();
    for line in BufReader::new(file).split(b'\n') {
        let line = line.on_path("reading", path)?;
        let Ok(entry) = parse_line(&line) else {
            continue;
        };
        if filter.since.is_some_and(|s| entry.time < s)
            || filter.until.is_some_and(|u| entry.time >= u)
        {
            continue;
        }
        out.push(entry);
    }
    if let Some(n) = filter.tail {
        let skip = out.len().saturating_sub(n);
        out.drain(..skip);
    }
    Ok(out)
}

/// Turns a container's output into `json-file` entries: complete lines, or [`MAX_ENTRY`]-byte
/// pieces of longer ones; what is left at the end is flushed by [`LogWriter::finish`].
pub struct LogWriter<W: Write> {
    out: W,
    pending: [Vec<u8>; 2],
}

impl<W: Write> LogWriter<W> {
    /// A writer appending entries to `out` (opened with `O_APPEND`).
    pub fn new(out: W) -> Self {
        LogWriter {
            out,
            pending: [Vec::new(), Vec::new()],
        }
    }

    /// Adds output of `stream` read at `now`, writing every entry it completes.
    pub fn write(&mut self, stream: Stream, data: &[u8], now: Timestamp) -> std::io::Result<()> {
        let i = stream.index();
        self.pending[i].extend_from_slice(data);
        let mut start = 0;
        let buf = std::mem::take(&mut self.pending[i]);
        loop {
            let rest = &buf[start..];
            let end = match rest.iter().take(MAX_ENTRY).position(|&b| b == b'\n') {
                Some(pos) => pos + 1,
                None if rest.len() >= MAX_ENTRY => MAX_ENTRY,
                None => break,
            };
            self.emit(stream, &rest[..end], now)?;
            start += end;
        }
        self.pending[i] = buf[start..].to_vec();
        Ok(())
    }

    /// Writes what is left of both streams as final partial entries.
    pub fn finish(&mut self, now: Timestamp) -> std::io::Result<()> {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let rest = std::mem::take(&mut self.pending[stream.index()]);
            if !rest.is_empty() {
                self.emit(stream, &rest, now)?;
            }
        }
        self.out.flush()
    }

    fn emit(&mut self, stream: Stream, bytes: &[u8], now: Timestamp) -> std::io::Result<()> {
        let entry = LogEntry {
            log: String::from_utf8_lossy(bytes).into_owned(),
            stream,
            time: now,
        };
        let mut line = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        // One write per entry, so a concurrent reader never sees half an entry unless the disk
        // fills up.
        self.out.write_all(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: i64) -> Timestamp {
        Timestamp::new(1_795_842_000 + n, 123_456_789).unwrap()
    }

    fn lines(buf: &[u8]) -> Vec<String> {
        String::from_utf8(buf.to_vec())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn docker_line_format() {
        let mut w = LogWriter::new(Vec::new());
        w.write(Stream::Stdout, b"hi\n", t(0)).unwrap();
        assert_eq!(
            lines(&w.out),
            [r#"{"log":"hi\n","stream":"stdout","time":"2026-11-28T05:00:00.123456789Z"}"#]
        );
        // Nine digits also when the last ones are zeros, as dockerd writes them.
        let mut w = LogWriter::new(Vec::new());
        let round = Timestamp::new(1_795_842_000, 120_000_000).unwrap();
        w.write(Stream::Stderr, b"x\n", round).unwrap();
        assert_eq!(
            lines(&w.out),
            [r#"{"log":"x\n","stream":"stderr","time":"2026-11-28T05:00:00.120000000Z"}"#]
        );
        assert_eq!(parse_line(lines(&w.out)[0].as_bytes()).unwrap().time, round);
    }

    #[test]
    fn lines_are_split_and_joined_per_stream() {
        let mut w = LogWriter::new(Vec::new());
        w.write(Stream::Stdout, b"a\nb", t(0)).unwrap();
        w.write(Stream::Stderr, b"err", t(0)).unwrap();
        w.write(Stream::Stdout, b"c\nd", t(1)).unwrap();
        w.write(Stream::Stderr, b"!\n", t(1)).unwrap();
        w.finish(t(2)).unwrap();
        let entries: Vec<LogEntry> = w
            .out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| parse_line(l).unwrap())
            .collect();
        let got: Vec<(&str, Stream)> = entries.iter().map(|e| (e.log.as_str(), e.stream)).collect();
        assert_eq!(
            got,
            [
                ("a\n", Stream::Stdout),
                ("bc\n", Stream::Stdout),
                ("err!\n", Stream::Stderr),
                ("d", Stream::Stdout)
            ]
        );
        assert_eq!(entries[3].time, t(2));
    }

    #[test]
    fn long_lines_become_partial_entries_and_bad_utf8_is_replaced() {
        let mut w = LogWriter::new(Vec::new());
        let mut data = vec![b'x'; MAX_ENTRY + 10];
        data.push(b'\n');
        w.write(Stream::Stdout, &data, t(0)).unwrap();
        w.write(Stream::Stdout, b"\xff\n", t(0)).unwrap();
        let l = lines(&w.out);
        assert_eq!(l.len(), 3);
        assert_eq!(parse_line(l[0].as_bytes()).unwrap().log.len(), MAX_ENTRY);
        assert_eq!(
            parse_line(l[1].as_bytes()).unwrap().log,
            format!("{}\n", "x".repeat(10))
        );
        assert_eq!(parse_line(l[2].as_bytes()).unwrap().log, "\u{fffd}\n");
    }

    #[test]
    fn read_log_filters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        let mut w = LogWriter::new(std::fs::File::create(&path).unwrap());
        for i in 0..5 {
            w.write(Stream::Stdout, format!("{i}\n").as_bytes(), t(i))
                .unwrap();
        }
        w.finish(t(9)).unwrap();
        // A torn last line is skipped.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"log\":\"to")
            .unwrap();
        let all = read_log(&path, &LogFilter::default()).unwrap();
        assert_eq!(all.len(), 5);
        let f = LogFilter {
            tail: Some(2),
            since: Some(t(1)),
            until: Some(t(4)),
        };
        let got: Vec<String> = read_log(&path, &f)
            .unwrap()
            .into_iter()
            .map(|e| e.log)
            .collect();
        assert_eq!(got, ["2\n", "3\n"]);
        assert!(read_log(&dir.path().join("none"), &f).unwrap().is_empty());
    }
}
