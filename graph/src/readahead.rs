//! Reading an input on a thread of its own, ahead of the one that consumes it.
//!
//! [`crate::ImageStore::load`] and `import` read their input in the calling thread. When each
//! read of that input waits for something (a pipe, a socket, a file not yet in the page
//! cache), reading in lockstep with extraction leaves the extracting thread idle meanwhile:
//! [`read_ahead`] keeps a thread reading and hands the bytes over in batches of [`BATCH`].
//! The daemon does not need it: it gathers a request body ahead in an async task.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

/// Bytes handed over at once.
const BATCH: usize = 1 << 20;
/// Batches in flight: memory stays below this many [`BATCH`]es.
const DEPTH: usize = 4;

/// A filled batch: the buffer and how many of its bytes are data.
type Batch = (Vec<u8>, usize);

/// Runs `f` with a reader that yields the bytes of `input`, read ahead on a scoped thread.
///
/// When `f` returns before the end of `input` (an error), the thread stops after the read it
/// is in; `read_ahead` returns once it has.
pub fn read_ahead<T>(input: &mut (dyn Read + Send), f: impl FnOnce(&mut dyn Read) -> T) -> T {
    let stop = AtomicBool::new(false);
    let (tx, rx) = sync_channel::<io::Result<Batch>>(DEPTH);
    let (back_tx, back_rx) = sync_channel::<Vec<u8>>(DEPTH);
    std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || fill(input, &tx, &back_rx, stop));
        let mut reader = AheadReader {
            rx,
            back: back_tx,
            cur: Vec::new(),
            len: 0,
            pos: 0,
            failed: None,
        };
        let out = f(&mut reader);
        stop.store(true, Ordering::Relaxed);
        // Dropping both channel ends wakes the thread if it waits to send or for a buffer.
        drop(reader);
        out
    })
}

/// The reading thread: fills batches until the end of `input`, an error, or the consumer is
/// gone.
fn fill(
    input: &mut (dyn Read + Send),
    tx: &SyncSender<io::Result<Batch>>,
    back: &Receiver<Vec<u8>>,
    stop: &AtomicBool,
) {
    let mut allocated = 0;
    loop {
        let mut buf = match back.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty) if allocated < DEPTH => {
                allocated += 1;
                vec![0u8; BATCH]
            }
            Err(TryRecvError::Empty) => match back.recv() {
                Ok(b) => b,
                Err(_) => return,
            },
            Err(TryRecvError::Disconnected) => return,
        };
        let mut len = 0;
        let mut end = false;
        while len < BATCH {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match input.read(&mut buf[len..]) {
                Ok(0) => {
                    end = true;
                    break;
                }
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if len > 0 && tx.send(Ok((buf, len))).is_err() {
                        return;
                    }
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        if len > 0 && tx.send(Ok((buf, len))).is_err() {
            return;
        }
        if end {
            return;
        }
    }
}

/// The consuming end: a [`Read`] over the batches.
struct AheadReader {
    rx: Receiver<io::Result<Batch>>,
    back: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    len: usize,
    pos: usize,
    /// The input's error, repeated to every later read (it is not `Clone`).
    failed: Option<(io::ErrorKind, String)>,
}

impl Read for AheadReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos == self.len {
            if let Some((kind, msg)) = &self.failed {
                return Err(io::Error::new(*kind, msg.clone()));
            }
            match self.rx.recv() {
                Ok(Ok((next, len))) => {
                    let used = std::mem::replace(&mut self.cur, next);
                    if !used.is_empty() {
                        // The reader may have stopped; the buffer is then freed.
                        let _ = self.back.try_send(used);
                    }
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    let err = io::Error::new(e.kind(), e.to_string());
                    self.failed = Some((e.kind(), e.to_string()));
                    return Err(err);
                }
                // The thread is done: the end of the input.
                Err(_) => return Ok(0),
            }
        }
        let n = (self.len - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
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
        (0..3 * BATCH + 4321).map(|i| (i % 253) as u8).collect()
    }

    #[test]
    fn yields_every_byte_in_order() {
        let data = data();
        for piece in [1000, 32 * 1024, BATCH, 2 * BATCH] {
            let mut input = Pieces {
                data: &data,
                piece,
                fail: false,
            };
            let out = read_ahead(&mut input, |r| {
                let mut out = Vec::new();
                r.read_to_end(&mut out).map(|_| out)
            });
            assert!(out.expect("read") == data, "piece {piece}");
        }
    }

    #[test]
    fn passes_the_error_on_after_the_data() {
        let data = data();
        let mut input = Pieces {
            data: &data,
            piece: 7000,
            fail: true,
        };
        let (got, err) = read_ahead(&mut input, |r| {
            let mut got = 0;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => return (got, None),
                    Ok(n) => got += n,
                    Err(e) => return (got, Some(e.kind())),
                }
            }
        });
        assert_eq!(got, data.len());
        assert_eq!(err, Some(io::ErrorKind::ConnectionReset));
    }

    #[test]
    fn returns_early_when_the_consumer_stops() {
        let data = data();
        let mut input = Pieces {
            data: &data,
            piece: 4096,
            fail: false,
        };
        let first = read_ahead(&mut input, |r| {
            let mut b = [0u8; 10];
            r.read(&mut b).map(|n| b[..n].to_vec())
        });
        assert_eq!(first.expect("read"), data[..10]);
    }
}
