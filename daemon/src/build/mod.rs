//! `POST /build`: dockerd's classic builder on wharf's own pieces.
//!
//! The context tar is received whole and extracted into a directory of `tmp/` through
//! `graph::tree::Root` (hostile names, links and `..` contained as for `docker cp`), the
//! Dockerfile is parsed and checked by the `dockerfile` crate (a refusal is the answer's
//! status, as dockerd's), then the steps run in a task of their own and stream dockerd's
//! lines. Every step commits through the image store's commit path (`commit_container`): a
//! metadata step commits an intermediate container that never runs (config only, no layer),
//! RUN one that ran, COPY and ADD one whose tree got the files (`docker cp`'s extraction).
//! An interrupted build leaves the images of the steps done and nothing partial.
//!
//! `context` receives the tar, `steps` runs the instructions, `copy` makes COPY's and ADD's
//! tars, `cache` finds a step already built (`cache_from` in
//! `--cache-from` images), `describe` writes what `docker history` shows, `remote`
//! fetches a `remote=` context (URL or git).

mod cache;
mod cache_from;
mod chown;
mod context;
mod copy;
mod describe;
mod remote;
mod steps;

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
        check_platform(&opts.platform)?;
        // dockerd checks the names before it reads the context.
        for t in &opts.tags {
            graph::Reference::parse_normalized(t).map_err(Error::from)?;
        }
        // A remote context replaces the body (dockerd reads no body then).
        let (ctx, remote_file, progress) = if opts.remote.is_empty() {
            (context::receive(&self.root.tmp, body).await?, None, None)
        } else {
            let r = remote::receive(&self.root.tmp, &opts.remote).await?;
            (r.ctx, r.dockerfile, r.progress)
        };
        let file = match remote_file {
            Some(text) => text,
            None => context::dockerfile(&ctx, &opts.dockerfile).await?,
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
