//! Command-line flags, named as dockerd names them.
//!
//! Every setting is optional here so that [`crate::config`] can tell a flag the user gave from a
//! default, merge it with `daemon.json`, and refuse the same setting given in both places.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// `wharfd`: a container engine that speaks the Docker Engine API.
#[derive(Debug, Parser)]
#[command(name = "wharfd", disable_version_flag = true)]
pub struct Cli {
    /// What to do instead of running the daemon.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The daemon's settings.
    #[command(flatten)]
    pub flags: Flags,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the host report (kernel, cgroups, storage, network, security) and exit non-zero
    /// when a check is fatal.
    Check {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The daemon's flags; `None` means "not given on the command line".
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Flags {
    /// Daemon configuration file (JSON, dockerd's keys); a missing file is fine.
    #[arg(long = "config-file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Daemon socket to listen on (`unix:///path`, `tcp://host:port`, `fd://`, `fd://N`); repeatable.
    #[arg(short = 'H', long = "host", value_name = "URL")]
    pub hosts: Vec<String>,
    /// Root directory of persistent state.
    #[arg(long = "data-root", value_name = "DIR")]
    pub data_root: Option<PathBuf>,
    /// Root directory of execution state.
    #[arg(long = "exec-root", value_name = "DIR")]
    pub exec_root: Option<PathBuf>,
    /// Path of the daemon's PID file.
    #[arg(short = 'p', long = "pidfile", value_name = "FILE")]
    pub pidfile: Option<PathBuf>,
    /// Attach containers to this existing bridge ("none" disables networking).
    #[arg(short = 'b', long = "bridge", value_name = "NAME")]
    pub bridge: Option<String>,
    /// Address and subnet of the default bridge (CIDR, e.g. 172.30.0.1/16).
    #[arg(long = "bip", value_name = "CIDR")]
    pub bip: Option<String>,
    /// MTU of the default bridge and container interfaces.
    #[arg(long = "mtu", value_name = "BYTES", allow_negative_numbers = true)]
    pub mtu: Option<String>,
    /// Manage firewall rules (NAT, inter-container communication, published ports).
    #[arg(long = "iptables", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub iptables: Option<bool>,
    /// Allow inter-container communication on the default bridge.
    #[arg(long = "icc", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub icc: Option<bool>,
    /// Enable IPv4 forwarding.
    #[arg(long = "ip-forward", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ip_forward: Option<bool>,
    /// Default host IP for published ports.
    #[arg(long = "ip", value_name = "IP")]
    pub ip: Option<String>,
    /// Storage driver (overlay2 or vfs).
    #[arg(short = 's', long = "storage-driver", value_name = "NAME")]
    pub storage_driver: Option<String>,
    /// DNS server for containers.
    #[arg(long = "dns", value_name = "IP")]
    pub dns: Vec<String>,
    /// Logging level (debug, info, warn, error, fatal).
    #[arg(short = 'l', long = "log-level", value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Enable debug mode.
    #[arg(short = 'D', long = "debug", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub debug: Option<bool>,
    /// Register an OCI runtime (`NAME=PATH`), usable with `docker run --runtime NAME`.
    #[arg(long = "add-runtime", value_name = "NAME=PATH")]
    pub add_runtime: Vec<String>,
    /// The runtime containers use unless they ask for another (`runc` by default).
    #[arg(long = "default-runtime", value_name = "NAME")]
    pub default_runtime: Option<String>,
    /// Run an init inside every container that does not say otherwise (`docker run --init`).
    #[arg(long = "init", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub init: Option<bool>,
    /// The init binary containers get with `--init` (a static one: it runs in any image).
    #[arg(long = "init-path", value_name = "PATH")]
    pub init_path: Option<PathBuf>,
    /// Parent cgroup of every container that names none (`/wharf` by default).
    #[arg(long = "cgroup-parent", value_name = "CGROUP")]
    pub cgroup_parent: Option<String>,
    /// A registry reached without TLS verification (`host:port` or a CIDR); repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registries: Vec<String>,
    /// A mirror of Docker Hub (`https://host[:port]`); repeatable.
    #[arg(long = "registry-mirror", value_name = "URL")]
    pub registry_mirrors: Vec<String>,
    /// Layers downloaded at once per pull (3 by default).
    #[arg(
        long = "max-concurrent-downloads",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub max_concurrent_downloads: Option<i64>,
    /// Layers uploaded at once per push (5 by default).
    #[arg(
        long = "max-concurrent-uploads",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub max_concurrent_uploads: Option<i64>,
    /// The log driver of containers that name none (`json-file` by default).
    #[arg(long = "log-driver", value_name = "NAME")]
    pub log_driver: Option<String>,
    /// A default option of that log driver (`max-size=10m`); repeatable.
    #[arg(long = "log-opt", value_name = "KEY=VALUE")]
    pub log_opts: Vec<String>,
    /// A limit every container gets unless it sets it (`nofile=1024:2048`); repeatable.
    #[arg(long = "default-ulimit", value_name = "NAME=SOFT[:HARD]")]
    pub default_ulimits: Vec<String>,
    /// A pool of subnets for the default bridge and for networks without a `--subnet`
    /// (`base=10.10.0.0/16,size=24`); repeatable, tried in order.
    #[arg(long = "default-address-pool", value_name = "base=CIDR,size=N")]
    pub default_address_pools: Vec<String>,
    /// Group that owns the API socket.
    #[arg(short = 'G', long = "group", value_name = "GROUP")]
    pub group: Option<String>,
    /// Check the configuration and exit.
    #[arg(long = "validate")]
    pub validate: bool,
    /// Print the version and exit.
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// Use TLS on TCP hosts; implied by `--tlsverify`.
    #[arg(long = "tls", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tls: Option<bool>,
    /// Use TLS and require clients to present a certificate signed by `--tlscacert`.
    #[arg(long = "tlsverify", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tlsverify: Option<bool>,
    /// Trust certs signed only by this CA (default `$DOCKER_CERT_PATH/ca.pem`).
    #[arg(long = "tlscacert", value_name = "FILE")]
    pub tlscacert: Option<PathBuf>,
    /// Path to the TLS certificate file (default `$DOCKER_CERT_PATH/cert.pem`).
    #[arg(long = "tlscert", value_name = "FILE")]
    pub tlscert: Option<PathBuf>,
    /// Path to the TLS key file (default `$DOCKER_CERT_PATH/key.pem`).
    #[arg(long = "tlskey", value_name = "FILE")]
    pub tlskey: Option<PathBuf>,
    /// Keep containers running while the daemon is down (they are re-adopted at the next start).
    #[arg(long = "live-restore", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub live_restore: Option<bool>,
    /// Seconds the daemon waits for its containers to stop at shutdown (15 by default).
    #[arg(
        long = "shutdown-timeout",
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    pub shutdown_timeout: Option<i64>,
    /// Serve Prometheus metrics on this address (`127.0.0.1:9323`).
    #[arg(long = "metrics-addr", value_name = "ADDR")]
    pub metrics_addr: Option<String>,
    /// Format of the daemon's log (`text` or `json`).
    #[arg(long = "log-format", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// A label of the daemon (`key=value`), shown in `docker info`; repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// An authorization plugin (not supported: refused).
    #[arg(long = "authorization-plugin", value_name = "NAME")]
    pub authorization_plugins: Vec<String>,
}
