//! `POST /build`: dockerd's classic builder on wharf's own pieces.
//!
//! The context tar is received whole, spooled to `tmp/` and indexed with every file's
//! checksum (the `memo` saves hashing what did not change), extracted through
//! `graph::tree::Root` (hostile names, links and `..` contained as for `docker cp`) only
//! when a COPY or ADD needs its files, the
//! Dockerfile is parsed and checked by the `dockerfile` crate (a refusal is the answer's
//! status, as dockerd's), then the steps run in a task of their own and stream dockerd's
//! lines. Every step commits through the image store's commit path (`commit_container`): a
//! metadata step commits an intermediate container that never runs (config only, no layer),
//! RUN one that ran, COPY and ADD one whose tree got the files (`docker cp`'s extraction).
//! An interrupted build leaves the images of the steps done and nothing partial.
//!
//! `receive` reads the context tar into a `context`, `steps` runs the instructions, `copy` makes COPY's and ADD's
//! tars, `checksum` their checksum from the context's index, `cache` finds a step already
//! built, `describe` writes what `docker history` shows, `memo` remembers files' digests,
//! `cache_dir` holds the memo and prunes it.

mod cache;
mod cache_dir;
mod checksum;
mod context;
mod copy;
mod describe;
mod memo;
mod receive;
mod steps;

pub use cache_dir::BuildCache;

use api::backend::{BuildBackend, BuildOptions, ByteStream, MessageStream};

use crate::daemon::Daemon;
use crate::error::Error;
use crate::images::bridge;

impl BuildBackend for Daemon {
    async fn build(
        &self,
        body: ByteStream,
        opts: BuildOptions,
    ) -> Result<MessageStream, api::Error> {
        if !opts.remote.is_empty() {
            return Err(Error::NotImplemented(
                "building from a remote context is not supported: send the context as a tar".into(),
            )
            .into());
        }
        tracing::debug!("build request");
        check_platform(&opts.platform)?;
        // dockerd checks the names before it reads the context.
        for t in &opts.tags {
            graph::Reference::parse_normalized(t).map_err(Error::from)?;
        }
        let memo = self.build_cache.memo();
        let (ctx, _) = receive::receive_with(&self.root.tmp, body, memo).await?;
        let file = context::dockerfile(&ctx, &opts.dockerfile).await?;
        let plan = steps::Plan::new(&file, &opts)?;
        let (tx, stream) = bridge::unbounded_message_channel();
        let builder = steps::Builder::new(self, opts, ctx, tx);
        tokio::spawn(builder.run(plan));
        Ok(stream)
    }
}

/// Only the host's platform can be built (there is no emulation).
fn check_platform(p: &str) -> Result<(), Error> {
    let host = format!("linux/{}", graph::go_arch());
    let p = p.trim().to_ascii_lowercase();
    if p.is_empty() || p == "linux" || p == host {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "\"{p}\": platform not supported: this daemon builds {host} only"
    )))
}
