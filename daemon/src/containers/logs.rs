//! `GET /containers/{id}/logs`: the json-file log the monitor writes, read from the file; with
//! `follow`, new records are read as they are written, until the container stops.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, IoContext};
use api::backend::{ContainerLogs, LogEntry, LogsOptions, StdStream};
use bytes::Bytes;
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;

use super::Containers;
use crate::blocking::blocking;

/// How often a followed log is read while its container runs (state changes wake it at once).
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// Reads a json-file log incrementally: each call returns the complete records written since
/// the last one.
pub(crate) struct LogReader {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    stdout: bool,
    stderr: bool,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
}

impl LogReader {
    /// A reader of the streams asked for, from the start of the log.
    pub(crate) fn new(path: PathBuf, stdout: bool, stderr: bool) -> Self {
        LogReader {
            path,
            offset: 0,
            partial: Vec::new(),
            stdout,
            stderr,
            since: None,
            until: None,
        }
    }

    /// The records written since the last call that pass the filters; a missing log is empty.
    /// Malformed lines (a torn last line after a crash) are skipped.
    pub(crate) fn read_new(&mut self) -> io::Result<Vec<LogEntry>> {
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        f.seek(SeekFrom::Start(self.offset))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        self.offset += bytes.len() as u64;
        self.partial.extend_from_slice(&bytes);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        let mut out = Vec::new();
        for line in complete.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let Ok(entry) = execdriver::parse_line(line) else {
                continue;
            };
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
            out.push(LogEntry {
                stream,
                time: entry.time,
                line: Bytes::from(entry.log.into_bytes()),
            });
        }
        Ok(out)
    }
}

impl Containers {
    /// The log of the container `term` names, as `opts` asks.
    pub(crate) async fn logs(&self, term: &str, opts: LogsOptions) -> Result<ContainerLogs, Error> {
        let c = self.get(term)?;
        let tty = c.live().record.config.tty;
        let mut reader = LogReader::new(c.exec_dir().log(), opts.stdout, opts.stderr);
        reader.since = opts.since;
        reader.until = opts.until;
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
            (Vec::new(), LogReader::new(path, false, false))
        }
    }
}
