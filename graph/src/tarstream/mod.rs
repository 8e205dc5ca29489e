//! A byte-exact tar stream reader.
//!
//! Unlike an ordinary tar reader, every byte of the stream is accounted for: header blocks,
//! PAX and GNU long-name records, padding and whatever follows the end-of-archive marker are
//! handed to a [`RawSink`]; only regular-file contents are left for the caller to read. That is
//! what lets a layer be re-created byte for byte from its tar-split record and the extracted
//! files.

mod entry;
mod reader;

pub(crate) use entry::{EntryKind, TarEntry};
pub(crate) use reader::TarReader;

use crate::error::Result;

/// Receives the bytes of a tar stream that are not regular-file contents.
pub(crate) trait RawSink {
    /// Appends raw bytes.
    fn raw(&mut self, bytes: &[u8]) -> Result<()>;
}
