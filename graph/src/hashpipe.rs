//! Hashing on a second thread, so that computing a diff ID does not add to the time of
//! extracting a layer (sha256 of a 1 GB layer is ~0.6 s of CPU even with SHA-NI).

use std::io::{self, Read};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

use crate::digest::Digest;

/// Chunks in flight between the reader and the hashing thread: memory stays below this many
/// reads of the caller's buffer size.
const DEPTH: usize = 16;

/// A reader that hands a copy of every chunk read to a hashing thread.
pub(crate) struct PipeHasher<R> {
    inner: R,
    tx: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<(Digest, u64)>>,
}

impl<R: Read> PipeHasher<R> {
    /// Starts the hashing thread.
    pub(crate) fn new(inner: R) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<Vec<u8>>(DEPTH);
        let worker = std::thread::Builder::new()
            .name("graph-sha256".to_string())
            .spawn(move || {
                let mut h = Sha256::new();
                let mut n = 0u64;
                for chunk in rx {
                    h.update(&chunk);
                    n += chunk.len() as u64;
                }
                (Digest::from_hasher(h), n)
            })?;
        Ok(PipeHasher {
            inner,
            tx: Some(tx),
            worker: Some(worker),
        })
    }

    /// The digest and length of everything read.
    pub(crate) fn finish(mut self) -> io::Result<(Digest, u64)> {
        drop(self.tx.take());
        self.worker
            .take()
            .ok_or_else(|| io::Error::other("hash already taken"))?
            .join()
            .map_err(|_| io::Error::other("hashing thread panicked"))
    }
}

impl<R: Read> Read for PipeHasher<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            let tx = self
                .tx
                .as_ref()
                .ok_or_else(|| io::Error::other("hash already taken"))?;
            tx.send(buf[..n].to_vec())
                .map_err(|_| io::Error::other("hashing thread stopped"))?;
        }
        Ok(n)
    }
}

impl<R> Drop for PipeHasher<R> {
    fn drop(&mut self) {
        // Closing the channel ends the thread; wait so no thread outlives an aborted layer.
        drop(self.tx.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}
