//! `stats`: samples of a container's cgroup (v1 or v2), the host's CPU time and the
//! container's network counters, in the JSON dockerd sends.
//!
//! dockerd samples every container once a second and a request without `stream` waits for two
//! samples (the first only primes `precpu_stats`), so `docker stats --no-stream` takes about
//! two seconds. Here a request reads the files itself: with `one-shot`, one sample; without
//! `stream`, two samples [`PRIME`] apart (so the CLI's CPU % is that of the last moment), the
//! first of them the container's last sample when one was read less than a second ago
//! ([`recent`]); a stream, one sample at once and then one a second, each with the previous one
//! as its `precpu_stats`. A container that is not running answers an empty sample (name and ID
//! only), as dockerd does; a stream ends when the container is removed.

mod net;
mod parse;
mod recent;
mod v1;
mod v2;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use api::backend::{StatsOptions, StatsStream};
use api::stats::{BlkioStats, ContainerStats, CpuStats, MemoryStats, PidsStats};
use api::types::ContainerStatus;
use jiff::Timestamp;

use super::cgroup::Cgroup;
use super::{Container, Containers};
use crate::blocking::blocking;
use crate::error::Error;

/// Between the two samples of a request without `stream`: long enough for `/proc/stat`'s
/// 10 ms ticks to give a CPU figure within a few per cent.
const PRIME: Duration = Duration::from_millis(100);
/// Between the samples of a stream (dockerd's collector interval).
const INTERVAL: Duration = Duration::from_secs(1);
/// The kernel's `USER_HZ`, the unit of `/proc/stat` and `cpuacct.stat`.
const CLOCK_TICKS: u64 = 100;

/// What one read of the cgroup gives.
#[derive(Debug, Default)]
pub(super) struct Usage {
    cpu: CpuStats,
    memory: MemoryStats,
    pids: PidsStats,
    blkio: BlkioStats,
}

/// What a sample needs to know about the container, taken under its lock.
struct Target {
    cgroup: Cgroup,
    /// The init process's host PID, when the container has a network namespace of its own.
    net_pid: Option<u32>,
}

impl Containers {
    /// The samples `GET /containers/{id}/stats` sends for the container `term` names.
    pub(crate) fn stats(&self, term: &str, opts: StatsOptions) -> Result<StatsStream, Error> {
        let c = self.get(term)?;
        if opts.stream && opts.one_shot {
            return Err(Error::Invalid(
                "cannot have stream=true and one-shot=true".into(),
            ));
        }
        let this = self.clone();
        if !opts.stream {
            let once = async move {
                let previous = match recent::previous(&c.id) {
                    Some(p) if !opts.one_shot => p,
                    _ => {
                        let first = this.sample(&c).await;
                        if opts.one_shot || first.read == mobyport::time::ZERO {
                            return first;
                        }
                        recent::remember(&c.id, &first);
                        tokio::time::sleep(PRIME).await;
                        first
                    }
                };
                let s = with_previous(this.sample(&c).await, &previous);
                recent::remember(&c.id, &s);
                s
            };
            return Ok(Box::pin(futures::stream::once(once)));
        }
        let samples = futures::stream::unfold(None, move |previous: Option<ContainerStats>| {
            let (this, c) = (this.clone(), Arc::clone(&c));
            async move {
                if previous.is_some() {
                    tokio::time::sleep(INTERVAL).await;
                }
                // A removed container's stream ends, as dockerd's collector stops publishing.
                if c.live().removed {
                    return None;
                }
                let mut s = this.sample(&c).await;
                if let Some(p) = &previous {
                    s = with_previous(s, p);
                }
                Some((s.clone(), Some(s)))
            }
        });
        Ok(Box::pin(samples))
    }

    /// One sample of `c` now (empty but for name and ID when it is not running).
    async fn sample(&self, c: &Arc<Container>) -> ContainerStats {
        let (name, target) = {
            let l = c.live();
            let rec = &l.record;
            let running = matches!(
                rec.state.status,
                ContainerStatus::Running | ContainerStatus::Paused
            );
            let own_netns = !matches!(rec.host_config.network_mode.as_str(), "host" | "none");
            let target = running.then(|| Target {
                cgroup: self.cgroup(rec),
                net_pid: u32::try_from(rec.state.pid).ok().filter(|_| own_netns),
            });
            (rec.name.clone(), target)
        };
        let empty = ContainerStats {
            read: mobyport::time::ZERO.to_owned(),
            preread: mobyport::time::ZERO.to_owned(),
            name,
            id: c.id.clone(),
            ..ContainerStats::default()
        };
        let Some(target) = target else {
            return empty;
        };
        let ncpu = u32::try_from(self.inner.facts.ncpu).unwrap_or(0);
        match blocking(move || read(&target, ncpu)).await {
            Ok(s) => ContainerStats {
                name: empty.name,
                id: empty.id,
                preread: empty.preread,
                ..s
            },
            Err(e) => {
                tracing::warn!(container = %c.id, error = %e, "cannot read the container's stats");
                empty
            }
        }
    }
}

/// `s` with `previous`'s CPU figures and time as its `precpu_stats` and `preread`.
fn with_previous(s: ContainerStats, previous: &ContainerStats) -> ContainerStats {
    ContainerStats {
        precpu_stats: previous.cpu_stats.clone(),
        preread: previous.read.clone(),
        ..s
    }
}

/// Reads the cgroup, the host's CPU time and the network counters (blocking).
fn read(t: &Target, ncpu: u32) -> ContainerStats {
    let read = Timestamp::now();
    let mut usage = match &t.cgroup {
        Cgroup::V1(_) => v1::read(&t.cgroup),
        Cgroup::V2(dir) => v2::read(dir),
    };
    // An unlimited cgroup reports a huge limit: dockerd shows the host's memory instead.
    let total = machine_memory();
    if total > 0 && usage.memory.limit > total {
        usage.memory.limit = total;
    }
    usage.cpu.system_cpu_usage = system_cpu_usage();
    usage.cpu.online_cpus = ncpu;
    ContainerStats {
        read: read.to_string(),
        pids_stats: usage.pids,
        blkio_stats: usage.blkio,
        cpu_stats: usage.cpu,
        memory_stats: usage.memory,
        networks: t.net_pid.and_then(net::read),
        ..ContainerStats::default()
    }
}

/// The host's CPU time since boot in nanoseconds (moby's `getSystemCPUUsage`: the first seven
/// figures of `/proc/stat`'s `cpu` line).
fn system_cpu_usage() -> u64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let ticks: u64 = line
        .split_whitespace()
        .skip(1)
        .take(7)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    ticks * (1_000_000_000 / CLOCK_TICKS)
}

/// The host's memory in bytes (`MemTotal`), read once.
fn machine_memory() -> u64 {
    static TOTAL: OnceLock<u64> = OnceLock::new();
    *TOTAL.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    })
}
