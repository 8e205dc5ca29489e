//! A conveyor of buffers, so that reading a layer and computing its diff ID take nothing from
//! the thread that extracts it (sha256 of a 1 GB layer is ~0.6 s of CPU even with SHA-NI).
//!
//! [`conveyor`] runs three stages at once, each on its own thread, sharing [`BATCH`]-byte
//! buffers without copying them:
//!
//! - the calling thread reads the input (the request body through the archive's reader, or a
//!   decompressor) into a buffer and hands it to both others;
//! - the consumer (the tar reader and extractor, on a scoped thread) uses it in place through
//!   [`BufRead`];
//! - a hashing thread hashes it.
//!
//! Whichever of the two finishes with a buffer last sends it back for refilling. Extraction is
//! the slowest stage and the one everything waits for, so it does nothing but parse and create
//! files: the copy out of the input, the outer archive's parsing, decompression and hashing all
//! run beside it. Hashing never holds it up: it runs at a lower priority, in the time the CPUs
//! would otherwise idle, and may lag behind by up to [`DEPTH`] buffers (it is faster, and
//! catches up while the extractor finishes). A tar stream is read in many small pieces (a
//! 512-byte header, then the file's content, for every entry), yet stages meet once per
//! buffer, never per piece. Memory stays below [`DEPTH`] buffers per layer.

use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use sha2::{Digest as _, Sha256};

use crate::digest::Digest;

/// Bytes in one buffer.
const BATCH: usize = 512 * 1024;
/// Buffers in circulation (being filled, used, hashed, or waiting).
const DEPTH: usize = 32;
/// The hashing thread's nice value: below the extractor, which the whole load waits for.
const HASH_NICE: i32 = 5;

/// What the reading stage hands on.
#[derive(Clone)]
enum Item {
    /// A buffer and how many of its bytes are data.
    Data(Arc<Vec<u8>>, usize),
    /// The input ended.
    End,
    /// Reading the input failed (`io::Error` is not `Clone`, so it travels as kind and text).
    Failed(io::ErrorKind, String),
}

/// The sha256 and length of an input, or why there are none.
pub(crate) type Hashed = io::Result<(Digest, u64)>;

/// Runs `consume` on a thread of its own with a buffered reader of `input`'s bytes, which
/// the calling thread reads and a third thread hashes beside it. Returns what `consume`
/// returned and the sha256 and length of the input: an error if reading the input failed, or
/// if `consume` returned before the end of the input. Fails only if a thread cannot start.
///
/// Once `consume` has returned, the calling thread stops reading after the read it is in.
pub(crate) fn conveyor<T: Send>(
    input: &mut dyn Read,
    consume: impl FnOnce(&mut Conveyor) -> T + Send,
) -> io::Result<(T, Hashed)> {
    convey(input, consume, BATCH, DEPTH)
}

/// [`conveyor`] with `depth` buffers of `batch` bytes.
fn convey<T: Send>(
    input: &mut dyn Read,
    consume: impl FnOnce(&mut Conveyor) -> T + Send,
    batch: usize,
    depth: usize,
) -> io::Result<(T, Hashed)> {
    let (to_hash, hash_rx) = sync_channel::<Item>(depth);
    let (to_consumer, consumer_rx) = sync_channel::<Item>(depth);
    let (back_tx, back_rx) = sync_channel::<Vec<u8>>(depth);
    let hash_back = back_tx.clone();
    let stopped = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let hashing = std::thread::Builder::new()
            .name("graph-sha256".to_string())
            .spawn_scoped(scope, move || hash(hash_rx, hash_back))?;
        let mut reader = Conveyor {
            rx: consumer_rx,
            back: back_tx,
            stopped: &stopped,
            cur: None,
            len: 0,
            pos: 0,
            ended: false,
            failed: None,
        };
        let consuming = std::thread::Builder::new()
            .name("graph-extract".to_string())
            .spawn_scoped(scope, move || {
                let out = consume(&mut reader);
                let complete = reader.ended && reader.pos == reader.len;
                (out, complete)
            })?;
        // (Had that failed, dropping the senders on return would end the hashing thread.)
        fill(
            input,
            &[to_hash, to_consumer],
            &back_rx,
            &stopped,
            batch,
            depth,
        );
        drop(back_rx);
        let (out, complete) = consuming
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        let hashed = hashing
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
            .and_then(|h| match complete {
                true => Ok(h),
                false => Err(io::Error::other("the layer was not read to its end")),
            });
        Ok((out, hashed))
    })
}

/// Stage 1: reads `input` into buffers and sends each to every stage in `to`, until the end of
/// the input, an error, or a stage is gone.
fn fill(
    input: &mut dyn Read,
    to: &[SyncSender<Item>],
    back: &Receiver<Vec<u8>>,
    stopped: &AtomicBool,
    batch: usize,
    depth: usize,
) {
    // Each stage gets its own handle on a buffer and stage 1 keeps none: a handle dropped
    // here after the others were released would free the buffer instead of returning it.
    let send = |item: Item| match to.split_last() {
        Some((last, rest)) => {
            rest.iter().all(|tx| tx.send(item.clone()).is_ok()) && last.send(item).is_ok()
        }
        None => true,
    };
    let mut allocated = 0;
    loop {
        let mut buf = match back.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty) if allocated < depth => {
                allocated += 1;
                vec![0u8; batch]
            }
            Err(TryRecvError::Empty) => match back.recv() {
                Ok(b) => b,
                Err(_) => return,
            },
            Err(TryRecvError::Disconnected) => return,
        };
        // An empty buffer: the consumer is gone (see `Drop for Conveyor`).
        if buf.is_empty() {
            return;
        }
        let mut len = 0;
        let mut failed = None;
        while len < batch {
            if stopped.load(Ordering::Relaxed) {
                return;
            }
            match input.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(Item::Failed(e.kind(), e.to_string()));
                    break;
                }
            }
        }
        let full = len == batch;
        if len > 0 && !send(Item::Data(Arc::new(buf), len)) {
            return;
        }
        match failed {
            Some(f) => {
                send(f);
                return;
            }
            None if !full => {
                send(Item::End);
                return;
            }
            None => {}
        }
    }
}

/// Gives a buffer back for refilling if no one else holds it any more. Both stages release
/// each buffer, maybe at the same moment: `Arc::into_inner` hands it to exactly one of them
/// (`try_unwrap` then drop could fail for both and lose the buffer, and stage 1, waiting for
/// it, would wait for ever).
fn release(buf: Arc<Vec<u8>>, back: &SyncSender<Vec<u8>>) {
    if let Some(b) = Arc::into_inner(buf) {
        // Stage 1 may have stopped; the buffer is then freed.
        let _ = back.try_send(b);
    }
}

/// Stage 2: hashes each buffer; the digest and length of the whole input at its end.
fn hash(rx: Receiver<Item>, back: SyncSender<Vec<u8>>) -> Hashed {
    // SAFETY: setpriority only reads its arguments; on Linux, `who` 0 with PRIO_PROCESS is
    // the calling thread. Failing leaves the default priority, which is fine.
    unsafe {
        nix::libc::setpriority(nix::libc::PRIO_PROCESS, 0, HASH_NICE);
    }
    let mut h = Sha256::new();
    let mut total = 0u64;
    for item in rx {
        match item {
            Item::Data(buf, len) => {
                h.update(&buf[..len]);
                total += len as u64;
                release(buf, &back);
            }
            Item::End => return Ok((Digest::from_hasher(h), total)),
            Item::Failed(kind, msg) => return Err(io::Error::new(kind, msg)),
        }
    }
    Err(io::Error::other("the layer was not read to its end"))
}

/// Stage 3's reader: the buffers, in order, as a [`BufRead`].
pub(crate) struct Conveyor<'a> {
    rx: Receiver<Item>,
    /// Used buffers going back to stage 1.
    back: SyncSender<Vec<u8>>,
    /// Set when this reader is dropped: stage 1 stops reading.
    stopped: &'a AtomicBool,
    cur: Option<Arc<Vec<u8>>>,
    len: usize,
    pos: usize,
    /// Set at the end of the input.
    ended: bool,
    failed: Option<(io::ErrorKind, String)>,
}

impl BufRead for Conveyor<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.len && !self.ended {
            if let Some((kind, msg)) = &self.failed {
                return Err(io::Error::new(*kind, msg.clone()));
            }
            if let Some(used) = self.cur.take() {
                release(used, &self.back);
            }
            let item = self
                .rx
                .recv()
                .unwrap_or_else(|_| Item::Failed(io::ErrorKind::Other, "reading stopped".into()));
            match item {
                Item::Data(buf, len) => {
                    self.cur = Some(buf);
                    self.len = len;
                    self.pos = 0;
                }
                Item::End => self.ended = true,
                Item::Failed(kind, msg) => self.failed = Some((kind, msg)),
            }
        }
        match &self.cur {
            Some(buf) => Ok(&buf[self.pos..self.len]),
            None => Ok(&[]),
        }
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.len);
    }
}

impl Drop for Conveyor<'_> {
    fn drop(&mut self) {
        // Stage 1 stops at its next read; if it waits for a buffer that will never come back
        // (this one, or those still queued here), an empty one wakes it. It can only be
        // waiting when the channel is empty, so this never finds it full then.
        self.stopped.store(true, Ordering::Relaxed);
        let _ = self.back.try_send(Vec::new());
    }
}

impl Read for Conveyor<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives `data` in pieces of at most `piece` bytes, then fails if `fail`.
    struct Pieces<'a> {
        data: &'a [u8],
        piece: usize,
        fail: bool,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.data.is_empty() && self.fail {
                return Err(io::Error::new(io::ErrorKind::ConnectionReset, "peer gone"));
            }
            let n = self.data.len().min(buf.len()).min(self.piece);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn data() -> Vec<u8> {
        (0..3 * BATCH + 12_345).map(|i| (i % 251) as u8).collect()
    }

    /// Consumes everything, alternating `read` of `size` bytes and `fill_buf`/`consume`.
    fn consume_all(c: &mut Conveyor, size: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; size];
        for i in 0.. {
            let n = if i % 2 == 0 {
                let n = c.read(&mut buf)?;
                out.extend_from_slice(&buf[..n]);
                n
            } else {
                let avail = c.fill_buf()?;
                let n = avail.len().min(size);
                out.extend_from_slice(&avail[..n]);
                c.consume(n);
                n
            };
            if n == 0 {
                break;
            }
        }
        Ok(out)
    }

    #[test]
    fn passes_every_byte_in_order_and_hashes_it() {
        let data = data();
        for (piece, size) in [
            (1000, 512),
            (32 * 1024, 7),
            (BATCH, BATCH + 1),
            (usize::MAX, 65_536),
        ] {
            let mut input = Pieces {
                data: &data,
                piece,
                fail: false,
            };
            let (out, hashed) = conveyor(&mut input, |c| consume_all(c, size)).expect("threads");
            assert!(out.expect("consume") == data, "piece {piece} size {size}");
            assert_eq!(
                hashed.expect("hash"),
                (Digest::of(&data), data.len() as u64)
            );
        }
        let (out, hashed) = conveyor(&mut io::empty(), |c| consume_all(c, 512)).expect("threads");
        assert!(out.expect("consume").is_empty());
        assert_eq!(hashed.expect("hash"), (Digest::of(&[]), 0));
    }

    #[test]
    fn passes_a_read_error_on_after_the_data() {
        let data = data();
        let mut input = Pieces {
            data: &data,
            piece: 7000,
            fail: true,
        };
        let (out, hashed) = conveyor(&mut input, |c| {
            let mut got = 0;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match c.read(&mut buf) {
                    Ok(0) => return (got, None),
                    Ok(n) => got += n,
                    Err(e) => return (got, Some(e.kind())),
                }
            }
        })
        .expect("threads");
        assert_eq!(out, (data.len(), Some(io::ErrorKind::ConnectionReset)));
        assert_eq!(
            hashed.map_err(|e| e.kind()).unwrap_err(),
            io::ErrorKind::ConnectionReset
        );
    }

    #[test]
    fn stops_reading_when_the_consumer_returns_early() {
        let (batch, depth) = (4096, 4);
        // More than the buffers in circulation can hold.
        let data: Vec<u8> = (0..4 * depth * batch).map(|i| (i % 7) as u8).collect();
        let mut input = Pieces {
            data: &data,
            piece: 1000,
            fail: false,
        };
        let (first, hashed) = convey(
            &mut input,
            |c| {
                let mut b = [0u8; 10];
                c.read(&mut b).map(|n| b[..n].to_vec())
            },
            batch,
            depth,
        )
        .expect("threads");
        assert_eq!(first.expect("read"), data[..10]);
        assert!(hashed.is_err(), "an unfinished input has no digest");
        assert!(!input.data.is_empty(), "the rest was left unread");
    }

    /// Both later stages release every buffer, often at the same moment: none may be lost,
    /// or stage 1 waits for ever. Thousands of tiny buffers make that moment frequent.
    #[test]
    fn never_loses_a_buffer_when_both_stages_release_it_at_once() {
        let data: Vec<u8> = (0..600_000).map(|i| (i % 241) as u8).collect();
        let want = (Digest::of(&data), data.len() as u64);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let runner = std::thread::spawn(move || {
            for round in 0..40 {
                let mut input = Pieces {
                    data: &data,
                    piece: 300 + round,
                    fail: false,
                };
                let (out, hashed) =
                    convey(&mut input, |c| consume_all(c, 97 + round), 256, 2).expect("threads");
                assert!(out.expect("consume") == data, "round {round}");
                assert_eq!(hashed.expect("hash"), want, "round {round}");
            }
            let _ = done_tx.send(());
        });
        let finished = done_rx.recv_timeout(std::time::Duration::from_secs(60));
        assert!(finished.is_ok(), "the conveyor stalled");
        runner.join().expect("no panic");
    }
}
