//! A blob's body as a stream of bytes that checks itself: every chunk is hashed and counted as
//! it passes, and the stream's last item is an error unless the bytes hash to the descriptor's
//! digest and add up to its size. A truncated or corrupted body therefore never ends as a
//! success; the caller commits only after the stream ended cleanly.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};

use crate::digest::Hasher;
use crate::error::BlobKind;
use crate::{Digest, Error};

/// A verified blob body (`Stream<Item = Result<Bytes, Error>>`). Wrap it with
/// `tokio_util::io::StreamReader` for an `AsyncRead`.
pub struct BlobStream {
    body: Incoming,
    hasher: Option<Hasher>,
    digest: Digest,
    kind: BlobKind,
    expected: Option<u64>,
    got: u64,
    length: Option<u64>,
}

impl std::fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStream")
            .field("digest", &self.digest)
            .field("got", &self.got)
            .finish()
    }
}

impl BlobStream {
    /// Wraps a response body that should be `digest`, of `expected` bytes when known.
    pub(crate) fn new(
        body: Incoming,
        digest: Digest,
        kind: BlobKind,
        expected: Option<u64>,
    ) -> BlobStream {
        let length = body.size_hint().exact();
        BlobStream {
            body,
            hasher: Some(digest.hasher()),
            digest,
            kind,
            expected,
            got: 0,
            length,
        }
    }

    /// The total to show in progress: the descriptor's size, else the answer's
    /// `Content-Length`.
    pub fn total(&self) -> Option<u64> {
        self.expected.or(self.length)
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.got
    }

    /// The digest being verified.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Reads the whole blob into memory (configs, small blobs), verified.
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        use futures::StreamExt;
        let mut out = Vec::with_capacity(self.total().unwrap_or(0).min(64 << 20) as usize);
        while let Some(chunk) = self.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(Bytes::from(out))
    }

    /// The check at the end of the body.
    fn finish(&mut self) -> Option<Error> {
        let hasher = self.hasher.take()?;
        if let Some(expected) = self.expected
            && expected != self.got
        {
            return Some(self.size_error(expected));
        }
        if hasher.finish() != self.digest {
            return Some(Error::BlobVerification {
                kind: self.kind,
                digest: self.digest.to_string(),
            });
        }
        None
    }

    fn size_error(&self, expected: u64) -> Error {
        Error::BlobSize {
            kind: self.kind,
            digest: self.digest.to_string(),
            got: self.got,
            expected,
        }
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.hasher.is_none() {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(this.finish().map(Err)),
                Poll::Ready(Some(Err(e))) => {
                    this.hasher = None;
                    return Poll::Ready(Some(Err(Error::BlobRead {
                        kind: this.kind,
                        digest: this.digest.to_string(),
                        detail: e.to_string(),
                    })));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    this.got += data.len() as u64;
                    if let Some(expected) = this.expected
                        && this.got > expected
                    {
                        this.hasher = None;
                        return Poll::Ready(Some(Err(this.size_error(expected))));
                    }
                    if let Some(h) = this.hasher.as_mut() {
                        h.update(&data);
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
            }
        }
    }
}

/// Drains and drops a body (so its connection can be reused), ignoring what it says.
pub(crate) async fn discard(body: Incoming) {
    let _ = body.collect().await;
}
