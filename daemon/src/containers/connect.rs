//! `docker network connect` and `disconnect`: the record's networks change (a stopped
//! container gets its endpoint at the next start), and a running one gets or loses its
//! endpoint now, with its next `ethN`; the default route follows the network libnetwork would
//! pick.

use std::collections::BTreeMap;
use std::sync::Arc;

use api::types::EndpointSettings;
use netdriver::AttachOptions;

use super::attachments::{self, NetRef};
use super::plumbing::Mode;
use super::{Container, Containers};
use crate::error::{Error, Result};
use crate::network::forbidden;

/// dockerd's `ErrConflictHostNetwork`.
const HOST_CONFLICT: &str =
    "container cannot be disconnected from host network or connected to host network";
/// dockerd's `ErrConflictSharedNetwork`.
const SHARED_CONFLICT: &str = "container sharing network namespace with another container or \
     host cannot be connected to any other network";
/// dockerd's `ErrConflictNoNetwork`.
const NONE_CONFLICT: &str = "container cannot be connected to multiple networks with one of the networks in private (none) mode";

impl Containers {
    /// Connects the container `term` names to network `name` (driver `driver`) with
    /// `settings`.
    pub(crate) async fn connect(
        &self,
        term: &str,
        name: &str,
        driver: &str,
        mut settings: EndpointSettings,
    ) -> Result<()> {
        let c = self.get(term)?;
        let _op = c.op.lock().await;
        let net = &self.inner.net;
        let rec = c.record();
        let mode = Mode::of(&rec.host_config, net)?;
        shared_stack(mode)?;
        match mode {
            Mode::None => return Err(Error::Invalid(NONE_CONFLICT.into())),
            _ if driver == "host" => return Err(Error::Invalid(HOST_CONFLICT.into())),
            _ if driver == "null" => return Err(Error::Invalid(NONE_CONFLICT.into())),
            _ => {}
        }
        let target = net
            .lookup(name)
            .ok_or_else(|| Error::NoSuchNetwork(name.to_owned()))?;
        let mut map = networks_of(&rec);
        if map.contains_key(&target.name) {
            return Err(forbidden(format!(
                "endpoint with name {} already exists in network {}",
                rec.name.trim_start_matches('/'),
                target.name
            )));
        }
        attachments::check(&settings, Some(&target))?;
        attachments::clear_live(&mut settings);
        let before = c.live().record.networks.clone();
        map.insert(target.name.clone(), settings);
        c.live().record.networks = Some(map);
        let running = c.live().run.as_ref().is_some_and(|r| r.netns.is_some());
        if running && let Err(e) = self.attach_now(&c, &target).await {
            c.live().record.networks = before;
            return Err(e);
        }
        c.save().await?;
        self.inner
            .events
            .network(&target.id, &target.name, "bridge", "connect", Some(&c.id));
        Ok(())
    }

    /// Gives a running container its endpoint on `target` (already in its record).
    async fn attach_now(&self, c: &Arc<Container>, target: &NetRef) -> Result<()> {
        let driver = self
            .inner
            .net
            .driver
            .as_ref()
            .ok_or_else(|| Error::NoSuchNetwork(target.name.clone()))?;
        let (rec, netns, used) = {
            let l = c.live();
            let run = l.run.as_ref();
            let used: Vec<String> = run
                .map(|r| r.endpoints.iter().map(|e| e.ifname.clone()).collect())
                .unwrap_or_default();
            let netns = run.and_then(|r| r.netns.clone());
            (l.record.clone(), netns, used)
        };
        let netns = netns.ok_or_else(|| Error::NotRunning(c.id.clone()))?;
        let atts = attachments::of(&rec.host_config, rec.networks.as_ref(), &self.inner.net);
        let gateway = attachments::gateway(&atts).map(|i| atts[i].name.clone());
        let settings = atts
            .iter()
            .find(|a| a.name == target.name)
            .map(|a| a.settings.clone())
            .unwrap_or_default();
        let ifname = (0..)
            .map(|i| format!("eth{i}"))
            .find(|n| !used.contains(n))
            .expect("an unbounded range always finds a free name");
        let opts = AttachOptions {
            ip: attachments::requested_ip(&settings)?,
            mac: attachments::requested_mac(&settings),
            ifname,
            default_route: gateway.as_deref() == Some(target.name.as_str()),
        };
        let ep = driver
            .attach_to(&target.driver_key, &c.id, &netns, &opts)
            .await?;
        let (rec, endpoints) = {
            let mut l = c.live();
            if let Some(s) = l
                .record
                .networks
                .as_mut()
                .and_then(|m| m.get_mut(&target.name))
                && target.user
            {
                s.ip_address = ep.ip.to_string();
            }
            if let Some(run) = l.run.as_mut() {
                run.endpoints.push(ep);
            }
            let endpoints = l
                .run
                .as_ref()
                .map(|r| r.endpoints.clone())
                .unwrap_or_default();
            (l.record.clone(), endpoints)
        };
        self.dns_up(&rec, &netns, &endpoints).await
    }

    /// Disconnects the container `term` names from network `name`; `force` also when the
    /// network is gone.
    pub(crate) async fn disconnect(&self, term: &str, name: &str, force: bool) -> Result<()> {
        let c = self.get(term)?;
        let _op = c.op.lock().await;
        let net = &self.inner.net;
        let rec = c.record();
        shared_stack(Mode::of(&rec.host_config, net)?)?;
        let target = net.lookup(name);
        let key = target.as_ref().map_or(name, |t| t.name.as_str()).to_owned();
        let mut map = networks_of(&rec);
        if map.remove(&key).is_none() {
            return Err(Error::Conflict(format!(
                "container {} is not connected to network {name}",
                c.id
            )));
        }
        c.live().record.networks = Some(map);
        c.save().await?;
        if let (Some(t), Some(driver)) = (&target, &net.driver) {
            let gone = {
                let mut l = c.live();
                l.run.as_mut().and_then(|run| {
                    let i = run
                        .endpoints
                        .iter()
                        .position(|e| e.network == t.driver_key)?;
                    Some(run.endpoints.remove(i))
                })
            };
            if let Some(ep) = gone {
                let (rec, left) = {
                    let l = c.live();
                    let left = l
                        .run
                        .as_ref()
                        .map(|r| r.endpoints.clone())
                        .unwrap_or_default();
                    (l.record.clone(), left)
                };
                let last = !super::dns::on_user_network(&left);
                self.dns_down(&c.id, std::slice::from_ref(&ep), last);
                if !last {
                    self.dns_names(&rec, &left);
                }
                driver.detach(&ep).await?;
                if ep.default_route {
                    self.reroute(&c).await;
                }
            }
            self.inner
                .events
                .network(&t.id, &t.name, "bridge", "disconnect", Some(&c.id));
        } else if !force {
            return Err(Error::NoSuchNetwork(name.to_owned()));
        }
        Ok(())
    }

    /// After the network that gave the default route went: the next one gives it.
    async fn reroute(&self, c: &Arc<Container>) {
        let Some(driver) = &self.inner.net.driver else {
            return;
        };
        let rec = c.record();
        let atts = attachments::of(&rec.host_config, rec.networks.as_ref(), &self.inner.net);
        let Some(gw) = attachments::gateway(&atts) else {
            return;
        };
        let key = atts[gw].net.as_ref().map(|n| n.driver_key.clone());
        let ep = {
            let l = c.live();
            l.run.as_ref().and_then(|r| {
                r.endpoints
                    .iter()
                    .find(|e| Some(&e.network) == key.as_ref())
                    .cloned()
            })
        };
        if let Some(ep) = ep
            && let Err(e) = driver.set_default_route(&ep).await
        {
            tracing::warn!(container = %c.id, error = %e, "cannot move the default route");
        }
    }
}

impl Containers {
    /// Records each user network's address of this run in the record's settings, so the next
    /// start asks for it again.
    pub(crate) fn remember_addresses(&self, c: &Container, run: &super::RunResources) {
        let net = &self.inner.net;
        let mut l = c.live();
        let Some(map) = l.record.networks.as_mut() else {
            return;
        };
        for (name, settings) in map.iter_mut() {
            let Some(n) = net.lookup(name).filter(|n| n.user) else {
                continue;
            };
            if let Some(ep) = run.endpoints.iter().find(|e| e.network == n.driver_key) {
                settings.ip_address = ep.ip.to_string();
            }
        }
    }
}

/// The record's networks; a record from before networks could be connected has its
/// `NetworkMode`'s alone.
fn networks_of(rec: &super::Record) -> BTreeMap<String, EndpointSettings> {
    rec.networks.clone().unwrap_or_else(|| {
        BTreeMap::from([(
            attachments::primary_name(&rec.host_config).to_owned(),
            EndpointSettings::default(),
        )])
    })
}

/// A container on the host's network or another container's has no network of its own to
/// connect or disconnect: dockerd's refusals.
fn shared_stack(mode: Mode) -> Result<()> {
    match mode {
        Mode::Host => Err(Error::Invalid(HOST_CONFLICT.into())),
        Mode::Container => Err(Error::Invalid(SHARED_CONFLICT.into())),
        _ => Ok(()),
    }
}
