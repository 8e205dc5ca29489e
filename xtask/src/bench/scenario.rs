//! The benchmark scenarios: one table row each. A later issue adds its rows to [`ALL`] (and,
//! when it measures something new, a [`Metric`] variant and the [`Probe`] that takes it).

use super::engine::{Data, Launcher, Start};
use super::probe::Probe;
use super::stats::Unit;

/// A test image the image scenarios load (written by `testkit`'s `wharf-fixtures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fixture {
    /// `busybox:latest`: one layer, Debian's static busybox and its applet links.
    Busybox,
    /// `layered:1`: busybox plus three layers with whiteouts, links and a setuid file.
    Layered,
    /// `big:1`: busybox plus a layer of about 100 MB sampled from the host's `/usr`.
    Big,
}

/// A test image the pull and push rows put in a registry (written by `wharf-fixtures
/// --registry`), all made of the same ~100 MB sample of the host's `/usr` as [`Fixture::Big`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hosted {
    /// `bench/one:1`: the sample as one layer.
    One,
    /// `bench/five:1`: the sample cut into five layers of different sizes.
    Five,
    /// `bench/largest:1`: the largest of those five alone.
    Largest,
}

/// What a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// From launch to the first `OK` from `/_ping`.
    Ready,
    /// Resident memory of the daemon's process tree after a second of idleness.
    IdleRss,
    /// `docker load -i` of a fixture, by the real CLI, on a daemon with no images.
    Load(Fixture),
    /// A plain `tar -x` of the big fixture's large layer into an empty directory (taken in
    /// the same runs as the big load, right before each).
    TarExtract,
    /// How much wharfd's resident memory grows while `docker load -i` stores a ~1 GB image:
    /// its peak (`VmHWM`) during the load minus its `VmRSS` right before.
    LoadRssGrowth,
    /// That peak itself (taken in the same runs).
    LoadRssPeak,
    /// `docker images` with 1 000 tags (of one image) stored.
    ImagesList,
    /// `docker rmi` of those 1 000 tags, in one command.
    RmiTags,
    /// Finding an image by a unique ID prefix among 100 000, in the index alone.
    PrefixLookup,
    /// The same lookups through the store's name resolution, as `docker image inspect` does.
    PrefixResolve,
    /// The network step's bridge set-up: `docker0`, forwarding, state files, nftables table.
    BridgeSetup,
    /// Connecting a container's network namespace to the bridge.
    Attach,
    /// Disconnecting it.
    Detach,
    /// Connecting one while the previous one's veth is still being deleted.
    AttachBusy,
    /// `docker run --rm busybox true`, each run after the first on a cold daemon.
    Run,
    /// The first `docker run --rm busybox true` on a cold daemon (taken in the same runs).
    RunFirst,
    /// `runc run` of busybox's rootfs, with no daemon at all.
    RuncRun,
    /// `docker create busybox true` 100 times, one CLI call after the other (their sum).
    Create100,
    /// `docker ps -a` with those 100 containers.
    PsAll,
    /// `docker rm` of the 100, in one command.
    Rm100,
    /// Resident memory of the daemon's process tree a few seconds after a burst of large
    /// creates, every container removed again.
    BurstIdleRss,
    /// `docker run --rm busybox true` while 1 000 connections ping the daemon non-stop.
    StormRun,
    /// The 99th percentile of those pings' latency (taken in the same runs).
    StormPingP99,
    /// `docker pull` of an image from a local registry, on a daemon with no images.
    Pull(Hosted),
    /// The CPU time the daemon's process tree and the registry used during that pull.
    PullCpu(Hosted),
    /// `docker push` of a loaded image to an empty local registry.
    Push(Hosted),
    /// `docker stats --no-stream` of 20 running containers.
    StatsNoStream,
    /// `docker build` of 10 steps from busybox with a ~50 MB context, nothing cached.
    BuildFirst,
    /// The same build again, every step from the cache.
    BuildCached,
    /// The same build after one COPY source changed.
    BuildTouched,
    /// `docker exec c true` on a running busybox container.
    Exec,
    /// `docker network create` + `docker network rm` of one user network.
    NetworkCreateRm,
    /// `docker run --rm --network NET busybox true` on a user network.
    RunUserNet,
    /// A peer's name looked up from inside a container on a user network: the median run's p50.
    DnsLookupP50,
    /// The same lookups' p99.
    DnsLookupP99,
}

impl Metric {
    /// The unit of its samples.
    pub fn unit(self) -> Unit {
        match self {
            Metric::IdleRss
            | Metric::LoadRssGrowth
            | Metric::LoadRssPeak
            | Metric::BurstIdleRss => Unit::Mb,
            Metric::PrefixLookup
            | Metric::PrefixResolve
            | Metric::DnsLookupP50
            | Metric::DnsLookupP99 => Unit::Us,
            _ => Unit::Ms,
        }
    }

    /// What one run does to take it (one run may give several metrics).
    pub fn probe(self) -> Probe {
        match self {
            Metric::Ready => Probe::Ready,
            Metric::IdleRss => Probe::IdleRss,
            Metric::Load(f) => Probe::Load(f),
            Metric::TarExtract => Probe::Load(Fixture::Big),
            Metric::LoadRssGrowth | Metric::LoadRssPeak => Probe::LoadRss,
            Metric::ImagesList | Metric::RmiTags => Probe::Tags,
            Metric::PrefixLookup | Metric::PrefixResolve => Probe::Prefix,
            Metric::BridgeSetup | Metric::Attach | Metric::Detach | Metric::AttachBusy => {
                Probe::Endpoints
            }
            Metric::Run | Metric::RunFirst => Probe::Run,
            Metric::RuncRun => Probe::Runc,
            Metric::Create100 | Metric::PsAll | Metric::Rm100 => Probe::Containers,
            Metric::BurstIdleRss => Probe::Burst,
            Metric::StormRun | Metric::StormPingP99 => Probe::Storm,
            Metric::Pull(h) | Metric::PullCpu(h) => Probe::Pull(h),
            Metric::Push(h) => Probe::Push(h),
            Metric::StatsNoStream => Probe::Stats,
            Metric::Exec => Probe::Exec,
            Metric::BuildFirst | Metric::BuildCached | Metric::BuildTouched => Probe::Build,
            Metric::NetworkCreateRm
            | Metric::RunUserNet
            | Metric::DnsLookupP50
            | Metric::DnsLookupP99 => Probe::UserNetworks,
        }
    }
}

/// A goal an issue sets for wharfd's median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// At most this much, in the metric's unit.
    AtMost(f64),
    /// Less than this much, in the metric's unit.
    Below(f64),
    /// At least this many times faster than dockerd (median over median).
    FasterThanPeer(f64),
    /// At most this many times wharfd's median of the row measuring that metric.
    WithinOf(f64, Metric),
}

/// One row of the table.
#[derive(Debug)]
pub struct Scenario {
    /// The row's label.
    pub name: &'static str,
    /// The issue that asked for it.
    pub issue: u8,
    /// What is measured.
    pub metric: Metric,
    /// How each engine (by name) is started for it; an engine not listed shows `-`. Rows that
    /// start no daemon (a tool of their own) list `wharfd` only, with [`DIRECT`].
    pub starts: &'static [(&'static str, Start)],
    /// The issue's targets for wharfd's median.
    pub targets: &'static [Target],
    /// Only worth running next to a peer (it exists to make the comparison fair).
    pub needs_peer: bool,
}

impl Scenario {
    /// How `engine` is started for this row, if it takes part.
    pub fn start_for(&self, engine: &str) -> Option<&Start> {
        self.starts
            .iter()
            .find(|(name, _)| *name == engine)
            .map(|(_, s)| s)
    }
}

/// xtask's own launcher, default flags, a fresh data root.
pub const DIRECT: Start = Start {
    launcher: Launcher::Direct,
    args: &[],
    data: Data::Fresh,
};
const RECIPE: Start = Start {
    launcher: Launcher::Recipe,
    args: &[],
    data: Data::Fresh,
};
const NO_BRIDGE: &[&str] = &["--bridge=none"];
/// Each engine its usual way: wharfd by xtask, dockerd by its recipe.
const BOTH: &[(&str, Start)] = &[("wharfd", DIRECT), ("dockerd", RECIPE)];
/// wharfd alone (rows without a comparable dockerd figure, or without a daemon at all).
const WHARFD: &[(&str, Start)] = &[("wharfd", DIRECT)];

/// Every scenario, in table order. Identical (engine, probe, start) runs are taken once and
/// shared between rows.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "ready, default settings",
        issue: 2,
        metric: Metric::Ready,
        starts: BOTH,
        targets: &[Target::AtMost(50.0)],
        needs_peer: false,
    },
    Scenario {
        name: "ready, --bridge=none",
        issue: 2,
        metric: Metric::Ready,
        starts: &[
            (
                "wharfd",
                Start {
                    args: NO_BRIDGE,
                    ..DIRECT
                },
            ),
            (
                "dockerd",
                Start {
                    args: NO_BRIDGE,
                    ..RECIPE
                },
            ),
        ],
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "ready, both by the recipe (curl/5ms)",
        issue: 2,
        metric: Metric::Ready,
        starts: &[("wharfd", RECIPE), ("dockerd", RECIPE)],
        targets: &[],
        needs_peer: true,
    },
    Scenario {
        name: "idle RSS, default settings",
        issue: 2,
        metric: Metric::IdleRss,
        starts: BOTH,
        targets: &[Target::AtMost(15.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker load: busybox (1 layer)",
        issue: 3,
        metric: Metric::Load(Fixture::Busybox),
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker load: multi-layer (4 layers)",
        issue: 3,
        metric: Metric::Load(Fixture::Layered),
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker load: ~100 MB (/usr sample)",
        issue: 3,
        metric: Metric::Load(Fixture::Big),
        starts: BOTH,
        targets: &[
            Target::FasterThanPeer(2.0),
            Target::WithinOf(1.2, Metric::TarExtract),
        ],
        needs_peer: false,
    },
    Scenario {
        name: "  plain tar -x of its /usr layer, same runs",
        issue: 3,
        metric: Metric::TarExtract,
        starts: WHARFD,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "RSS growth while loading a ~1 GB image",
        issue: 3,
        metric: Metric::LoadRssGrowth,
        starts: WHARFD,
        targets: &[Target::AtMost(64.0)],
        needs_peer: false,
    },
    Scenario {
        name: "  peak RSS (VmHWM) in those ~1 GB loads",
        issue: 3,
        metric: Metric::LoadRssPeak,
        starts: WHARFD,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker images, 1000 tags",
        issue: 3,
        metric: Metric::ImagesList,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker rmi of 1000 tags, one command",
        issue: 3,
        metric: Metric::RmiTags,
        starts: BOTH,
        targets: &[Target::AtMost(500.0)],
        needs_peer: false,
    },
    Scenario {
        name: "prefix lookup among 100k IDs (index)",
        issue: 3,
        metric: Metric::PrefixLookup,
        starts: WHARFD,
        targets: &[Target::Below(10.0)],
        needs_peer: false,
    },
    Scenario {
        name: "prefix lookup among 100k IDs (resolve)",
        issue: 3,
        metric: Metric::PrefixResolve,
        starts: WHARFD,
        targets: &[Target::Below(10.0)],
        needs_peer: false,
    },
    Scenario {
        name: "ready, 10k images stored",
        issue: 3,
        metric: Metric::Ready,
        starts: &[(
            "wharfd",
            Start {
                data: Data::Images10k,
                ..DIRECT
            },
        )],
        targets: &[Target::AtMost(100.0)],
        needs_peer: false,
    },
    Scenario {
        name: "bridge set-up (network step, incl. nft)",
        issue: 4,
        metric: Metric::BridgeSetup,
        starts: WHARFD,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "endpoint attach",
        issue: 4,
        metric: Metric::Attach,
        starts: WHARFD,
        targets: &[Target::AtMost(5.0)],
        needs_peer: false,
    },
    Scenario {
        name: "endpoint detach",
        issue: 4,
        metric: Metric::Detach,
        starts: WHARFD,
        targets: &[Target::AtMost(5.0)],
        needs_peer: false,
    },
    Scenario {
        name: "endpoint attach, right after a detach",
        issue: 4,
        metric: Metric::AttachBusy,
        starts: WHARFD,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker run --rm busybox true",
        issue: 5,
        metric: Metric::Run,
        starts: BOTH,
        targets: &[Target::AtMost(100.0)],
        needs_peer: false,
    },
    Scenario {
        name: "  the first run on each cold daemon",
        issue: 5,
        metric: Metric::RunFirst,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "  runc run of its rootfs alone (no daemon)",
        issue: 5,
        metric: Metric::RuncRun,
        starts: WHARFD,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker create x100 (100 CLI calls, total)",
        issue: 5,
        metric: Metric::Create100,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker ps -a, 100 containers",
        issue: 5,
        metric: Metric::PsAll,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker rm of 100 containers, one command",
        issue: 5,
        metric: Metric::Rm100,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "idle RSS after a burst of 50 creates (20k binds each)",
        issue: 10,
        metric: Metric::BurstIdleRss,
        starts: BOTH,
        targets: &[Target::Below(20.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker run --rm under 1000 busy connections",
        issue: 10,
        metric: Metric::StormRun,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "  /_ping p99 meanwhile",
        issue: 10,
        metric: Metric::StormPingP99,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker pull: ~100 MB, 1 layer (local registry)",
        issue: 11,
        metric: Metric::Pull(Hosted::One),
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker pull: the same ~100 MB in 5 layers",
        issue: 11,
        metric: Metric::Pull(Hosted::Five),
        starts: BOTH,
        targets: &[
            Target::FasterThanPeer(2.0),
            Target::WithinOf(1.3, Metric::Pull(Hosted::Largest)),
        ],
        needs_peer: false,
    },
    Scenario {
        name: "  CPU used by the 5-layer pull (daemon + registry)",
        issue: 11,
        metric: Metric::PullCpu(Hosted::Five),
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "  pull of its largest layer alone",
        issue: 11,
        metric: Metric::Pull(Hosted::Largest),
        starts: WHARFD,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "  CPU used by that pull (daemon + registry)",
        issue: 11,
        metric: Metric::PullCpu(Hosted::Largest),
        starts: WHARFD,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker push: ~100 MB, 1 layer (empty registry)",
        issue: 11,
        metric: Metric::Push(Hosted::One),
        starts: BOTH,
        targets: &[Target::FasterThanPeer(1.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker push: the same in 5 layers",
        issue: 11,
        metric: Metric::Push(Hosted::Five),
        starts: BOTH,
        targets: &[Target::FasterThanPeer(1.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker stats --no-stream of 20 containers",
        issue: 12,
        metric: Metric::StatsNoStream,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(3.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker exec c true",
        issue: 12,
        metric: Metric::Exec,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(3.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker build, 10 steps, 50 MB context",
        issue: 15,
        metric: Metric::BuildFirst,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker build, fully cached",
        issue: 15,
        metric: Metric::BuildCached,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(3.3)],
        needs_peer: false,
    },
    Scenario {
        name: "docker build, one COPY source touched",
        issue: 15,
        metric: Metric::BuildTouched,
        starts: BOTH,
        targets: &[],
        needs_peer: false,
    },
    Scenario {
        name: "docker network create + rm",
        issue: 14,
        metric: Metric::NetworkCreateRm,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
    Scenario {
        name: "docker run --rm on a user network",
        issue: 14,
        metric: Metric::RunUserNet,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
    Scenario {
        name: "DNS lookup of a peer from a container, p50",
        issue: 14,
        metric: Metric::DnsLookupP50,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
    Scenario {
        name: "DNS lookup of a peer from a container, p99",
        issue: 14,
        metric: Metric::DnsLookupP99,
        starts: BOTH,
        targets: &[Target::FasterThanPeer(2.0)],
        needs_peer: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_targets_name_a_measured_row() {
        for s in ALL {
            for t in s.targets {
                if let Target::WithinOf(_, m) = t {
                    assert!(ALL.iter().any(|r| r.metric == *m), "{}", s.name);
                }
            }
        }
    }

    #[test]
    fn rows_without_a_daemon_are_wharfd_only() {
        for s in ALL {
            if !s.metric.probe().starts_daemon() {
                assert_eq!(s.starts.len(), 1, "{}", s.name);
                assert_eq!(s.start_for("wharfd"), Some(&DIRECT), "{}", s.name);
            }
        }
    }
}
