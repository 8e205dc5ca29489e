//! The block-level tar reader.

use std::io::{self, BufRead, Read};

use super::RawSink;
use super::entry::{EntryKind, Pending, TarEntry, parse_pax_time, parse_pax_u64};
use crate::compress::read_head;
use crate::error::{Error, Result};

const BLOCK: usize = 512;
/// PAX and GNU long-name records are held in memory; real ones are tiny.
const MAX_EXTENSION: u64 = 1 << 20;

/// Reads a tar stream entry by entry, sending non-content bytes to a [`RawSink`].
pub(crate) struct TarReader<R> {
    r: R,
    /// Content bytes of the current entry not yet read.
    remaining: u64,
    /// Padding bytes after the current entry's content.
    padding: u64,
    ended: bool,
}

/// A read error: corrupt compressed data is the sender's fault, anything else is I/O.
fn read_err(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof => {
            Error::bad(format!("invalid layer data: {e}"))
        }
        _ => Error::io("read tar stream", e),
    }
}

fn truncated() -> Error {
    Error::bad("unexpected end of tar stream: the archive is truncated")
}

/// Checks a header block's checksum (unsigned or, as some old tars write, signed): the sum of
/// the block's bytes with the checksum field counted as spaces.
fn checksum_ok(block: &[u8; BLOCK]) -> bool {
    let field = &block[148..156];
    let mut stored: u32 = 0;
    let mut digits = 0;
    for &b in field {
        match b {
            b'0'..=b'7' => {
                stored = stored.wrapping_mul(8).wrapping_add(u32::from(b - b'0'));
                digits += 1;
            }
            0 | b' ' => {}
            _ => return false,
        }
    }
    if digits == 0 {
        return false;
    }
    // Whole-block sums (the compiler vectorises these), corrected for the field.
    let spaces = 8 * u32::from(b' ');
    let unsigned = block.iter().map(|&b| u32::from(b)).sum::<u32>()
        - field.iter().map(|&b| u32::from(b)).sum::<u32>()
        + spaces;
    if stored == unsigned {
        return true;
    }
    let signed = block.iter().map(|&b| i32::from(b as i8)).sum::<i32>()
        - field.iter().map(|&b| i32::from(b as i8)).sum::<i32>()
        + spaces as i32;
    i64::from(stored) == i64::from(signed)
}

impl<R: Read> TarReader<R> {
    /// Wraps a decompressed tar stream.
    pub(crate) fn new(r: R) -> Self {
        TarReader {
            r,
            remaining: 0,
            padding: 0,
            ended: false,
        }
    }

    fn read_block(&mut self, block: &mut [u8; BLOCK]) -> Result<usize> {
        read_head(&mut self.r, block).map_err(read_err)
    }

    /// Reads an extension record's body (PAX, GNU long name) into memory, sending it and its
    /// padding to `sink`.
    fn read_extension(&mut self, size: u64, sink: &mut dyn RawSink) -> Result<Vec<u8>> {
        if size > MAX_EXTENSION {
            return Err(Error::bad(format!(
                "invalid tar header: extension record of {size} bytes is too large"
            )));
        }
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let mut body = vec![0u8; padded as usize];
        if self.read_block_exact(&mut body)? {
            sink.raw(&body)?;
            body.truncate(size as usize);
            Ok(body)
        } else {
            Err(truncated())
        }
    }

    fn read_block_exact(&mut self, buf: &mut [u8]) -> Result<bool> {
        let n = read_head(&mut self.r, buf).map_err(read_err)?;
        Ok(n == buf.len())
    }

    /// Advances to the next entry. Header bytes go to `sink`. Returns `None` at the end of the
    /// archive, after sending everything that follows the end marker to `sink` as well.
    pub(crate) fn next_entry(&mut self, sink: &mut dyn RawSink) -> Result<Option<TarEntry>> {
        if self.ended {
            return Ok(None);
        }
        self.skip_rest(sink)?;
        let mut pending = Pending::default();
        let mut block = [0u8; BLOCK];
        loop {
            match self.read_block(&mut block)? {
                0 if pending.pax.is_empty() && pending.long_name.is_none() => {
                    // Like Go's reader, accept a stream that stops at a block boundary.
                    self.ended = true;
                    return Ok(None);
                }
                BLOCK => {}
                _ => return Err(truncated()),
            }
            sink.raw(&block)?;
            if block.iter().all(|b| *b == 0) {
                return self.end_of_archive(sink).map(|()| None);
            }
            if !checksum_ok(&block) {
                return Err(Error::bad(
                    "invalid tar header: this is not a tar archive or it is corrupt",
                ));
            }
            let h = tar::Header::from_byte_slice(&block);
            let size = h
                .entry_size()
                .map_err(|_| Error::bad("invalid tar header: bad size field"))?;
            match block[156] {
                b'x' => {
                    let body = self.read_extension(size, sink)?;
                    pending.add_pax(&body)?;
                }
                b'g' => {
                    // Global PAX headers carry no per-file data that matters for layers.
                    self.read_extension(size, sink)?;
                }
                b'L' => {
                    let mut body = self.read_extension(size, sink)?;
                    while body.last() == Some(&0) {
                        body.pop();
                    }
                    pending.long_name = Some(body);
                }
                b'K' => {
                    let mut body = self.read_extension(size, sink)?;
                    while body.last() == Some(&0) {
                        body.pop();
                    }
                    pending.long_link = Some(body);
                }
                _ => return self.finish_header(&block, size, pending).map(Some),
            }
        }
    }

    fn finish_header(
        &mut self,
        block: &[u8; BLOCK],
        header_size: u64,
        mut p: Pending,
    ) -> Result<TarEntry> {
        let h = tar::Header::from_byte_slice(block);
        let bad = |what: &str| Error::bad(format!("invalid tar header: bad {what} field"));
        let path = match (p.pax.remove("path"), p.long_name.take()) {
            (Some(v), _) => v,
            (None, Some(v)) => v,
            (None, None) => h.path_bytes().into_owned(),
        };
        let link = match (p.pax.remove("linkpath"), p.long_link.take()) {
            (Some(v), _) => v,
            (None, Some(v)) => v,
            (None, None) => h
                .link_name_bytes()
                .map(|c| c.into_owned())
                .unwrap_or_default(),
        };
        let size = match p.pax.get("size") {
            Some(v) => parse_pax_u64(v).ok_or_else(|| bad("PAX size"))?,
            None => header_size,
        };
        let kind = match block[156] {
            b'0' | b'7' => EntryKind::Regular,
            0 if path.ends_with(b"/") => EntryKind::Dir,
            0 => EntryKind::Regular,
            b'1' => EntryKind::HardLink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::Char,
            b'4' => EntryKind::Block,
            b'5' => EntryKind::Dir,
            b'6' => EntryKind::Fifo,
            other => EntryKind::Other(other),
        };
        let uid = match p.pax.get("uid") {
            Some(v) => parse_pax_u64(v).ok_or_else(|| bad("PAX uid"))?,
            None => h.uid().map_err(|_| bad("uid"))?,
        };
        let gid = match p.pax.get("gid") {
            Some(v) => parse_pax_u64(v).ok_or_else(|| bad("PAX gid"))?,
            None => h.gid().map_err(|_| bad("gid"))?,
        };
        let mtime = match p.pax.get("mtime") {
            Some(v) => parse_pax_time(v).ok_or_else(|| bad("PAX mtime"))?,
            None => (
                i64::try_from(h.mtime().map_err(|_| bad("mtime"))?).unwrap_or(i64::MAX),
                0,
            ),
        };
        let atime = match p.pax.get("atime") {
            Some(v) => Some(parse_pax_time(v).ok_or_else(|| bad("PAX atime"))?),
            None => None,
        };
        let (dev_major, dev_minor) = if matches!(kind, EntryKind::Char | EntryKind::Block) {
            (
                u64::from(
                    h.device_major()
                        .map_err(|_| bad("device major"))?
                        .unwrap_or(0),
                ),
                u64::from(
                    h.device_minor()
                        .map_err(|_| bad("device minor"))?
                        .unwrap_or(0),
                ),
            )
        } else {
            (0, 0)
        };
        self.remaining = size;
        self.padding = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        Ok(TarEntry {
            path,
            link,
            kind,
            mode: h.mode().map_err(|_| bad("mode"))? & 0o7777,
            uid,
            gid,
            mtime,
            atime,
            dev_major,
            dev_minor,
            size,
            xattrs: p.xattrs,
        })
    }

    /// After a zero block: a second zero block ends the archive; whatever follows (more
    /// zeros, usually) is kept as raw bytes so the stream is reproduced exactly.
    fn end_of_archive(&mut self, sink: &mut dyn RawSink) -> Result<()> {
        let mut block = [0u8; BLOCK];
        let n = self.read_block(&mut block)?;
        sink.raw(&block[..n])?;
        if n == BLOCK && block.iter().any(|b| *b != 0) {
            return Err(Error::bad(
                "invalid tar header: data after a single zero block",
            ));
        }
        self.ended = true;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = read_head(&mut self.r, &mut buf).map_err(read_err)?;
            if n == 0 {
                return Ok(());
            }
            sink.raw(&buf[..n])?;
        }
    }

    /// Sends the rest of the current entry's content and its padding to `sink`.
    pub(crate) fn skip_rest(&mut self, sink: &mut dyn RawSink) -> Result<()> {
        let mut buf = [0u8; 8192];
        while self.remaining > 0 {
            let want = self.remaining.min(buf.len() as u64) as usize;
            let n = read_head(&mut self.r, &mut buf[..want]).map_err(read_err)?;
            if n == 0 {
                return Err(truncated());
            }
            sink.raw(&buf[..n])?;
            self.remaining -= n as u64;
        }
        if self.padding > 0 {
            let pad = self.padding as usize;
            let n = read_head(&mut self.r, &mut buf[..pad]).map_err(read_err)?;
            if n < pad {
                return Err(truncated());
            }
            sink.raw(&buf[..pad])?;
            self.padding = 0;
        }
        Ok(())
    }
}

impl<R: BufRead> TarReader<R> {
    /// The next piece of the current entry's content, in place in the reader's buffer (empty
    /// once the content is exhausted); pass how much was used to [`Self::consume_content`]. A
    /// short stream is an error, never a silent end.
    pub(crate) fn content(&mut self) -> Result<&[u8]> {
        if self.remaining == 0 {
            return Ok(&[]);
        }
        loop {
            match self.r.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_err(e)),
            }
        }
        // Filled above: this hands out what is buffered (or finds the end again).
        let avail = self.r.fill_buf().map_err(read_err)?;
        if avail.is_empty() {
            return Err(truncated());
        }
        let n = self.remaining.min(avail.len() as u64) as usize;
        Ok(&avail[..n])
    }

    /// Marks `n` bytes of what [`Self::content`] gave as used.
    pub(crate) fn consume_content(&mut self, n: usize) {
        let n = n.min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        self.r.consume(n);
        self.remaining -= n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header block with the checksum field set to `sum` as tar writes it.
    fn block_with(sum: u32, high_bytes: bool) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        b[..5].copy_from_slice(b"hello");
        if high_bytes {
            b[10] = 0xe9;
            b[11] = 0xff;
        }
        b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        b
    }

    fn sums(b: &[u8; BLOCK]) -> (u32, i32) {
        let mut blank = *b;
        blank[148..156].fill(b' ');
        (
            blank.iter().map(|&x| u32::from(x)).sum(),
            blank.iter().map(|&x| i32::from(x as i8)).sum(),
        )
    }

    #[test]
    fn checksums_are_checked_unsigned_or_signed() {
        for high in [false, true] {
            let (unsigned, signed) = sums(&block_with(0, high));
            assert!(
                checksum_ok(&block_with(unsigned, high)),
                "unsigned, high {high}"
            );
            assert!(
                checksum_ok(&block_with(signed as u32, high)),
                "signed, high {high}"
            );
            assert!(
                !checksum_ok(&block_with(unsigned + 1, high)),
                "wrong, high {high}"
            );
        }
        let mut b = block_with(0, false);
        b[148..156].copy_from_slice(b"12x4\0   ");
        assert!(!checksum_ok(&b), "not octal");
        b[148..156].fill(0);
        assert!(!checksum_ok(&b), "no digits");
    }
}
