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
//! `receive` reads the context tar into a `context` (`ignore` reads its `.dockerignore` for
//! the two build files moby takes out), `remote` fetches a `remote=` context
//! (URL or git), `steps` runs the instructions, `copy` makes COPY's and ADD's tars,
//! `checksum` their checksum from the context's index, `cache` finds a step already built
//! (`cache_from` in `--cache-from` images), `describe` writes what `docker history` shows,
//! `memo` remembers files' digests, `cache_dir` holds the memo and prunes it.

mod cache;
mod cache_dir;
mod cache_from;
mod checksum;
mod chown;
mod context;
mod copy;
mod describe;
mod ignore;
mod memo;
mod receive;
mod remote;
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
        tracing::debug!("build request");
        check_platform(&opts.platform)?;
        // dockerd checks the names before it reads the context.
        for t in &opts.tags {
            graph::Reference::parse_normalized(t).map_err(Error::from)?;
        }
        // A remote context replaces the body (dockerd reads no body then).
        let (mut ctx, remote_file, progress) = if opts.remote.is_empty() {
            let memo = self.build_cache.memo();
            let (ctx, _) = receive::receive_with(&self.root.tmp, body, memo).await?;
            (ctx, None, None)
        } else {
            let r = remote::receive(&self.root.tmp, &opts.remote).await?;
            (r.ctx, r.dockerfile, r.progress)
        };
        let file = match remote_file {
            Some(text) => text,
            None => {
                let (text, name) = context::dockerfile(&ctx, &opts.dockerfile).await?;
                ctx.drop_build_files(&name).await?;
                text
            }
        };
        let plan = steps::Plan::new(&file, &opts)?;
        let (tx, stream) = bridge::unbounded_message_channel();
        if let Some(m) = progress.filter(|_| !opts.quiet) {
            tx.send(m);
        }
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
