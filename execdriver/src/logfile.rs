//! Docker's `json-file` log format: one JSON object per line,
//! `{"log":"hi\n","stream":"stdout","time":"2026-11-28T05:00:00.123456789Z"}`.
//!
//! The monitor writes it, or Docker's `local` format ([`crate::logproto`]), with
//! [`LogWriter`]; the daemon reads either back with [`decode`] ([`parse_line`], [`read_log`]).

use jiff::Timestamp;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Context, Error, Result};
use crate::logconfig::LogFormat;
use crate::logproto::{self, Partial, Record};
use crate::logrotate::LogSink;

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
    /// `stdout` or `stderr`, as log records name it.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

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
    /// `labels`/`env` attributes, when the log options asked for some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attrs: Option<BTreeMap<String, String>>,
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

/// Reads the entries of the `json-file` log at `path` and its rotated files that pass
/// `filter`; a missing log is empty. Malformed lines (a torn last line after a crash) are
/// skipped.
pub fn read_log(path: &Path, filter: &LogFilter) -> Result<Vec<LogEntry>> {
    let mut out = Vec::new();
    let mut files = crate::logrotate::rotated_files(path);
    files.push(path.to_owned());
    for file in files {
        let mut bytes = crate::logrotate::read_file(&file).on_path("reading", &file)?;
        bytes.push(b'\n');
        out.extend(
            decode(LogFormat::JsonFile, &mut bytes)
                .into_iter()
                .filter(|e| {
                    !(filter.since.is_some_and(|s| e.time < s)
                        || filter.until.is_some_and(|u| e.time >= u))
                }),
        );
    }
    if let Some(n) = filter.tail {
        let skip = out.len().saturating_sub(n);
        out.drain(..skip);
    }
    Ok(out)
}

/// The entries of a log in `format` whose whole records are at the front of `buf`, which
/// keeps the incomplete last one. Malformed records (a torn line after a crash) are skipped;
/// a corrupt `local` frame ends the file.
pub fn decode(format: LogFormat, buf: &mut Vec<u8>) -> Vec<LogEntry> {
    match format {
        LogFormat::JsonFile => {
            let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
                return Vec::new();
            };
            let complete: Vec<u8> = buf.drain(..=end).collect();
            complete
                .split(|&b| b == b'\n')
                .filter_map(|l| parse_line(l).ok())
                .collect()
        }
        LogFormat::Local => {
            let records = logproto::decode_frames(buf).unwrap_or_else(|partial| partial);
            records.into_iter().filter_map(from_record).collect()
        }
        LogFormat::None => {
            buf.clear();
            Vec::new()
        }
    }
}

/// A `local` record as an entry: the newline comes back unless the record is a piece of a
/// longer line (moby's `local` reader does the same).
fn from_record(r: Record) -> Option<LogEntry> {
    let stream = match r.source.as_str() {
        "stdout" => Stream::Stdout,
        "stderr" => Stream::Stderr,
        _ => return None,
    };
    let mut line = r.line;
    if r.partial.as_ref().is_none_or(|p| p.last) {
        line.push(b'\n');
    }
    Some(LogEntry {
        log: String::from_utf8_lossy(&line).into_owned(),
        stream,
        attrs: None,
        time: r.time,
    })
}

/// Turns a container's output into log entries: complete lines, or [`MAX_ENTRY`]-byte
/// pieces of longer ones; what is left at the end is flushed by [`LogWriter::finish`].
pub struct LogWriter<W: LogSink> {
    out: W,
    pending: [Vec<u8>; 2],
    /// Per stream: how many pieces of the current long line were written (0: none).
    pieces: [i32; 2],
    /// Per stream: the ID of the current long line's pieces.
    piece_ids: [String; 2],
    format: LogFormat,
    attrs: Option<BTreeMap<String, String>>,
}

/// Where an entry stands in its line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A whole line, or the last piece of a long one.
    End,
    /// A piece with more to follow (or the unterminated end of the output).
    More,
}

impl<W: LogSink> LogWriter<W> {
    /// A `json-file` writer appending entries to `out` (opened with `O_APPEND`).
    pub fn new(out: W) -> Self {
        Self::with_format(out, LogFormat::JsonFile, BTreeMap::new())
    }

    /// A writer of `format` entries, with `attrs` in each `json-file` entry.
    pub fn with_format(out: W, format: LogFormat, attrs: BTreeMap<String, String>) -> Self {
        LogWriter {
            out,
            pending: [Vec::new(), Vec::new()],
            pieces: [0, 0],
            piece_ids: [String::new(), String::new()],
            format,
            attrs: (!attrs.is_empty()).then_some(attrs),
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
            let (end, piece) = match rest.iter().take(MAX_ENTRY).position(|&b| b == b'\n') {
                Some(pos) => (pos + 1, Piece::End),
                None if rest.len() >= MAX_ENTRY => (MAX_ENTRY, Piece::More),
                None => break,
            };
            self.emit(stream, &rest[..end], now, piece)?;
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
                self.emit(stream, &rest, now, Piece::More)?;
            }
        }
        self.out.flush_all()
    }

    fn emit(
        &mut self,
        stream: Stream,
        bytes: &[u8],
        now: Timestamp,
        piece: Piece,
    ) -> std::io::Result<()> {
        let i = stream.index();
        // moby's copier numbers the pieces of a long line and marks its last one.
        let partial = if piece == Piece::More || self.pieces[i] > 0 {
            if self.pieces[i] == 0 {
                self.piece_ids[i] = format!("{:x}{i}", now.as_nanosecond());
            }
            self.pieces[i] += 1;
            let p = Partial {
                last: piece == Piece::End,
                id: self.piece_ids[i].clone(),
                ordinal: self.pieces[i],
            };
            if piece == Piece::End {
                self.pieces[i] = 0;
            }
            Some(p)
        } else {
            None
        };
        let entry = match self.format {
            LogFormat::None => return Ok(()),
            LogFormat::JsonFile => {
                let entry = LogEntry {
                    log: String::from_utf8_lossy(bytes).into_owned(),
                    stream,
                    attrs: self.attrs.clone(),
                    time: now,
                };
                let mut line = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
                line.push(b'\n');
                line
            }
            LogFormat::Local => logproto::encode(&Record {
                source: stream.name().to_owned(),
                time: now,
                line: bytes.strip_suffix(b"\n").unwrap_or(bytes).to_vec(),
                partial,
            }),
        };
        self.out.put(&entry, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

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

    #[test]
    fn local_format_round_trips_with_long_lines_and_attrs_in_json() {
        let mut w = LogWriter::with_format(Vec::new(), LogFormat::Local, BTreeMap::new());
        let mut long = vec![b'y'; MAX_ENTRY + 3];
        long.push(b'\n');
        w.write(Stream::Stdout, b"a\n", t(0)).unwrap();
        w.write(Stream::Stderr, &long, t(1)).unwrap();
        w.write(Stream::Stdout, b"tail", t(2)).unwrap();
        w.finish(t(3)).unwrap();
        let mut buf = w.out.clone();
        let got: Vec<(usize, Stream)> = decode(LogFormat::Local, &mut buf)
            .into_iter()
            .map(|e| (e.log.len(), e.stream))
            .collect();
        // The pieces of the long line come back as json-file has them: the last one with
        // its newline, the unterminated end without.
        assert_eq!(
            got,
            [
                (2, Stream::Stdout),
                (MAX_ENTRY, Stream::Stderr),
                (4, Stream::Stderr),
                (4, Stream::Stdout)
            ]
        );
        let mut raw = w.out.clone();
        let records = logproto::decode_frames(&mut raw).unwrap();
        let p1 = records[1].partial.clone().unwrap();
        let p2 = records[2].partial.clone().unwrap();
        assert_eq!(
            (p1.ordinal, p1.last, p2.ordinal, p2.last),
            (1, false, 2, true)
        );
        assert_eq!(p1.id, p2.id);
        assert!(records[0].partial.is_none());

        let attrs = BTreeMap::from([("env1".to_owned(), "v".to_owned())]);
        let mut w = LogWriter::with_format(Vec::new(), LogFormat::JsonFile, attrs);
        w.write(Stream::Stdout, b"hi\n", t(0)).unwrap();
        assert_eq!(
            lines(&w.out),
            [
                r#"{"log":"hi\n","stream":"stdout","attrs":{"env1":"v"},"time":"2026-11-28T05:00:00.123456789Z"}"#
            ]
        );
    }
}
