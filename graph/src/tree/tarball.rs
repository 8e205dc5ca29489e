//! `GET /containers/{id}/archive`: a path of the container as a tar, named as dockerd's
//! `containerArchivePath` names it.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;

use nix::fcntl::OFlag;

use super::path::{go_base, go_split};
use super::walk::TarWalker;
use super::{PathStat, Root};
use crate::error::{Error, Result};

impl Root {
    /// Writes `abs` (stat'ed as `stat`) as a tar. A directory is walked through (a final link
    /// of a path ending in `/` or `/.` followed, as its stat was), its entries named after the
    /// last element of `abs` (`dir/...`; `./...` for `/dir/.`; `/...` for `/`, as moby's
    /// `TarResourceRebase` does); anything else is one entry named after that element.
    pub fn archive(&self, abs: &str, stat: &PathStat, out: &mut dyn Write) -> Result<()> {
        let open_fail = |e| Error::io(format!("open {abs}"), e);
        let mut w = TarWalker::new(out);
        if stat.is_dir() {
            let dir = self
                .open_in(abs, OFlag::O_RDONLY | OFlag::O_DIRECTORY)
                .map_err(open_fail)?;
            let name = match go_base(abs) {
                "/" => "",
                base => base,
            };
            w.dir_tree(File::from(dir), name)?;
        } else {
            let (dir, base) = go_split(abs);
            let parent = self.open_dir_in(dir).map_err(open_fail)?;
            w.entry(parent.as_fd(), base.as_bytes(), base, false)?;
        }
        w.finish()
    }
}
