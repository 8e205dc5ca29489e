//! The events a container's operations tell (moby's `LogContainerEvent*`), and the network
//! and volume events its runs cause: `connect`/`disconnect` of the network it runs on,
//! `mount`/`unmount` of the named volumes it uses.

use super::plumbing::Mode;
use super::{Container, Containers, Record, mounts};
use crate::blocking::blocking;

impl Containers {
    /// Tells a container event about `c` as it is now: its name, image and labels, and
    /// `extra` (`exitCode`, `signal`, ...).
    pub(crate) fn event(&self, c: &Container, action: &str, extra: &[(&str, String)]) {
        let l = c.live();
        self.inner.events.container(&l.record, action, extra);
    }

    /// Tells `connect` or `disconnect` of the network `rec` runs on (`bridge`, `host` or
    /// `none`, whose driver dockerd calls `null`), as moby's `allocateNetwork` and
    /// `releaseNetwork` do for every run.
    pub(crate) fn network_event(&self, rec: &Record, action: &str) {
        let Ok(mode) = Mode::of(&rec.host_config, &self.inner.net) else {
            return;
        };
        let builtin = &self.inner.net.builtin;
        let (network, driver) = match mode {
            Mode::Bridge => (&builtin.bridge, "bridge"),
            Mode::Host => (&builtin.host, "host"),
            Mode::None => (&builtin.none, "null"),
        };
        self.inner
            .events
            .network(&network.id, mode.name(), driver, action, Some(&rec.id));
    }

    /// Tells what releasing a run undoes, in moby's `Cleanup` order: `disconnect` (if it was
    /// connected), then `unmount` of its volumes (if they were mounted).
    pub(crate) async fn released(&self, rec: &Record, connected: bool, volumes_mounted: bool) {
        if connected {
            self.network_event(rec, "disconnect");
        }
        if volumes_mounted {
            self.volume_events(rec, false).await;
        }
    }

    /// Tells `mount` (at start) or `unmount` (after the run) of each named volume `rec`
    /// mounts, with moby's attributes. The mounts are parsed again on the blocking pool (a
    /// container may have many).
    pub(crate) async fn volume_events(&self, rec: &Record, mount: bool) {
        let hc = &rec.host_config;
        if hc.binds.as_ref().is_none_or(Vec::is_empty)
            && hc.mounts.as_ref().is_none_or(Vec::is_empty)
        {
            return;
        }
        let (rec, events) = (rec.clone(), self.inner.events.clone());
        let _ = blocking(move || {
            let Ok((binds, _)) = mounts::parse(&rec.host_config, &rec.config) else {
                return;
            };
            for b in binds {
                let Some(name) = &b.volume else { continue };
                let mut attrs = vec![
                    ("driver", "local".to_owned()),
                    ("container", rec.id.clone()),
                ];
                if mount {
                    let point = b.mount_point();
                    attrs.push(("destination", point.destination));
                    attrs.push(("read/write", point.rw.to_string()));
                    attrs.push(("propagation", point.propagation));
                }
                let action = if mount { "mount" } else { "unmount" };
                events.volume(name, action, &attrs);
            }
        })
        .await;
    }
}
