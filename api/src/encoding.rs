//! The `Content-Encoding` of `GET /containers/{id}/archive`, as moby's `writeCompressedResponse`:
//! `gzip` or `deflate` (raw DEFLATE, as Go's `compress/flate` writes it) when the client's
//! `Accept-Encoding` prefers one (the Docker CLI's Go transport asks for gzip and inflates it
//! itself; docker-py's requests asks for `gzip, deflate`), the tar as it is otherwise.

use std::io::Write;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_ENCODING;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};
use futures::StreamExt;

use crate::backend::ByteStream;

/// An encoding the archive can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `gzip`.
    Gzip,
    /// `deflate`.
    Deflate,
}

impl Encoding {
    /// The `Content-Encoding` value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
        }
    }
}

/// The encoding the client's `Accept-Encoding` prefers among gzip and deflate (gddo's
/// `NegotiateContentEncoding`, which moby uses: the highest `q` wins, gzip on a tie, a `*`
/// matches either, and a best `q` of 0 means neither).
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Encoding> {
    let specs: Vec<(String, f64)> = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse_spec)
        .collect();
    let mut best: Option<(Encoding, f64)> = None;
    for offer in [Encoding::Gzip, Encoding::Deflate] {
        for (value, q) in &specs {
            let better = best.is_none_or(|(_, b)| *q > b);
            if better && (value == "*" || value == offer.name()) {
                best = Some((offer, *q));
            }
        }
    }
    best.filter(|(_, q)| *q > 0.0).map(|(e, _)| e)
}

/// One `value;q=0.5` element, the value lowercased; `q` is 1 when absent, the element dropped
/// when its `q` does not parse.
fn parse_spec(element: &str) -> Option<(String, f64)> {
    let mut parts = element.split(';');
    let value = parts.next()?.trim().to_ascii_lowercase();
    if value.is_empty() {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        let (k, v) = param.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("q") {
            q = v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    Some((value, q))
}

/// Either encoder, writing into a buffer the stream drains after every chunk.
enum Encoder {
    Gzip(GzEncoder<Vec<u8>>),
    Deflate(DeflateEncoder<Vec<u8>>),
}

impl Encoder {
    fn new(encoding: Encoding) -> Self {
        // Level 1: the archive goes over a local socket; dockerd's default level costs several
        // times the CPU for a few percent of bytes.
        match encoding {
            Encoding::Gzip => Self::Gzip(GzEncoder::new(Vec::new(), Compression::fast())),
            Encoding::Deflate => {
                Self::Deflate(DeflateEncoder::new(Vec::new(), Compression::fast()))
            }
        }
    }

    /// Compresses `chunk` and returns what is ready to send.
    fn push(&mut self, chunk: &[u8]) -> std::io::Result<Bytes> {
        match self {
            Self::Gzip(e) => {
                e.write_all(chunk)?;
                Ok(Bytes::from(std::mem::take(e.get_mut())))
            }
            Self::Deflate(e) => {
                e.write_all(chunk)?;
                Ok(Bytes::from(std::mem::take(e.get_mut())))
            }
        }
    }

    /// Ends the stream: the rest of the compressed data and the trailer.
    fn finish(self) -> std::io::Result<Bytes> {
        match self {
            Self::Gzip(e) => e.finish().map(Bytes::from),
            Self::Deflate(e) => e.finish().map(Bytes::from),
        }
    }
}

/// `body` compressed with `encoding`, chunk by chunk as it comes.
pub(crate) fn compress(body: ByteStream, encoding: Encoding) -> ByteStream {
    let state = (Some(body), Some(Encoder::new(encoding)));
    futures::stream::unfold(state, |(body, encoder)| async move {
        let mut body = body?;
        let mut encoder = encoder?;
        loop {
            match body.next().await {
                Some(Ok(chunk)) => match encoder.push(&chunk) {
                    Ok(out) if out.is_empty() => {}
                    Ok(out) => return Some((Ok(out), (Some(body), Some(encoder)))),
                    Err(e) => return Some((Err(e), (None, None))),
                },
                Some(Err(e)) => return Some((Err(e), (None, None))),
                None => return Some((encoder.finish(), (None, None))),
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::HeaderValue;

    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn negotiation_follows_gddo() {
        assert_eq!(negotiate(&HeaderMap::new()), None);
        assert_eq!(negotiate(&accept("gzip")), Some(Encoding::Gzip));
        assert_eq!(negotiate(&accept("gzip, deflate")), Some(Encoding::Gzip));
        assert_eq!(negotiate(&accept("deflate")), Some(Encoding::Deflate));
        assert_eq!(
            negotiate(&accept("gzip;q=0.5, deflate")),
            Some(Encoding::Deflate)
        );
        assert_eq!(negotiate(&accept("*")), Some(Encoding::Gzip));
        assert_eq!(negotiate(&accept("gzip;q=0")), None);
        assert_eq!(negotiate(&accept("identity")), None);
        assert_eq!(negotiate(&accept("br, GZIP")), Some(Encoding::Gzip));
    }

    async fn collect(s: ByteStream) -> Vec<u8> {
        s.map(|c| c.expect("chunk").to_vec())
            .collect::<Vec<_>>()
            .await
            .concat()
    }

    #[tokio::test]
    async fn compressed_streams_inflate_to_the_input() {
        let chunks: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; 10_000]).collect();
        let whole = chunks.concat();
        for enc in [Encoding::Gzip, Encoding::Deflate] {
            let body: ByteStream = futures::stream::iter(
                chunks
                    .clone()
                    .into_iter()
                    .map(|c| Ok::<_, std::io::Error>(Bytes::from(c))),
            )
            .boxed();
            let packed = collect(compress(body, enc)).await;
            assert!(packed.len() < whole.len() / 10, "{enc:?}: {}", packed.len());
            let mut out = Vec::new();
            match enc {
                Encoding::Gzip => flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut out),
                Encoding::Deflate => {
                    flate2::read::DeflateDecoder::new(&packed[..]).read_to_end(&mut out)
                }
            }
            .expect("inflate");
            assert_eq!(out, whole, "{enc:?}");
        }
    }

    #[tokio::test]
    async fn an_empty_body_is_a_valid_stream() {
        let packed = collect(compress(futures::stream::empty().boxed(), Encoding::Gzip)).await;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut out)
            .expect("inflate");
        assert!(out.is_empty());
    }
}
