//! Docker's `local` log format: each entry is moby's protobuf `LogEntry` message
//! (`api/types/plugins/logdriver/entry.proto`) between two big-endian `u32` copies of its
//! length (the trailing one lets a reader walk the file backwards):
//!
//! ```text
//! message LogEntry {
//!   string source = 1;  int64 time_nano = 2;  bytes line = 3;  bool partial = 4;
//!   PartialLogEntryMetadata partial_log_metadata = 5;
//! }
//! message PartialLogEntryMetadata { bool last = 1;  string id = 2;  int32 ordinal = 3; }
//! ```
//!
//! The line is stored without its newline; `partial` marks the pieces of a line longer than
//! the copier's buffer (and an unterminated last line). Hand-written: two small messages do
//! not justify a protobuf code generator.

use jiff::Timestamp;

/// Longest message a reader accepts (moby's `maxMsgLen`, 1 MiB); a longer length prefix means
/// a corrupt file.
const MAX_MSG: usize = 1 << 20;

/// A piece of a long line: its place in the line's group of entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    /// Whether this is the line's last piece.
    pub last: bool,
    /// The ID shared by the pieces of one line.
    pub id: String,
    /// The piece's position, from 1.
    pub ordinal: i32,
}

/// One decoded `LogEntry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `stdout` or `stderr`.
    pub source: String,
    /// When the entry was read.
    pub time: Timestamp,
    /// The bytes, without a newline.
    pub line: Vec<u8>,
    /// Set for the pieces of a long line.
    pub partial: Option<Partial>,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn bytes_field(out: &mut Vec<u8>, field: u8, b: &[u8]) {
    // proto3 leaves empty fields out, as gogo's marshaller does.
    if !b.is_empty() {
        out.push(field << 3 | 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }
}

fn varint_field(out: &mut Vec<u8>, field: u8, v: u64) {
    if v != 0 {
        out.push(field << 3);
        varint(out, v);
    }
}

/// The framed encoding of `r`.
pub fn encode(r: &Record) -> Vec<u8> {
    let mut msg = Vec::with_capacity(r.line.len() + 32);
    bytes_field(&mut msg, 1, r.source.as_bytes());
    let nanos = i64::try_from(r.time.as_nanosecond()).unwrap_or(i64::MAX);
    varint_field(&mut msg, 2, nanos as u64);
    bytes_field(&mut msg, 3, &r.line);
    if let Some(p) = &r.partial {
        varint_field(&mut msg, 4, 1);
        let mut meta = Vec::new();
        varint_field(&mut meta, 1, u64::from(p.last));
        bytes_field(&mut meta, 2, p.id.as_bytes());
        // int32 is sign-extended to 64 bits on the wire.
        varint_field(&mut meta, 3, i64::from(p.ordinal) as u64);
        // An all-default sub-message is still present.
        msg.push(5 << 3 | 2);
        varint(&mut msg, meta.len() as u64);
        msg.extend_from_slice(&meta);
    }
    let len = (msg.len() as u32).to_be_bytes();
    let mut out = Vec::with_capacity(msg.len() + 8);
    out.extend_from_slice(&len);
    out.extend_from_slice(&msg);
    out.extend_from_slice(&len);
    out
}

/// A protobuf field: its number and value.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The fields of a message; `None` when it is malformed. Unknown wire types (fixed 32/64)
/// are skipped as protobuf readers do.
fn fields(mut b: &[u8]) -> Option<Vec<(u64, Value<'_>)>> {
    fn read_varint(b: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = b.split_first()?;
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(v);
            }
        }
        None
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = read_varint(&mut b)?;
        let value = match key & 7 {
            0 => Value::Varint(read_varint(&mut b)?),
            2 => {
                let n = usize::try_from(read_varint(&mut b)?).ok()?;
                let v = b.get(..n)?;
                b = &b[n..];
                Value::Bytes(v)
            }
            1 => {
                b = b.get(8..)?;
                continue;
            }
            5 => {
                b = b.get(4..)?;
                continue;
            }
            _ => return None,
        };
        out.push((key >> 3, value));
    }
    Some(out)
}

fn decode_message(msg: &[u8]) -> Option<Record> {
    let mut r = Record {
        source: String::new(),
        time: Timestamp::UNIX_EPOCH,
        line: Vec::new(),
        partial: None,
    };
    let mut partial = false;
    let mut meta = None;
    for (field, value) in fields(msg)? {
        match (field, value) {
            (1, Value::Bytes(b)) => r.source = String::from_utf8_lossy(b).into_owned(),
            (2, Value::Varint(v)) => {
                r.time = Timestamp::from_nanosecond(i128::from(v as i64)).ok()?;
            }
            (3, Value::Bytes(b)) => r.line = b.to_vec(),
            (4, Value::Varint(v)) => partial = v != 0,
            (5, Value::Bytes(b)) => {
                let mut p = Partial {
                    last: false,
                    id: String::new(),
                    ordinal: 0,
                };
                for (f, v) in fields(b)? {
                    match (f, v) {
                        (1, Value::Varint(v)) => p.last = v != 0,
                        (2, Value::Bytes(b)) => p.id = String::from_utf8_lossy(b).into_owned(),
                        (3, Value::Varint(v)) => p.ordinal = v as i64 as i32,
                        _ => {}
                    }
                }
                meta = Some(p);
            }
            _ => {}
        }
    }
    if partial {
        r.partial = Some(meta.unwrap_or(Partial {
            last: false,
            id: String::new(),
            ordinal: 0,
        }));
    }
    Some(r)
}

/// Takes the complete frames from the front of `buf` and decodes them; an incomplete last
/// frame stays in `buf`. A corrupt frame ends the decoding: `Err` with what was decoded, and
/// `buf` is emptied (the rest of the file cannot be framed any more).
pub fn decode_frames(buf: &mut Vec<u8>) -> Result<Vec<Record>, Vec<Record>> {
    let mut out = Vec::new();
    let mut at = 0;
    let result = loop {
        let Some(head) = buf.get(at..at + 4) else {
            break Ok(());
        };
        let n = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if n > MAX_MSG {
            break Err(());
        }
        let Some(frame) = buf.get(at + 4..at + 8 + n) else {
            break Ok(());
        };
        let (msg, tail) = frame.split_at(n);
        if tail != head {
            break Err(());
        }
        match decode_message(msg) {
            Some(r) => out.push(r),
            None => break Err(()),
        }
        at += 8 + n;
    };
    match result {
        Ok(()) => {
            buf.drain(..at);
            Ok(out)
        }
        Err(()) => {
            buf.clear();
            Err(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: &[u8], partial: Option<Partial>) -> Record {
        Record {
            source: "stdout".into(),
            time: Timestamp::new(1_795_842_000, 123_456_789).unwrap(),
            line: line.to_vec(),
            partial,
        }
    }

    #[test]
    fn known_bytes() {
        // As gogo-protobuf marshals {Source:"stdout", TimeNano:1, Line:"hi"}.
        let r = Record {
            time: Timestamp::from_nanosecond(1).unwrap(),
            ..rec(b"hi", None)
        };
        let want = [
            0, 0, 0, 14, 0x0a, 6, b's', b't', b'd', b'o', b'u', b't', 0x10, 1, 0x1a, 2, b'h', b'i',
            0, 0, 0, 14,
        ];
        assert_eq!(encode(&r), want);
    }

    #[test]
    fn round_trip_and_torn_frames() {
        let p = Partial {
            last: true,
            id: "abc".into(),
            ordinal: 2,
        };
        let a = rec(b"first", None);
        let b = rec(b"", Some(p));
        let mut buf = encode(&a);
        buf.extend(encode(&b));
        let whole = buf.len();
        buf.extend(&encode(&a)[..5]);
        assert_eq!(decode_frames(&mut buf), Ok(vec![a.clone(), b]));
        assert_eq!(buf.len(), 5, "the torn frame waits for its end");
        let mut bad = encode(&a);
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(decode_frames(&mut bad), Err(vec![]));
        assert!(bad.is_empty());
        assert!(whole > 0);
    }
}
