//! `update`: new resource limits and restart policy, as moby's `ContainerUpdate`: the request
//! is checked as create's limits are (with the same warnings), merged into the recorded
//! `HostConfig` by `UpdateContainer`'s rules (a zero leaves a value as it is), saved, and
//! applied to a running (or paused) container with `runc update`; if that fails, the old
//! `HostConfig` is put back.

use api::types::{ContainerStatus, ContainerUpdateRequest, ContainerUpdateResponse, HostConfig};

use super::{Containers, validate};
use crate::blocking::blocking;
use crate::error::Error;

impl Containers {
    /// Updates the container `term` names.
    pub(crate) async fn update(
        self,
        term: String,
        req: ContainerUpdateRequest,
    ) -> Result<ContainerUpdateResponse, Error> {
        let c = self.get(&term)?;
        let mut asked = requested(&req);
        let facts = self.inner.facts.clone();
        let (asked, warnings) =
            blocking(move || validate::verify_update(&mut asked, &facts).map(|w| (asked, w)))
                .await??;
        let _op = c.op.lock().await;
        let cannot = |why: String| format!("Cannot update container {}: {why}", c.id);
        let (before, status) = {
            let mut l = c.live();
            let status = l.record.state.status;
            if matches!(status, ContainerStatus::Removing | ContainerStatus::Dead) {
                return Err(Error::Conflict(cannot(
                    "container is marked for removal and cannot be \"update\"".into(),
                )));
            }
            let before = l.record.host_config.clone();
            merge(&mut l.record.host_config, &asked).map_err(|m| Error::Conflict(cannot(m)))?;
            (before, status)
        };
        c.save().await?;
        // dockerd tells it once the record holds the update, even if runc then fails.
        self.event(&c, "update", &[]);
        if matches!(status, ContainerStatus::Running | ContainerStatus::Paused) {
            let live = live_resources(&asked, &c.record().host_config);
            let (runtime, id) = (self.inner.runtimes.holding(&c.id), c.id.clone());
            let applied = blocking(move || execdriver::update(&runtime, &id, &live)).await?;
            if let Err(e) = applied {
                c.live().record.host_config = before;
                c.save_or_warn().await;
                return Err(Error::System(cannot(e.to_string())));
            }
        }
        Ok(ContainerUpdateResponse { warnings })
    }
}

/// The update as a `HostConfig` (its resources and restart policy), for create's checks.
fn requested(req: &ContainerUpdateRequest) -> HostConfig {
    HostConfig {
        cpu_shares: req.cpu_shares,
        memory: req.memory,
        nano_cpus: req.nano_cpus,
        blkio_weight: req.blkio_weight,
        cpu_period: req.cpu_period,
        cpu_quota: req.cpu_quota,
        cpu_realtime_period: req.cpu_realtime_period,
        cpu_realtime_runtime: req.cpu_realtime_runtime,
        cpuset_cpus: req.cpuset_cpus.clone(),
        cpuset_mems: req.cpuset_mems.clone(),
        memory_reservation: req.memory_reservation,
        memory_swap: req.memory_swap,
        pids_limit: req.pids_limit,
        restart_policy: req.restart_policy.clone(),
        ..HostConfig::default()
    }
}

/// moby's `UpdateContainer`: the conflicts it refuses, then each value the update sets
/// replaces the recorded one. The message of a refusal follows "Cannot update container …: ".
fn merge(hc: &mut HostConfig, new: &HostConfig) -> Result<(), String> {
    let conflict = |m: &str| Err(format!("Conflicting options: {m}"));
    if new.nano_cpus > 0 && hc.cpu_period > 0 {
        return conflict("Nano CPUs cannot be updated as CPU Period has already been set");
    }
    if new.nano_cpus > 0 && hc.cpu_quota > 0 {
        return conflict("Nano CPUs cannot be updated as CPU Quota has already been set");
    }
    if new.cpu_period > 0 && hc.nano_cpus > 0 {
        return conflict("CPU Period cannot be updated as NanoCPUs has already been set");
    }
    if new.cpu_quota > 0 && hc.nano_cpus > 0 {
        return conflict("CPU Quota cannot be updated as NanoCPUs has already been set");
    }
    if new.memory != 0 && new.memory > hc.memory_swap && new.memory_swap == 0 {
        return Err(
            "Memory limit should be smaller than already set memoryswap limit, update \
                    the memoryswap at the same time"
                .into(),
        );
    }
    let policy = &new.restart_policy;
    if !policy.name.is_empty() && hc.auto_remove && policy.name != "no" {
        return Err(
            "Restart policy cannot be updated because AutoRemove is enabled for the container"
                .into(),
        );
    }
    let set = |field: &mut i64, v: i64| {
        if v != 0 {
            *field = v;
        }
    };
    if new.blkio_weight != 0 {
        hc.blkio_weight = new.blkio_weight;
    }
    set(&mut hc.cpu_shares, new.cpu_shares);
    set(&mut hc.nano_cpus, new.nano_cpus);
    set(&mut hc.cpu_period, new.cpu_period);
    set(&mut hc.cpu_quota, new.cpu_quota);
    if !new.cpuset_cpus.is_empty() {
        hc.cpuset_cpus.clone_from(&new.cpuset_cpus);
    }
    if !new.cpuset_mems.is_empty() {
        hc.cpuset_mems.clone_from(&new.cpuset_mems);
    }
    set(&mut hc.memory, new.memory);
    set(&mut hc.memory_swap, new.memory_swap);
    set(&mut hc.memory_reservation, new.memory_reservation);
    set(&mut hc.cpu_realtime_period, new.cpu_realtime_period);
    set(&mut hc.cpu_realtime_runtime, new.cpu_realtime_runtime);
    if new.pids_limit.is_some() {
        hc.pids_limit = new.pids_limit;
    }
    if !policy.name.is_empty() {
        hc.restart_policy = policy.clone();
    }
    Ok(())
}

/// What `runc update` is told: the limits the update set, from the merged `hc` (`--cpus` as a
/// quota over a 100 ms period).
fn live_resources(asked: &HostConfig, hc: &HostConfig) -> execdriver::Resources {
    let when = |set: bool, v: i64| set.then_some(v);
    let mut r = execdriver::Resources {
        memory: when(asked.memory != 0, hc.memory),
        memory_swap: when(asked.memory_swap != 0, hc.memory_swap),
        memory_reservation: when(asked.memory_reservation != 0, hc.memory_reservation),
        cpu_shares: u64::try_from(hc.cpu_shares)
            .ok()
            .filter(|_| asked.cpu_shares != 0),
        cpu_period: u64::try_from(hc.cpu_period)
            .ok()
            .filter(|_| asked.cpu_period != 0),
        cpu_quota: when(asked.cpu_quota != 0, hc.cpu_quota),
        cpuset_cpus: (!asked.cpuset_cpus.is_empty()).then(|| hc.cpuset_cpus.clone()),
        cpuset_mems: (!asked.cpuset_mems.is_empty()).then(|| hc.cpuset_mems.clone()),
        pids_limit: asked.pids_limit,
        blkio_weight: (asked.blkio_weight != 0).then_some(hc.blkio_weight),
        ..execdriver::Resources::default()
    };
    if asked.nano_cpus > 0 {
        let period: i64 = 100_000;
        r.cpu_period = Some(100_000);
        r.cpu_quota = Some(hc.nano_cpus.saturating_mul(period) / 1_000_000_000);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_as_moby_update_container() {
        let mut hc = HostConfig {
            memory: 64 << 20,
            memory_swap: 128 << 20,
            cpu_shares: 100,
            ..HostConfig::default()
        };
        let new = HostConfig {
            cpu_shares: 512,
            pids_limit: Some(10),
            ..HostConfig::default()
        };
        merge(&mut hc, &new).expect("merges");
        assert_eq!(
            (hc.memory, hc.cpu_shares, hc.pids_limit),
            (64 << 20, 512, Some(10))
        );

        let more = HostConfig {
            memory: 256 << 20,
            ..HostConfig::default()
        };
        let e = merge(&mut hc, &more).expect_err("above the swap limit");
        assert!(e.starts_with("Memory limit should be smaller"), "{e}");

        let mut nano = HostConfig {
            nano_cpus: 1_000_000_000,
            ..HostConfig::default()
        };
        let period = HostConfig {
            cpu_period: 50_000,
            ..HostConfig::default()
        };
        assert_eq!(
            merge(&mut nano, &period).expect_err("conflict"),
            "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set"
        );

        let mut auto = HostConfig {
            auto_remove: true,
            ..HostConfig::default()
        };
        let mut always = HostConfig::default();
        always.restart_policy.name = "always".into();
        assert!(merge(&mut auto, &always).is_err());
    }

    #[test]
    fn runc_is_told_what_the_update_set() {
        let asked = HostConfig {
            nano_cpus: 500_000_000,
            pids_limit: Some(0),
            ..HostConfig::default()
        };
        let hc = HostConfig {
            memory: 64 << 20,
            nano_cpus: 500_000_000,
            ..HostConfig::default()
        };
        let r = live_resources(&asked, &hc);
        assert_eq!(r.memory, None);
        assert_eq!((r.cpu_period, r.cpu_quota), (Some(100_000), Some(50_000)));
        assert_eq!(r.pids_limit, Some(0));
        assert!(execdriver::update_args(&r).contains(&"--pids-limit=-1".to_owned()));
    }
}
