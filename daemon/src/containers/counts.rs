//! How many containers are in each state (`docker info`'s counts, the metrics' gauges).

use api::types::ContainerStatus;

use super::Containers;

/// Containers by state, as dockerd's `engine_daemon_container_states_containers` counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Running (or restarting).
    pub running: u64,
    /// Paused.
    pub paused: u64,
    /// Anything else.
    pub stopped: u64,
}

impl Containers {
    /// The containers by state now.
    pub fn state_counts(&self) -> StateCounts {
        let mut n = StateCounts::default();
        for c in self.index().all() {
            match c.live().record.state.status {
                ContainerStatus::Running | ContainerStatus::Restarting => n.running += 1,
                ContainerStatus::Paused => n.paused += 1,
                _ => n.stopped += 1,
            }
        }
        n
    }
}
