//! The `local` driver's options (`docker volume create -o type=tmpfs -o device=tmpfs -o
//! o=size=100m`), as dockerd's `volume/local` takes them: checked at create, and the device
//! mounted on the volume's `_data` while at least one container uses it (the first user mounts,
//! the last unmounts). Without options a volume is a plain directory and nothing is mounted.

use std::collections::BTreeMap;
use std::path::Path;

use nix::mount::MsFlags;

use super::Volumes;
use crate::error::{Error, Result};

/// The keys the local driver knows.
const KEYS: [&str; 4] = ["type", "device", "o", "size"];

/// dockerd's `validateOpts`: known keys, each with the ones it needs (`device` and `type` go
/// together, `o` needs both), and `size` refused (quotas need XFS project quotas, which the
/// daemon does not set up).
pub(crate) fn validate(opts: &BTreeMap<String, String>) -> Result<(), String> {
    if let Some(k) = opts.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("invalid option: {k:?}"));
    }
    if opts
        .get("size")
        .is_some_and(|s| !matches!(s.trim(), "" | "0"))
    {
        return Err("quota size requested but no quota support".into());
    }
    let needs: [(&str, &[&str]); 3] = [
        ("device", &["type"]),
        ("type", &["device"]),
        ("o", &["device", "type"]),
    ];
    for (key, required) in needs {
        if opts.contains_key(key)
            && let Some(missing) = required.iter().find(|r| !opts.contains_key(**r))
        {
            return Err(format!("missing required option: {missing:?}"));
        }
    }
    Ok(())
}

/// moby/sys/mount's `parseOptions`: the words that are mount flags, and the rest as the
/// filesystem's data (`size=1m,uid=1000`).
fn flags_and_data(o: &str) -> (MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for word in o.split(',').filter(|w| !w.is_empty()) {
        let (set, clear) = match word {
            "ro" => (MsFlags::MS_RDONLY, MsFlags::empty()),
            "rw" => (MsFlags::empty(), MsFlags::MS_RDONLY),
            "nosuid" => (MsFlags::MS_NOSUID, MsFlags::empty()),
            "suid" => (MsFlags::empty(), MsFlags::MS_NOSUID),
            "nodev" => (MsFlags::MS_NODEV, MsFlags::empty()),
            "dev" => (MsFlags::empty(), MsFlags::MS_NODEV),
            "noexec" => (MsFlags::MS_NOEXEC, MsFlags::empty()),
            "exec" => (MsFlags::empty(), MsFlags::MS_NOEXEC),
            "sync" => (MsFlags::MS_SYNCHRONOUS, MsFlags::empty()),
            "async" => (MsFlags::empty(), MsFlags::MS_SYNCHRONOUS),
            "dirsync" => (MsFlags::MS_DIRSYNC, MsFlags::empty()),
            "noatime" => (MsFlags::MS_NOATIME, MsFlags::empty()),
            "atime" => (MsFlags::empty(), MsFlags::MS_NOATIME),
            "nodiratime" => (MsFlags::MS_NODIRATIME, MsFlags::empty()),
            "diratime" => (MsFlags::empty(), MsFlags::MS_NODIRATIME),
            "relatime" => (MsFlags::MS_RELATIME, MsFlags::empty()),
            "norelatime" => (MsFlags::empty(), MsFlags::MS_RELATIME),
            "strictatime" => (MsFlags::MS_STRICTATIME, MsFlags::empty()),
            "bind" => (MsFlags::MS_BIND, MsFlags::empty()),
            "rbind" => (MsFlags::MS_BIND | MsFlags::MS_REC, MsFlags::empty()),
            "defaults" => (MsFlags::empty(), MsFlags::empty()),
            other => {
                data.push(other);
                continue;
            }
        };
        flags = (flags | set) & !clear;
    }
    (flags, data.join(","))
}

impl Volumes {
    /// One more user of volume `name`: its device is mounted on `_data` if it has options and
    /// is not mounted yet (a mount left by an earlier run of the daemon is taken over). Blocks.
    pub(crate) fn acquire(&self, name: &str) -> Result<()> {
        let Some(opts) = self.options(name) else {
            return Ok(());
        };
        let mut users = self.users_map();
        let count = users.entry(name.to_owned()).or_default();
        let data = self.data_path(name);
        if *count == 0 && !crate::mountinfo::is_mounted(&data) {
            mount(&opts, &data)?;
        }
        *count += 1;
        Ok(())
    }

    /// One user fewer: the last one unmounts the device. Blocks.
    pub(crate) fn release(&self, name: &str) {
        if self.options(name).is_none() {
            return;
        }
        let mut users = self.users_map();
        let count = users.entry(name.to_owned()).or_default();
        *count = count.saturating_sub(1);
        if *count == 0 {
            users.remove(name);
            let data = self.data_path(name);
            if crate::mountinfo::is_mounted(&data)
                && let Err(e) = nix::mount::umount2(&data, nix::mount::MntFlags::MNT_DETACH)
            {
                tracing::warn!(volume = name, error = %e, "cannot unmount a local volume");
            }
        }
    }
}

/// dockerd's `localVolume.mount`: the device on `_data`, with the options' flags and data.
fn mount(opts: &BTreeMap<String, String>, data: &Path) -> Result<()> {
    let device = opts.get("device").map(String::as_str).unwrap_or_default();
    if device.is_empty() {
        return Err(Error::Invalid("missing device in volume options".into()));
    }
    let kind = opts.get("type").map(String::as_str).unwrap_or_default();
    let (flags, fs_data) = flags_and_data(opts.get("o").map(String::as_str).unwrap_or_default());
    let fail = |e: nix::errno::Errno| {
        let shown_flags = match flags.is_empty() {
            true => String::new(),
            false => format!(", flags: {:#x}", flags.bits()),
        };
        let path = data.display();
        Error::System(format!(
            "error while mounting volume '{path}': failed to mount local volume: mount \
             {device}:{path}{shown_flags}: {}",
            e.desc().to_lowercase()
        ))
    };
    let fs_data = (!fs_data.is_empty()).then_some(fs_data.as_str());
    nix::mount::mount(Some(device), data, Some(kind), flags, fs_data).map_err(fail)?;
    // `remount,ro` style flags need a second call for a bind, as the kernel ignores them on
    // the first one.
    if flags.contains(MsFlags::MS_BIND) && flags.contains(MsFlags::MS_RDONLY) {
        nix::mount::mount(
            None::<&str>,
            data,
            None::<&str>,
            flags | MsFlags::MS_REMOUNT,
            None::<&str>,
        )
        .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn options_checked_as_dockerd() {
        assert_eq!(validate(&opts(&[])), Ok(()));
        let tmpfs = [("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=1m")];
        assert_eq!(validate(&opts(&tmpfs)), Ok(()));
        assert_eq!(
            validate(&opts(&[("bogus", "1")])).unwrap_err(),
            "invalid option: \"bogus\""
        );
        assert_eq!(
            validate(&opts(&[("type", "tmpfs")])).unwrap_err(),
            "missing required option: \"device\""
        );
        assert_eq!(
            validate(&opts(&[("o", "size=1m")])).unwrap_err(),
            "missing required option: \"device\""
        );
        assert_eq!(
            validate(&opts(&[("size", "10m")])).unwrap_err(),
            "quota size requested but no quota support"
        );
    }

    #[test]
    fn mount_words_split_into_flags_and_data() {
        let (flags, data) = flags_and_data("size=1m,ro,uid=1000,noexec,bind");
        assert_eq!(
            flags,
            MsFlags::MS_RDONLY | MsFlags::MS_NOEXEC | MsFlags::MS_BIND
        );
        assert_eq!(data, "size=1m,uid=1000");
    }
}
