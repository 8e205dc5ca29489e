//! The benchmark scenarios: one table row each. A later issue adds its row to [`ALL`] (and,
//! when it measures something new, a [`Metric`] variant with its one-sample function).

use std::time::Duration;

use anyhow::Result;

use super::engine::{Engine, Launcher, Start};
use super::stats::Unit;
use super::{interrupt, procs};

/// How long a daemon sits idle before its memory is read.
const IDLE: Duration = Duration::from_secs(1);
/// Cold starts behind each idle-memory figure (each costs [`IDLE`]).
const RSS_RUNS: usize = 3;

/// What a scenario measures; each sample is one cold start of a daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// From launch to the first `OK` from `/_ping`.
    Ready,
    /// Resident memory of the daemon's process tree after [`IDLE`] of idleness.
    IdleRss,
}

impl Metric {
    /// The unit of its samples.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Ready => Unit::Ms,
            Metric::IdleRss => Unit::Mb,
        }
    }

    /// How many samples make one figure, given the requested number of cold starts.
    pub fn runs(self, cold_starts: usize) -> usize {
        match self {
            Metric::Ready => cold_starts,
            Metric::IdleRss => RSS_RUNS.min(cold_starts),
        }
    }

    /// One sample: starts a daemon of `engine` as `how` says, measures, stops it.
    pub fn sample(self, engine: &dyn Engine, how: &Start) -> Result<f64> {
        let daemon = engine.start(how)?;
        match self {
            Metric::Ready => Ok(daemon.ready().as_secs_f64() * 1000.0),
            Metric::IdleRss => {
                interrupt::sleep(IDLE)?;
                let (kb, _) = procs::rss_tree_kb(daemon.pid())?;
                Ok(kb as f64 / 1024.0)
            }
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Scenario {
    /// The row's label.
    pub name: &'static str,
    /// What is measured.
    pub metric: Metric,
    /// How each engine (by name) is started for it; an engine not listed shows `-`.
    pub starts: &'static [(&'static str, Start)],
    /// The most wharfd's median may be (issue 2's targets), when the row has a target.
    pub target: Option<f64>,
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

const DIRECT: Start = Start {
    launcher: Launcher::Direct,
    args: &[],
};
const RECIPE: Start = Start {
    launcher: Launcher::Recipe,
    args: &[],
};
const NO_BRIDGE: &[&str] = &["--bridge=none"];

/// Every scenario, in table order. Identical (engine, metric, start) measurements are taken
/// once and shared between rows.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "ready, default settings",
        metric: Metric::Ready,
        starts: &[("wharfd", DIRECT), ("dockerd", RECIPE)],
        target: Some(50.0),
        needs_peer: false,
    },
    Scenario {
        name: "ready, --bridge=none",
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
        target: None,
        needs_peer: false,
    },
    Scenario {
        name: "ready, both by the recipe (curl/5ms)",
        metric: Metric::Ready,
        starts: &[("wharfd", RECIPE), ("dockerd", RECIPE)],
        target: None,
        needs_peer: true,
    },
    Scenario {
        name: "idle RSS, default settings",
        metric: Metric::IdleRss,
        starts: &[("wharfd", DIRECT), ("dockerd", RECIPE)],
        target: Some(15.0),
        needs_peer: false,
    },
];
