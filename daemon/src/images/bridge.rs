//! Between async bodies and graph's blocking `Read`/`Write`, with bounded buffering.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use api::backend::{ByteStream, MessageStream};
use api::types::JsonMessage;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{Notify, mpsc};

/// How many chunks may wait between a producer and the client.
const DEPTH: usize = 16;
/// Size of a chunk sent to the client.
const CHUNK: usize = 64 * 1024;
/// A request body is handed to the blocking side in batches of about this many bytes...
const BODY_BATCH: usize = 1 << 20;
/// ...at most this many batches ahead of it: memory per body stays below ~5 MiB.
const BODY_BATCHES: usize = 4;

/// What the pump hands to the reader.
enum Piece {
    Batch(Vec<Bytes>),
    /// The body ended: without this, a closed channel means the pump was cut short.
    End,
    Failed(io::Error),
}

/// A request body as a blocking reader (use it on the blocking pool only).
///
/// An async task drains the body as fast as the client sends it, gathering its chunks
/// (~32 KiB each from the CLI) into batches for the reader. Read in lockstep instead, each
/// chunk cost the reading thread a wake-up and the server task a round trip, and the reader
/// waited whenever it caught up; gathered, the thread is woken about once per MiB. A partial
/// batch is handed over as soon as the reader runs dry (it says so through `hungry`), so a
/// client that pauses never leaves received bytes waiting.
pub fn reader(body: ByteStream) -> BodyReader {
    let (tx, rx) = mpsc::channel::<Piece>(BODY_BATCHES);
    let hungry = Arc::new(Notify::new());
    tokio::spawn(pump(body, tx, hungry.clone()));
    BodyReader {
        rx,
        hungry,
        chunks: VecDeque::new(),
        ended: false,
        failed: None,
    }
}

/// Moves the body's chunks into batches for a [`BodyReader`] until the body ends or fails.
/// Once the reader is gone (the work failed early), the rest is read and dropped: the client
/// can then finish sending and read the error, where cutting it off would give it a broken
/// pipe instead.
async fn pump(mut body: ByteStream, tx: mpsc::Sender<Piece>, hungry: Arc<Notify>) {
    if !gather(&mut body, &tx, &hungry).await {
        while let Some(Ok(_)) = body.next().await {}
    }
}

/// [`pump`]'s work while the reader is there; `false` once it is gone.
async fn gather(body: &mut ByteStream, tx: &mpsc::Sender<Piece>, hungry: &Notify) -> bool {
    let mut batch = Vec::new();
    let mut size = 0;
    loop {
        let next = match futures::poll!(body.next()) {
            std::task::Poll::Ready(next) => next,
            std::task::Poll::Pending => {
                // Nothing more right now: what is gathered goes at once if the reader has
                // nothing queued (it is about to run dry)...
                if size > 0 && tx.capacity() == tx.max_capacity() {
                    if tx
                        .send(Piece::Batch(std::mem::take(&mut batch)))
                        .await
                        .is_err()
                    {
                        return false;
                    }
                    size = 0;
                }
                tokio::select! {
                    next = body.next() => next,
                    () = tx.closed() => return false,
                    // ...or as soon as it has run dry while the client pauses.
                    () = hungry.notified(), if size > 0 => {
                        if tx.send(Piece::Batch(std::mem::take(&mut batch))).await.is_err() {
                            return false;
                        }
                        size = 0;
                        continue;
                    }
                }
            }
        };
        let last = match next {
            Some(Ok(chunk)) => {
                size += chunk.len();
                batch.push(chunk);
                if size < BODY_BATCH {
                    continue;
                }
                None
            }
            Some(Err(e)) => Some(Piece::Failed(e)),
            None => Some(Piece::End),
        };
        if size > 0 {
            let full = std::mem::take(&mut batch);
            if tx.send(Piece::Batch(full)).await.is_err() {
                return false;
            }
        }
        size = 0;
        if let Some(last) = last {
            let _ = tx.send(last).await;
            return true;
        }
    }
}

/// The blocking end of [`reader`].
pub struct BodyReader {
    rx: mpsc::Receiver<Piece>,
    /// Told whenever this reader is about to wait for a batch.
    hungry: Arc<Notify>,
    /// The current batch's chunks not yet read (the first possibly in part).
    chunks: VecDeque<Bytes>,
    /// The body's end was received (and the chunks before it are all read once empty).
    ended: bool,
    /// The body's error, repeated to every later read (`io::Error` is not `Clone`).
    failed: Option<(io::ErrorKind, String)>,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some((kind, msg)) = &self.failed {
                return Err(io::Error::new(*kind, msg.clone()));
            }
            if let Some(chunk) = self.chunks.front_mut() {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                if n == chunk.len() {
                    self.chunks.pop_front();
                } else {
                    let _ = chunk.split_to(n);
                }
                return Ok(n);
            }
            if self.ended {
                return Ok(0);
            }
            if self.rx.is_empty() {
                self.hungry.notify_one();
            }
            match self.rx.blocking_recv() {
                Some(Piece::Batch(batch)) => self
                    .chunks
                    .extend(batch.into_iter().filter(|c| !c.is_empty())),
                Some(Piece::End) => self.ended = true,
                Some(Piece::Failed(e)) => self.failed = Some((e.kind(), e.to_string())),
                // The pump ended without saying why: it was cut short (the runtime is
                // shutting down), and what came so far may not be the whole body.
                None => {
                    self.failed = Some((
                        io::ErrorKind::UnexpectedEof,
                        "the request body was cut short".to_string(),
                    ))
                }
            }
        }
    }
}

/// A channel whose sending half is used from blocking code and whose receiving half is a
/// response body.
pub fn byte_channel() -> (ChunkWriter, ByteStream) {
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(DEPTH);
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (
        ChunkWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        },
        Box::pin(stream),
    )
}

/// A blocking `Write` that sends 64 KiB chunks to the client; fails once the client is gone.
pub struct ChunkWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }

    /// Ends the body with an error, so the client sees a cut transfer rather than a short tar.
    pub fn fail(self, e: std::io::Error) {
        let _ = self.tx.blocking_send(Err(e));
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// A jsonmessage channel: blocking code sends, the response streams.
pub fn message_channel() -> (Messages, MessageStream) {
    let (tx, mut rx) = mpsc::channel::<JsonMessage>(DEPTH);
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (Messages(Sender::Bounded(tx)), Box::pin(stream))
}

/// A jsonmessage channel any code may send on, async or blocking, without waiting: for a pull,
/// whose lines come from async tasks and blocking threads alike. Its length is bounded by the
/// work, not by the reader: a layer's counters are sent at most every 100 ms.
pub fn unbounded_message_channel() -> (Messages, MessageStream) {
    let (tx, mut rx) = mpsc::unbounded_channel::<JsonMessage>();
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (Messages(Sender::Unbounded(tx)), Box::pin(stream))
}

/// The sending half of a jsonmessage stream.
#[derive(Clone)]
pub struct Messages(Sender);

#[derive(Clone)]
enum Sender {
    /// Blocks the (blocking) sender while the client is slow.
    Bounded(mpsc::Sender<JsonMessage>),
    /// Never waits.
    Unbounded(mpsc::UnboundedSender<JsonMessage>),
}

impl Messages {
    /// Sends one message; a client that went away is ignored (the work still completes, so
    /// what was started is committed or rolled back by the store, never left half done). On a
    /// bounded channel, call it from blocking code only.
    pub fn send(&self, m: JsonMessage) {
        match &self.0 {
            Sender::Bounded(tx) => {
                let _ = tx.blocking_send(m);
            }
            Sender::Unbounded(tx) => {
                let _ = tx.send(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use futures::stream;

    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn a_pausing_client_never_leaves_received_bytes_waiting() {
        rt().block_on(async {
            // A small chunk, then a client that sends nothing more for now.
            let body: ByteStream =
                Box::pin(stream::iter([Ok(Bytes::from_static(b"abc"))]).chain(stream::pending()));
            let mut r = reader(body);
            let read = tokio::task::spawn_blocking(move || {
                let mut buf = [0u8; 16];
                r.read(&mut buf).map(|n| buf[..n].to_vec())
            });
            let got = tokio::time::timeout(Duration::from_secs(5), read)
                .await
                .expect("the bytes came without waiting for more")
                .expect("join");
            assert_eq!(got.expect("read"), b"abc");
        });
    }

    #[test]
    fn every_byte_comes_in_order_then_the_end() {
        rt().block_on(async {
            let chunks: Vec<Bytes> = (0..200u32)
                .map(|i| Bytes::from(vec![(i % 251) as u8; 30_000 + i as usize]))
                .collect();
            let want: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            let body: ByteStream = Box::pin(stream::iter(chunks.into_iter().map(Ok)));
            let mut r = reader(body);
            let got = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                r.read_to_end(&mut out).map(|_| out)
            })
            .await
            .expect("join")
            .expect("read");
            assert!(got == want);
        });
    }

    #[test]
    fn a_failed_reader_lets_the_client_finish_sending() {
        rt().block_on(async {
            let ended = Arc::new(AtomicBool::new(false));
            let flag = ended.clone();
            let chunks = (0..64).map(|_| Ok(Bytes::from(vec![7u8; 64 * 1024])));
            let body: ByteStream =
                Box::pin(stream::iter(chunks).chain(stream::poll_fn(move |_| {
                    flag.store(true, Ordering::SeqCst);
                    std::task::Poll::Ready(None)
                })));
            let mut r = reader(body);
            tokio::task::spawn_blocking(move || {
                let mut buf = [0u8; 10];
                r.read_exact(&mut buf).expect("read");
                // The work fails here: the reader is dropped with most of the body unread.
            })
            .await
            .expect("join");
            tokio::time::timeout(Duration::from_secs(5), async {
                while !ended.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await
            .expect("the rest of the body was read");
        });
    }
}
