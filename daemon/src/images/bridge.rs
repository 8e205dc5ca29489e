//! Between async bodies and graph's blocking `Read`/`Write`, with bounded buffering.

use std::io::Write;

use api::backend::{ByteStream, MessageStream};
use api::types::JsonMessage;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

/// How many chunks may wait between a producer and the client.
const DEPTH: usize = 16;
/// Size of a chunk sent to the client.
const CHUNK: usize = 64 * 1024;

/// A request body as a blocking reader (use it on the blocking pool only).
pub fn reader(body: ByteStream) -> SyncIoBridge<StreamReader<ByteStream, Bytes>> {
    SyncIoBridge::new(StreamReader::new(body))
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
    (Messages(tx), Box::pin(stream))
}

/// The sending half of a jsonmessage stream.
pub struct Messages(mpsc::Sender<JsonMessage>);

impl Messages {
    /// Sends one message; a client that went away is ignored (the work still completes, so
    /// what was started is committed or rolled back by the store, never left half done).
    pub fn send(&self, m: JsonMessage) {
        let _ = self.0.blocking_send(m);
    }
}
