//! Docker's stream formats for container output: 8-byte-header frames (or raw bytes under a
//! TTY), RFC 3339 timestamps on log lines, and the detach-key sequence in attach input.

use bytes::{BufMut, Bytes, BytesMut};
use jiff::Timestamp;
use serde::Serialize;

use crate::Error;
use crate::backend::{LogEntry, StdFrame, StdStream};
use crate::version::ApiVersion;

/// Output as the process wrote it: a TTY's bytes, or anything before API 1.42.
pub(crate) const RAW_STREAM: &str = "application/vnd.docker.raw-stream";
/// Output in 8-byte-header frames.
pub(crate) const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

/// The `Content-Type` of attach and logs output, as moby picks it: the multiplexed type only
/// from API 1.42 on and without a TTY.
pub(crate) fn content_type(version: ApiVersion, tty: bool) -> &'static str {
    if !tty
        && version
            >= (ApiVersion {
                major: 1,
                minor: 42,
            })
    {
        MULTIPLEXED_STREAM
    } else {
        RAW_STREAM
    }
}

/// `data` as it goes on the wire: raw under a TTY, else in frames of
/// `[stream, 0, 0, 0, len as u32 big-endian]` + payload (none for empty data).
pub(crate) fn encode(tty: bool, stream: StdStream, data: &[u8]) -> Bytes {
    if tty {
        return Bytes::copy_from_slice(data);
    }
    let kind = match stream {
        StdStream::Stdout => 1,
        StdStream::Stderr => 2,
    };
    let mut out = BytesMut::with_capacity(data.len() + 8);
    // A frame's length is a u32: longer chunks (never seen in practice) take several frames.
    for part in data.chunks(u32::MAX as usize) {
        out.put_slice(&[kind, 0, 0, 0]);
        out.put_u32(u32::try_from(part.len()).expect("chunks are at most u32::MAX long"));
        out.put_slice(part);
    }
    out.freeze()
}

/// An attach output chunk on the wire.
pub(crate) fn encode_frame(tty: bool, frame: &StdFrame) -> Bytes {
    encode(tty, frame.stream, &frame.data)
}

/// A log record on the wire, prefixed with its time and a space when `timestamps` is set.
pub(crate) fn encode_log(tty: bool, timestamps: bool, entry: &LogEntry) -> Bytes {
    if !timestamps {
        return encode(tty, entry.stream, &entry.line);
    }
    let mut line = timestamp(entry.time).into_bytes();
    line.push(b' ');
    line.extend_from_slice(&entry.line);
    encode(tty, entry.stream, &line)
}

/// RFC 3339 in UTC with exactly nine fraction digits, as Docker's `RFC3339NanoFixed`.
pub(crate) fn timestamp(t: Timestamp) -> String {
    format!("{t:.9}")
}

/// `value` as JSON and a newline, as Go's `json.Encoder` writes it.
pub(crate) fn json_line<T: Serialize>(value: &T) -> Bytes {
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// Docker's default detach keys, `ctrl-p,ctrl-q`.
const DEFAULT_DETACH_KEYS: [u8; 2] = [16, 17];

/// Parses `detachKeys` (`ctrl-p,ctrl-q`, `a,ctrl-@`, ...) as moby's `term.ToBytes` does;
/// empty means the default.
pub(crate) fn detach_keys(raw: &str) -> Result<Vec<u8>, Error> {
    if raw.is_empty() {
        return Ok(DEFAULT_DETACH_KEYS.to_vec());
    }
    let invalid = || Error::invalid(format!("Invalid detach keys ({raw}) provided"));
    raw.split(',')
        .map(|key| match key.as_bytes() {
            [b] => Ok(*b),
            _ if key.eq_ignore_ascii_case("DEL") => Ok(127),
            _ => {
                let name = key.to_ascii_lowercase();
                let [c] = name.strip_prefix("ctrl-").ok_or_else(invalid)?.as_bytes() else {
                    return Err(invalid());
                };
                match c {
                    b'@' => Ok(0),
                    b'a'..=b'z' => Ok(c - b'a' + 1),
                    b'[' => Ok(27),
                    b'\\' => Ok(28),
                    b']' => Ok(29),
                    b'^' => Ok(30),
                    b'_' => Ok(31),
                    _ => Err(invalid()),
                }
            }
        })
        .collect()
}

/// Watches input for the detach keys, holding back a partial match until it is decided.
#[derive(Debug)]
pub(crate) struct DetachScanner {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachScanner {
    /// A scanner for `keys` (an empty sequence never matches).
    pub(crate) fn new(keys: Vec<u8>) -> Self {
        DetachScanner { keys, matched: 0 }
    }

    /// Appends to `out` the bytes of `input` to forward; true when the sequence is complete
    /// (the rest of `input` is dropped then, as the client is leaving).
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        if self.keys.is_empty() {
            out.extend_from_slice(input);
            return false;
        }
        for &b in input {
            if b != self.keys[self.matched] && self.matched > 0 {
                // Not the sequence after all: let the held keys through and start over.
                out.extend_from_slice(&self.keys[..self.matched]);
                self.matched = 0;
            }
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return true;
                }
            } else {
                out.push(b);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn frames_have_the_eight_byte_header_unless_tty() {
        let f = encode(false, StdStream::Stderr, b"err-line\n");
        assert_eq!(&f[..], b"\x02\x00\x00\x00\x00\x00\x00\x09err-line\n");
        // Nothing to say, no frame.
        assert!(encode(false, StdStream::Stdout, b"").is_empty());
        assert_eq!(&encode(true, StdStream::Stderr, b"raw")[..], b"raw");
    }

    #[test]
    fn log_timestamps_have_nine_digits() {
        let at = |nanos: i128| Timestamp::from_nanosecond(nanos).unwrap();
        assert_eq!(
            timestamp(at(1_795_841_119_462_964_806)),
            "2026-11-28T04:45:19.462964806Z"
        );
        assert_eq!(
            timestamp(at(1_795_841_119_000_000_000)),
            "2026-11-28T04:45:19.000000000Z"
        );
        let entry = LogEntry {
            stream: StdStream::Stdout,
            time: at(1_795_841_119_000_000_500),
            line: Bytes::from_static(b"hi\n"),
        };
        assert_eq!(
            &encode_log(true, true, &entry)[..],
            b"2026-11-28T04:45:19.000000500Z hi\n"
        );
        assert_eq!(&encode_log(false, false, &entry)[8..], b"hi\n");
    }

    #[test]
    fn content_type_follows_tty_and_version() {
        let v = |minor| ApiVersion { major: 1, minor };
        assert_eq!(content_type(v(47), false), MULTIPLEXED_STREAM);
        assert_eq!(content_type(v(47), true), RAW_STREAM);
        assert_eq!(content_type(v(41), false), RAW_STREAM);
    }

    #[test]
    fn detach_keys_parse_like_moby() {
        assert_eq!(detach_keys("").unwrap(), [16, 17]);
        assert_eq!(detach_keys("ctrl-p,ctrl-q").unwrap(), [16, 17]);
        assert_eq!(
            detach_keys("a,ctrl-@,ctrl-[,DEL").unwrap(),
            [b'a', 0, 27, 127]
        );
        assert_eq!(
            detach_keys("ctrl-1").unwrap_err().message,
            "Invalid detach keys (ctrl-1) provided"
        );
        assert!(detach_keys("ab").is_err());
    }

    #[test]
    fn scanner_holds_partial_matches_and_detects_the_sequence() {
        let mut s = DetachScanner::new(vec![16, 17]);
        let mut out = Vec::new();
        assert!(!s.feed(b"ab\x10", &mut out));
        assert_eq!(out, b"ab");
        // A held ctrl-p followed by something else goes through.
        assert!(!s.feed(b"c", &mut out));
        assert_eq!(out, b"ab\x10c");
        out.clear();
        assert!(!s.feed(b"x\x10\x10", &mut out));
        assert_eq!(out, b"x\x10");
        assert!(s.feed(b"\x11rest", &mut out));
        assert_eq!(out, b"x\x10");
    }
}
