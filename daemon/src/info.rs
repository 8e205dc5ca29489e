//! `GET /version` and `GET /info`: the daemon's state and the host's facts, gathered now.

use std::collections::BTreeMap;

use api::types::{
    Commit, IndexInfo, PluginsInfo, RegistryConfig, Runtime, SwarmInfo, SystemInfo, SystemVersion,
};
use api::{Error, backend::SystemBackend};

use crate::daemon::Daemon;
use crate::version;

impl SystemBackend for Daemon {
    fn version(&self) -> SystemVersion {
        let facts = &self.host.facts;
        version::system_version(facts.kernel.as_deref().unwrap_or_default(), &facts.goarch)
    }

    async fn info(&self) -> Result<SystemInfo, Error> {
        let facts = &self.host.facts;
        let limits = &facts.limits;
        let (containers, running, paused, stopped) = self.containers.counts();
        Ok(SystemInfo {
            id: self.root.engine_id.clone(),
            containers,
            containers_running: running,
            containers_paused: paused,
            containers_stopped: stopped,
            images: self.images.count(),
            driver: self.images.driver_name().to_owned(),
            driver_status: self.images.driver_status(),
            docker_root_dir: self.root.root.display().to_string(),
            plugins: PluginsInfo {
                volume: vec![],
                network: self.network.drivers(),
                authorization: None,
                log: crate::logdriver::DRIVERS
                    .iter()
                    .map(|&d| d.into())
                    .collect(),
            },
            // What the host supports and wharf applies (create and update): no kernel TCP
            // memory limit is ever set, so none is claimed.
            memory_limit: limits.memory,
            swap_limit: limits.swap,
            kernel_memory_tcp: false,
            cpu_cfs_period: limits.cpu_cfs,
            cpu_cfs_quota: limits.cpu_cfs,
            cpu_shares: limits.cpu_shares,
            cpu_set: limits.cpuset,
            pids_limit: limits.pids,
            oom_kill_disable: limits.oom_kill_disable,
            ipv4_forwarding: proc_flag("/proc/sys/net/ipv4/ip_forward"),
            bridge_nf_iptables: facts.bridge_nf_iptables.unwrap_or(false),
            bridge_nf_ip6tables: facts.bridge_nf_ip6tables.unwrap_or(false),
            debug: self.settings().debug,
            nfd: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
            ngoroutines: threads(),
            // Go's `RFC3339Nano`, as dockerd's `time.Now().Format`: trailing zeros dropped.
            system_time: jiff::Timestamp::now().to_string(),
            logging_driver: self.config.log_config.kind.clone(),
            cgroup_driver: "cgroupfs".into(),
            cgroup_version: facts.cgroups.version.docker().unwrap_or("1").into(),
            kernel_version: facts.kernel.clone().unwrap_or_default(),
            operating_system: facts.os_name.clone().unwrap_or_default(),
            os_version: facts.os_version.clone().unwrap_or_default(),
            os_type: facts.os.clone(),
            architecture: facts.arch.clone(),
            ncpu: facts.ncpu as u64,
            mem_total: facts.mem_total.unwrap_or(0),
            index_server_address: "https://index.docker.io/v1/".into(),
            registry_config: registry_config(&self.config.registries),
            name: facts.hostname.clone().unwrap_or_default(),
            labels: self.settings().labels,
            server_version: version::VERSION.into(),
            runtimes: self
                .settings()
                .runtimes
                .iter()
                .map(|(name, path)| {
                    let rt = Runtime {
                        path: path.display().to_string(),
                        runtime_args: vec![],
                    };
                    (name.clone(), rt)
                })
                .collect(),
            default_runtime: self.settings().default_runtime,
            swarm: SwarmInfo::default(),
            // dockerd's name for the init it mounts; empty when there is none to mount.
            init_binary: match self.containers.has_init() {
                true => "docker-init".to_owned(),
                false => String::new(),
            },
            containerd_commit: Commit::default(),
            runc_commit: Commit::default(),
            init_commit: Commit::default(),
            // Every container gets Docker's default seccomp profile unless it opts out.
            security_options: facts.security_options(Some("default")),
            warnings: self.warnings(),
            ..SystemInfo::default()
        })
    }
}

impl Daemon {
    /// The host check's warnings, except forwarding, which the network step may have turned on
    /// since: that one is read now.
    fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .host
            .warnings()
            .iter()
            .filter(|w| w.check != FORWARDING_CHECK)
            .map(|w| format!("WARNING: {}", w.message))
            .collect();
        if !proc_flag("/proc/sys/net/ipv4/ip_forward") {
            out.push("WARNING: IPv4 forwarding is disabled".into());
        }
        out
    }
}

/// The host check whose finding can change after start-up.
const FORWARDING_CHECK: &str = "ip forwarding";

fn proc_flag(path: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|v| v.trim() == "1")
}

/// The daemon's thread count (Docker reports goroutines in the same field).
fn threads() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `RegistryConfig` as dockerd reports it: the insecure networks, Docker Hub with its mirrors,
/// and each insecure `host:port` as an index of its own.
fn registry_config(r: &crate::config::Registries) -> RegistryConfig {
    let r = &r.client;
    let mut index_configs: BTreeMap<String, IndexInfo> = r
        .insecure_hosts()
        .map(|h| {
            let info = IndexInfo {
                name: h.to_owned(),
                mirrors: vec![],
                secure: false,
                official: false,
            };
            (h.to_owned(), info)
        })
        .collect();
    index_configs.insert(
        "docker.io".to_owned(),
        IndexInfo {
            name: "docker.io".into(),
            mirrors: r.mirrors().to_vec(),
            secure: true,
            official: true,
        },
    );
    RegistryConfig {
        insecure_registry_cidrs: r.insecure_cidrs().iter().map(ToString::to_string).collect(),
        index_configs,
        mirrors: r.mirrors().to_vec(),
        ..RegistryConfig::default()
    }
}
