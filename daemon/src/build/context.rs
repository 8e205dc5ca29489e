//! The build context: the tar the client sends (plain or compressed), extracted into a
//! directory of the data root's `tmp/` through `graph::tree::Root`, so a hostile name, link
//! or `..` never leaves it; and the Dockerfile read from it.

use std::io::Read;
use std::path::{Path, PathBuf};

use api::backend::ByteStream;
use graph::tree::{ExtractOptions, Root};
use nix::fcntl::OFlag;

use crate::blocking::blocking;
use crate::error::{Error, IoContext, Result};
use crate::images::bridge;

/// A received context; its directory is removed on drop.
#[derive(Debug)]
pub(super) struct Context {
    /// The directory holding the context's files.
    pub(super) dir: PathBuf,
}

impl Drop for Context {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot remove a build context");
        }
    }
}

impl Context {
    /// The context as a root that resolves every path inside it.
    pub(super) fn root(&self) -> Result<Root> {
        Ok(Root::open(&self.dir)?)
    }
}

/// Receives the whole context tar `body` into a new directory under `tmp`.
pub(super) async fn receive(tmp: &Path, body: ByteStream) -> Result<Context> {
    let id = crate::containers::random_hex_id()?;
    let ctx = Context {
        dir: tmp.join(format!("build-{}", &id[..16])),
    };
    let dir = ctx.dir.clone();
    let mut input = bridge::reader(body);
    blocking(move || -> Result<()> {
        std::fs::create_dir(&dir).with_ctx(|| format!("creating {}", dir.display()))?;
        let root = Root::open(&dir)?;
        // An empty body is an empty context (a Dockerfile given as `remote` is not supported).
        let mut first = [0u8; 1];
        let n = input.read(&mut first).ctx("reading the build context")?;
        if n == 0 {
            return Ok(());
        }
        let mut whole = std::io::Read::chain(&first[..n], input);
        let opts = ExtractOptions {
            no_overwrite_dir_non_dir: false,
            chown: None,
        };
        root.extract("/", &mut whole, &opts)
            .map_err(|e| Error::Invalid(format!("failed to read the build context: {e}")))
    })
    .await??;
    Ok(ctx)
}

/// The Dockerfile's text: `name` (`Dockerfile` when empty) resolved inside the context.
pub(super) async fn dockerfile(ctx: &Context, name: &str) -> Result<String> {
    let name = if name.is_empty() { "Dockerfile" } else { name }.to_owned();
    let root = ctx.root()?;
    blocking(move || {
        let missing = || Error::Invalid(format!("Cannot locate specified Dockerfile: {name}"));
        let fd = root
            .open_fd(&graph::tree::container_path(&name), OFlag::O_RDONLY)
            .map_err(|_| missing())?;
        let mut text = String::new();
        std::fs::File::from(fd)
            .read_to_string(&mut text)
            .map_err(|_| missing())?;
        if text.trim().is_empty() {
            return Err(Error::Invalid(format!(
                "the Dockerfile ({name}) cannot be empty"
            )));
        }
        Ok(text)
    })
    .await?
}
