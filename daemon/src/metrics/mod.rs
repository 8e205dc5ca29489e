//! Prometheus metrics (`--metrics-addr`, dockerd's `startMetricsServer`), with the
//! `prometheus-client` crate: engine info, containers by state, container actions and their
//! latencies (dockerd's names), images, bytes loaded and pulled, and API requests by route and
//! status (measured by `api`'s middleware, told through [`ApiMetrics`]).
//!
//! The metrics are process-wide (one daemon per process), so the few places that count bytes
//! need no handle; what a scrape reads from the daemon (states, images) is read at the scrape.

mod api_observer;

use std::sync::{LazyLock, Weak};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::daemon::Daemon;
pub use api_observer::ApiMetrics;

/// A histogram of seconds: 1 ms to about 16 s.
type Seconds = Family<Vec<(String, String)>, Histogram, fn() -> Histogram>;

fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// `engine_daemon_engine_info`'s labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EngineLabels {
    version: String,
    kernel: String,
    os: String,
    os_type: String,
    architecture: String,
    graphdriver: String,
    daemon_id: String,
}

/// Every metric, registered once.
struct Metrics {
    registry: Registry,
    engine_info: Family<EngineLabels, Gauge>,
    container_states: Family<Vec<(String, String)>, Gauge>,
    container_actions: Seconds,
    images: Gauge,
    load_bytes: Counter,
    pull_bytes: Counter,
    api_requests: Family<Vec<(String, String)>, Counter>,
    api_seconds: Seconds,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::default();
    let m = Metrics {
        registry: Registry::default(),
        engine_info: Family::default(),
        container_states: Family::default(),
        container_actions: Family::new_with_constructor(seconds as fn() -> Histogram),
        images: Gauge::default(),
        load_bytes: Counter::default(),
        pull_bytes: Counter::default(),
        api_requests: Family::default(),
        api_seconds: Family::new_with_constructor(seconds as fn() -> Histogram),
    };
    registry.register(
        "engine_daemon_engine_info",
        "The information related to the engine and the OS it is running on",
        m.engine_info.clone(),
    );
    registry.register(
        "engine_daemon_container_states_containers",
        "The count of containers in various states",
        m.container_states.clone(),
    );
    registry.register_with_unit(
        "engine_daemon_container_actions",
        "The number of seconds it takes to process each container action",
        Unit::Seconds,
        m.container_actions.clone(),
    );
    registry.register("wharf_images", "The number of images", m.images.clone());
    registry.register_with_unit(
        "wharf_image_load",
        "Bytes of image archives received by docker load",
        Unit::Bytes,
        m.load_bytes.clone(),
    );
    registry.register_with_unit(
        "wharf_image_pull",
        "Bytes of layers downloaded by pulls",
        Unit::Bytes,
        m.pull_bytes.clone(),
    );
    registry.register(
        "wharf_api_requests",
        "API requests by method, route and status",
        m.api_requests.clone(),
    );
    registry.register_with_unit(
        "wharf_api_request_duration",
        "Time until an API response's headers, by method and route",
        Unit::Seconds,
        m.api_seconds.clone(),
    );
    Metrics { registry, ..m }
});

/// `n` more bytes of layers were downloaded by a pull.
pub fn pulled_bytes(n: usize) {
    METRICS.pull_bytes.inc_by(n as u64);
}

/// Sets the engine's info, once the daemon runs.
pub fn engine_info(d: &Daemon) {
    let facts = &d.host.facts;
    let labels = EngineLabels {
        version: crate::version::VERSION.to_owned(),
        kernel: facts.kernel.clone().unwrap_or_default(),
        os: facts.os_name.clone().unwrap_or_default(),
        os_type: facts.os.clone(),
        architecture: facts.arch.clone(),
        graphdriver: d.images.driver_name().to_owned(),
        daemon_id: d.root.engine_id.clone(),
    };
    METRICS.engine_info.get_or_create(&labels).set(1);
}

/// The Prometheus text now: the daemon's counts read first (if it still runs).
pub fn render(daemon: &Weak<Daemon>) -> String {
    let m = &*METRICS;
    if let Some(d) = daemon.upgrade() {
        let n = d.containers.state_counts();
        for (state, count) in [
            ("running", n.running),
            ("paused", n.paused),
            ("stopped", n.stopped),
        ] {
            m.container_states
                .get_or_create(&vec![("state".to_owned(), state.to_owned())])
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        m.images
            .set(i64::try_from(d.images.count()).unwrap_or(i64::MAX));
    }
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &m.registry) {
        tracing::warn!(error = %e, "encoding the metrics failed");
    }
    out
}
