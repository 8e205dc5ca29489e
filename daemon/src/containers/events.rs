//! The events a container's operations tell (moby's `LogContainerEvent*`), and the network
//! and volume events its runs cause: `connect`/`disconnect` of the network it runs on,
//! `mount`/`unmount` of the named volumes it uses.

use std::sync::Arc;

use super::plumbing::Mode;
use super::{Container, Containers, attachments, mounts};
use crate::blocking::blocking;

impl Containers {
    /// Tells a container event about `c` as it is now: its name, image and labels, and
    /// `extra` (`exitCode`, `signal`, ...).
    pub(crate) fn event(&self, c: &Container, action: &str, extra: &[(&str, String)]) {
        let l = c.live();
        self.inner.events.container(&l.record, action, extra);
    }

    /// [`Containers::event`] for the container this ID or name finds, if it still exists (execs
    /// and health checks know their container by ID).
    pub(crate) fn event_by_id(&self, id: &str, action: &str, extra: &[(&str, String)]) {
        if let Ok(c) = self.get(id) {
            self.event(&c, action, extra);
        }
    }

    /// Tells `connect` or `disconnect` of each network `c` runs on (`bridge` and user
    /// networks, or `host` or `none`, whose driver dockerd calls `null`), as moby's
    /// `allocateNetwork` and `releaseNetwork` do for every run.
    pub(crate) fn network_event(&self, c: &Container, action: &str) {
        let (hc, networks) = {
            let l = c.live();
            (l.record.host_config.clone(), l.record.networks.clone())
        };
        let Ok(mode) = Mode::of(&hc, &self.inner.net) else {
            return;
        };
        let builtin = &self.inner.net.builtin;
        let events = &self.inner.events;
        match mode {
            Mode::Host => events.network(&builtin.host.id, "host", "host", action, Some(&c.id)),
            Mode::None => events.network(&builtin.none.id, "none", "null", action, Some(&c.id)),
            // It joins another container's network: nothing is connected (as dockerd).
            Mode::Container => {}
            Mode::Bridge | Mode::User => {
                for a in attachments::of(&hc, networks.as_ref(), &self.inner.net) {
                    if let Some(n) = a.net {
                        events.network(&n.id, &n.name, "bridge", action, Some(&c.id));
                    }
                }
            }
        }
    }

    /// Tells what releasing a run undoes, in moby's `Cleanup` order: `disconnect` (if it was
    /// connected), then `unmount` of its volumes (if they were mounted).
    pub(crate) async fn released(&self, c: &Arc<Container>, connected: bool, mounted: bool) {
        if connected {
            self.network_event(c, "disconnect");
        }
        if mounted {
            self.volume_events(c, false).await;
        }
    }

    /// Tells `mount` (at start) or `unmount` (after the run) of each named volume `c` mounts,
    /// with moby's attributes. A container with mounts may have many: they are copied and
    /// parsed again on the blocking pool, never on the async side.
    pub(crate) async fn volume_events(&self, c: &Arc<Container>, mount: bool) {
        let any = {
            let l = c.live();
            let hc = &l.record.host_config;
            hc.binds.as_ref().is_some_and(|b| !b.is_empty())
                || hc.mounts.as_ref().is_some_and(|m| !m.is_empty())
                || !l.record.anonymous_volumes.is_empty()
        };
        if !any {
            return;
        }
        let (c, events) = (Arc::clone(c), self.inner.events.clone());
        let _ = blocking(move || {
            let rec = c.live().record.clone();
            let Ok(binds) = mounts::of_record(&rec) else {
                return;
            };
            for b in binds {
                let Some(name) = &b.volume else { continue };
                let mut attrs = vec![("driver", "local".to_owned()), ("container", c.id.clone())];
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
