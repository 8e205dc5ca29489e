//! `POST /build` against the fake backend: what the route parsed reaches it, and the answer is
//! a jsonmessage stream.

use super::{Fake, call};
use crate::Error;
use crate::backend::{BuildBackend, BuildOptions, ByteStream, MessageStream};
use crate::types::JsonMessage;

/// Answers one stream line that says what the route passed on.
impl BuildBackend for Fake {
    async fn build(&self, _body: ByteStream, opts: BuildOptions) -> Result<MessageStream, Error> {
        let line = format!(
            "tags={:?} file={} rm={} args={:?}",
            opts.tags, opts.dockerfile, opts.remove, opts.build_args
        );
        Ok(Box::pin(futures::stream::iter([JsonMessage::stream(line)])))
    }
}

#[tokio::test]
async fn build_passes_the_query_on() {
    let (status, _, body) = call(
        "POST",
        "/v1.41/build?t=a%3A1&t=b&dockerfile=D&buildargs=%7B%22X%22%3A%221%22%7D",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body.trim(),
        r#"{"stream":"tags=[\"a:1\", \"b\"] file=D rm=true args={\"X\": Some(\"1\")}"}"#
    );
    let (status, _, body) = call("POST", "/build?memory=lots").await;
    assert_eq!(status, 400, "{body}");
}
