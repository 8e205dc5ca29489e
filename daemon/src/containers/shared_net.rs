//! `--network container:NAME`: the run joins the network namespace of another running container
//! (`/proc/PID/ns/net` of its init) and shares its host name and `/etc/hosts`,
//! `/etc/resolv.conf` and `/etc/hostname` (copied from it at start), as moby's
//! `initializeNetworking` does; it gets no endpoint and connects to no network.

use std::path::{Path, PathBuf};

use super::etc::EtcFiles;
use super::{Containers, Record};
use crate::error::{Error, Result};

/// The container whose network a run joins.
pub(crate) struct NetDonor {
    /// Its network namespace.
    pub(crate) netns: PathBuf,
    /// Its directory (its `/etc` files).
    pub(crate) dir: PathBuf,
    /// Its host name, which the run takes.
    pub(crate) hostname: String,
}

impl Containers {
    /// The running container `rec`'s `NetworkMode` (`container:NAME`) names.
    pub(crate) fn network_donor(&self, rec: &Record) -> Result<NetDonor> {
        let term = rec
            .host_config
            .network_mode
            .strip_prefix("container:")
            .unwrap_or_default();
        let donor = self.get(term)?;
        let theirs = donor.record();
        let Some(netns) = super::namespaces::init_ns(&theirs, "net") else {
            return Err(Error::Conflict(format!(
                "cannot join network of a non running container: {}",
                donor.id
            )));
        };
        if donor.id == rec.id {
            return Err(Error::Invalid("cannot join own network namespace".into()));
        }
        let hostname = match theirs.config.hostname.as_str() {
            "" => theirs.short_id().to_owned(),
            h => h.to_owned(),
        };
        Ok(NetDonor {
            netns,
            dir: donor.dir.clone(),
            hostname,
        })
    }
}

/// Gives the run in `dir` the donor's `/etc` files. Blocks.
pub(crate) fn copy_etc(donor: &Path, dir: &Path) -> std::io::Result<()> {
    let (from, to) = (EtcFiles::of(donor), EtcFiles::of(dir));
    std::fs::copy(&from.hosts, &to.hosts)?;
    std::fs::copy(&from.resolv_conf, &to.resolv_conf)?;
    std::fs::copy(&from.hostname, &to.hostname)?;
    Ok(())
}
