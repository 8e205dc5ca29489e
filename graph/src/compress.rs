//! Compression detected by magic bytes, as Docker's `DecompressStream` does.

use std::io::{self, BufReader, Cursor, Read};

use crate::error::{Error, Result};

/// Compression formats of layer and archive streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// gzip (also multi-member).
    Gzip,
    /// Zstandard.
    Zstd,
}

/// Identifies the compression of a stream from its first bytes. bzip2 and xz are recognised
/// and refused.
pub fn detect(head: &[u8]) -> Result<Compression> {
    if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        Ok(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Ok(Compression::Zstd)
    } else if head.starts_with(b"BZh") {
        Err(Error::Unsupported(
            "unsupported compression format: bzip2".to_string(),
        ))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Err(Error::Unsupported(
            "unsupported compression format: xz".to_string(),
        ))
    } else {
        Ok(Compression::None)
    }
}

/// Reads up to `buf.len()` bytes, fewer only at end of input.
pub(crate) fn read_head(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Peeks at the first bytes of `r` to identify its compression; returns the kind and a reader
/// that still yields every byte.
pub(crate) fn sniff<'a>(mut r: Box<dyn Read + 'a>) -> Result<(Compression, Box<dyn Read + 'a>)> {
    let mut head = [0u8; 6];
    let n = read_head(&mut r, &mut head).map_err(|e| Error::io("read input", e))?;
    let kind = detect(&head[..n])?;
    Ok((kind, Box::new(Cursor::new(head[..n].to_vec()).chain(r))))
}

/// Wraps a stream of the given compression in its decompressor.
pub(crate) fn decoder<'a>(kind: Compression, r: Box<dyn Read + 'a>) -> Result<Box<dyn Read + 'a>> {
    Ok(match kind {
        Compression::None => r,
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(BufReader::new(r))
                .map_err(|e| Error::io("start zstd decoder", e))?,
        ),
    })
}

/// Wraps `r` in the decompressor its first bytes call for.
pub fn decompress<'a>(r: Box<dyn Read + 'a>) -> Result<(Compression, Box<dyn Read + 'a>)> {
    let (kind, whole) = sniff(r)?;
    Ok((kind, decoder(kind, whole)?))
}
