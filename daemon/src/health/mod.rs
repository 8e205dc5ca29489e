//! Health checks (moby's `daemon/health.go`): for every running container whose merged
//! config has a `Healthcheck` (not `NONE`), a monitor task runs the check as an exec (the
//! exec store's `probe`, so the probe is never the daemon's child either) every `Interval`
//! (`StartInterval` while starting within `StartPeriod`), and keeps `State.Health`: the
//! status (`starting` at each start, `healthy` after a success, `unhealthy` after `Retries`
//! failures in a row outside the start period), the failing streak and the last five results.
//!
//! Monitors are started by a supervisor that looks at the containers every
//! [`SUPERVISE_EVERY`] (a container's start does not know about health checks) and end by
//! themselves when their run ends. The state is kept in the container's directory on each
//! change (`persist`): a restarted daemon finds the health of the runs it re-adopts and goes on
//! checking them; a new run starts again from `starting`, as dockerd's do.

mod config;
mod persist;

pub(crate) use config::merge as merge_config;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use api::types::ContainerStatus;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::containers::Containers;
use crate::exec::{Execs, ProbeResult};
use config::{Check, check, go_duration};

/// How often the supervisor looks for running containers without a monitor.
const SUPERVISE_EVERY: Duration = Duration::from_millis(200);
/// Results kept (moby's `maxLogEntries`).
const MAX_LOG: usize = 5;

/// A container's health status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Starting,
    Healthy,
    Unhealthy,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Healthy => "healthy",
            Status::Unhealthy => "unhealthy",
        }
    }
}

/// One container's health.
#[derive(Debug, Clone)]
struct State {
    /// The run it belongs to (its `StartedAt`).
    run: Option<Timestamp>,
    status: Status,
    failing_streak: i64,
    log: VecDeque<ProbeResult>,
    /// A monitor runs for this run (not kept: a restarted daemon starts one again).
    monitored: bool,
    /// The container's directory, where the state is kept.
    dir: std::path::PathBuf,
}

/// The health checks of every container: cheap to clone.
#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health").finish_non_exhaustive()
    }
}

struct Inner {
    containers: Containers,
    execs: Execs,
    states: Mutex<HashMap<String, State>>,
}

impl Health {
    /// Starts the supervisor (for as long as the runtime), with the health kept for the runs
    /// restore re-adopted.
    pub fn new(containers: Containers, execs: Execs) -> Self {
        let kept: HashMap<String, State> = containers
            .health_views()
            .0
            .into_iter()
            .filter_map(|v| {
                let state = persist::load(&v.dir)?;
                (state.run.is_some() && state.run == v.started_at).then_some((v.id, state))
            })
            .collect();
        let health = Health {
            inner: Arc::new(Inner {
                containers,
                execs,
                states: Mutex::new(kept),
            }),
        };
        let weak = Arc::downgrade(&health.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SUPERVISE_EVERY).await;
                let Some(inner) = weak.upgrade() else { return };
                Health { inner }.supervise();
            }
        });
        health
    }

    fn states(&self) -> MutexGuard<'_, HashMap<String, State>> {
        self.inner
            .states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a monitor for each running container with a check and none yet for its run;
    /// forgets removed containers.
    fn supervise(&self) {
        let (views, alive) = self.inner.containers.health_views();
        let wanted: Vec<_> = views
            .into_iter()
            .filter_map(|v| {
                let check = check(v.healthcheck.as_ref(), v.shell.as_deref())?;
                Some((v.id, v.started_at, check, v.dir))
            })
            .collect();
        let mut states = self.states();
        states.retain(|id, _| alive.contains(id));
        for (id, run, check, dir) in wanted {
            let state = states.entry(id.clone()).or_insert_with(|| {
                persist::load(&dir).unwrap_or(State {
                    run: None,
                    status: Status::Starting,
                    failing_streak: 0,
                    log: VecDeque::new(),
                    monitored: false,
                    dir,
                })
            });
            let same_run = state.run == run && run.is_some();
            if same_run && state.monitored {
                continue;
            }
            if !same_run {
                // A new run: starting again, the log kept (moby's `initHealthMonitor`).
                state.run = run;
                state.status = Status::Starting;
                state.failing_streak = 0;
                persist::save(&state.dir, state);
            }
            state.monitored = true;
            let this = self.clone();
            tokio::spawn(async move { this.monitor(id, run, check).await });
        }
    }

    /// Whether `id` still runs the run that started at `run`.
    fn same_run(&self, id: &str, run: Option<Timestamp>) -> bool {
        self.inner
            .containers
            .run_of(id)
            .is_some_and(|(status, started)| {
                matches!(status, ContainerStatus::Running | ContainerStatus::Paused)
                    && started == run
            })
    }

    async fn monitor(self, id: String, run: Option<Timestamp>, check: Check) {
        let started = run.unwrap_or_else(Timestamp::now);
        loop {
            let in_start_period = Timestamp::now()
                .duration_since(started)
                .unsigned_abs()
                .lt(&check.start_period);
            let starting = self.status(&id) == Some(Status::Starting);
            let wait = if in_start_period && starting {
                check.start_interval
            } else {
                check.interval
            };
            tokio::time::sleep(wait).await;
            if !self.same_run(&id, run) {
                return;
            }
            let result = match self
                .inner
                .execs
                .probe(
                    &id,
                    check.cmd.clone(),
                    check.timeout,
                    go_duration(check.timeout),
                )
                .await
            {
                Ok(r) => r,
                Err(e) => ProbeResult {
                    start: Timestamp::now(),
                    end: Timestamp::now(),
                    exit_code: -1,
                    output: e.to_string(),
                },
            };
            if !self.same_run(&id, run) {
                return;
            }
            self.record(&id, run, &check, result);
        }
    }

    /// moby's `handleProbeResult`.
    fn record(&self, id: &str, run: Option<Timestamp>, check: &Check, result: ProbeResult) {
        let mut states = self.states();
        let Some(state) = states.get_mut(id).filter(|s| s.run == run) else {
            return;
        };
        let old = state.status;
        let started = run.unwrap_or(result.start);
        let ok = result.exit_code == 0;
        let within_start_period = result
            .start
            .duration_since(started)
            .unsigned_abs()
            .lt(&check.start_period);
        if state.log.len() >= MAX_LOG {
            state.log.pop_front();
        }
        state.log.push_back(result);
        if ok {
            state.failing_streak = 0;
            state.status = Status::Healthy;
        } else if !(state.status == Status::Starting && within_start_period) {
            state.failing_streak += 1;
            if state.failing_streak >= check.retries {
                state.status = Status::Unhealthy;
            }
        }
        persist::save(&state.dir, state);
        if state.status == old {
            return;
        }
        let status = state.status.as_str();
        drop(states);
        tracing::info!(container = %id, status, "health status");
        // moby's `handleProbeResult`: told when the status changes.
        let action = format!("health_status: {status}");
        self.inner.containers.event_by_id(id, &action, &[]);
    }

    fn status(&self, id: &str) -> Option<Status> {
        self.states().get(id).map(|s| s.status)
    }

    /// `State.Health` of the container, as dockerd writes it; `None` without a health check.
    pub(crate) fn inspect(&self, id: &str, config: Option<&Value>) -> Option<Value> {
        check(config, None)?;
        let states = self.states();
        let Some(s) = states.get(id) else {
            // Never started: dockerd has no Health yet either.
            return None;
        };
        let log: Vec<Value> = s
            .log
            .iter()
            .map(|r| {
                json!({
                    "Start": r.start.to_string(),
                    "End": r.end.to_string(),
                    "ExitCode": r.exit_code,
                    "Output": r.output,
                })
            })
            .collect();
        Some(json!({
            "Status": s.status.as_str(),
            "FailingStreak": s.failing_streak,
            "Log": log,
        }))
    }

    /// The status `ps` shows and filters on: `starting`, `healthy`, `unhealthy`, or `none`.
    pub(crate) fn status_word(&self, id: &str) -> &'static str {
        self.status(id).map_or("none", Status::as_str)
    }

    /// What `docker ps` appends to a running container's status: ` (healthy)`, ` (health:
    /// starting)`, ` (unhealthy)` (moby's `Health.String`).
    pub(crate) fn status_suffix(&self, id: &str) -> Option<String> {
        self.status(id).map(|s| match s {
            Status::Starting => " (health: starting)".to_owned(),
            other => format!(" ({})", other.as_str()),
        })
    }
}
