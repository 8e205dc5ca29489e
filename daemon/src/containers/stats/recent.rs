//! The last sample read of each container, so that a `stream=false` request soon after
//! another (`docker stats --no-stream` run again, a script polling) takes it as its previous
//! sample instead of waiting [`PRIME`] for a fresh one. Only a sample between [`PRIME`] and
//! [`INTERVAL`] old is used, so the CPU figure is over at most dockerd's collector interval;
//! older ones are dropped as new ones come in.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

use api::stats::ContainerStats;

use super::{INTERVAL, PRIME};

/// By container ID: when it was read, and the sample.
type Samples = HashMap<String, (Instant, ContainerStats)>;

fn samples() -> &'static Mutex<Samples> {
    static SAMPLES: OnceLock<Mutex<Samples>> = OnceLock::new();
    SAMPLES.get_or_init(Mutex::default)
}

/// The container's last sample, if it is old enough to give a CPU figure and recent enough
/// to stand for "now".
pub(super) fn previous(id: &str) -> Option<ContainerStats> {
    let map = samples().lock().unwrap_or_else(PoisonError::into_inner);
    let (at, sample) = map.get(id)?;
    let age = at.elapsed();
    (PRIME..=INTERVAL).contains(&age).then(|| sample.clone())
}

/// Keeps `sample` as the container's last, and forgets samples too old to be used.
pub(super) fn remember(id: &str, sample: &ContainerStats) {
    let mut map = samples().lock().unwrap_or_else(PoisonError::into_inner);
    map.retain(|_, (at, _)| at.elapsed() <= INTERVAL);
    map.insert(id.to_owned(), (Instant::now(), sample.clone()));
}
