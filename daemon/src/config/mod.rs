//! The daemon's configuration: flags merged with `daemon.json`, defaults filled in, validated.
//!
//! Like dockerd, a setting given both as a flag and in the file is an error that names it, and
//! a key the file does not know is an error too. Validation runs before anything is created.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use netdriver::Bridge;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cli::Flags;

mod hosts;
mod pools;
mod registry;
mod service;
mod ulimits;

pub use hosts::Host;
pub use registry::{RawRegistries, Registries};
pub use service::{LogFormat, TlsFiles};

/// Where the configuration file is read from when `--config-file` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/wharf/daemon.json";
const DEFAULT_SOCKET: &str = "/var/run/wharf.sock";
const DEFAULT_DATA_ROOT: &str = "/var/lib/wharf";
const DEFAULT_EXEC_ROOT: &str = "/var/run/wharf";
const DEFAULT_PIDFILE: &str = "/var/run/wharf.pid";
const DEFAULT_MTU: u32 = 1500;
const DEFAULT_GROUP: &str = "docker";

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read or is not a JSON object.
    #[error("unable to configure the daemon with file {path}: {reason}")]
    File {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A flag's value is malformed.
    #[error("invalid argument {value:?} for \"--{flag}\" flag: {reason}")]
    Flag {
        /// The flag's long name.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Settings that cannot be combined.
    #[error("{0}")]
    Conflict(String),
}

/// The validated configuration the daemon runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the settings were merged from (it may not exist).
    pub config_file: PathBuf,
    /// Where to serve the API (`-H`), sorted and without duplicates.
    pub hosts: Vec<Host>,
    /// Persistent state.
    pub data_root: PathBuf,
    /// Execution state.
    pub exec_root: PathBuf,
    /// The PID file.
    pub pidfile: PathBuf,
    /// Network settings, as the network driver takes them (its state dir under the data root).
    pub network: netdriver::Config,
    /// The storage driver asked for (`None`: the best the host supports).
    pub storage_driver: Option<String>,
    /// Log level (`debug`, `info`, `warn`, `error`).
    pub log_level: tracing::Level,
    /// Debug mode.
    pub debug: bool,
    /// The group that owns the API socket, if it exists (explicit or `docker`).
    pub group: Option<String>,
    /// OCI runtimes by name (always with `runc`); binaries are names on `PATH` or paths.
    pub runtimes: BTreeMap<String, PathBuf>,
    /// The runtime used when a container names none.
    pub default_runtime: String,
    /// The parent cgroup of containers that name none (`None`: the exec driver's `/wharf`).
    pub cgroup_parent: Option<String>,
    /// Containers get an init unless they say otherwise (`--init`).
    pub init: bool,
    /// The init binary (`--init-path`; else `docker-init` on `PATH`, else Debian's
    /// `tini-static`).
    pub init_path: Option<PathBuf>,
    /// Insecure registries, mirrors, download/upload concurrency, certificates.
    pub registries: Registries,
    /// The log driver and options of containers that name no driver (`--log-driver`,
    /// `--log-opt`).
    pub log_config: api::types::LogConfig,
    /// The limits every container gets unless it sets them (`--default-ulimit`).
    pub default_ulimits: Vec<api::types::Ulimit>,
    /// TLS on TCP hosts (`--tls`, `--tlsverify` and their files), if on.
    pub tls: Option<TlsFiles>,
    /// TCP without client authentication was asked for explicitly (`--tls=false` or
    /// `--tlsverify=false`), as dockerd requires.
    pub tcp_without_auth_allowed: bool,
    /// Containers keep running while the daemon is down (`--live-restore`).
    pub live_restore: bool,
    /// Seconds to wait for containers to stop at shutdown (`--shutdown-timeout`; -1: forever).
    pub shutdown_timeout: i64,
    /// Where to serve Prometheus metrics (`--metrics-addr`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The daemon's log format (`--log-format`).
    pub log_format: LogFormat,
    /// The daemon's labels (`--label`), shown in `/info`.
    pub labels: Vec<String>,
}

/// The built-in runtime: Debian's `runc`.
pub const RUNC: &str = "runc";

/// `daemon.json`'s `runtimes` entries, as dockerd writes them.
#[derive(Debug, Clone, Deserialize)]
struct FileRuntime {
    path: PathBuf,
    #[serde(rename = "runtimeArgs", default)]
    runtime_args: Vec<String>,
}

/// `daemon.json` with dockerd's key names; everything optional.
#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    hosts: Option<Vec<String>>,
    #[serde(rename = "data-root")]
    data_root: Option<PathBuf>,
    #[serde(rename = "exec-root")]
    exec_root: Option<PathBuf>,
    pidfile: Option<PathBuf>,
    bridge: Option<String>,
    bip: Option<String>,
    mtu: Option<i64>,
    iptables: Option<bool>,
    icc: Option<bool>,
    #[serde(rename = "ip-forward")]
    ip_forward: Option<bool>,
    ip: Option<String>,
    #[serde(rename = "storage-driver")]
    storage_driver: Option<String>,
    dns: Option<Vec<String>>,
    #[serde(rename = "log-level")]
    log_level: Option<String>,
    debug: Option<bool>,
    group: Option<String>,
    runtimes: Option<BTreeMap<String, FileRuntime>>,
    #[serde(rename = "default-runtime")]
    default_runtime: Option<String>,
    #[serde(rename = "cgroup-parent")]
    cgroup_parent: Option<String>,
    init: Option<bool>,
    #[serde(rename = "init-path")]
    init_path: Option<PathBuf>,
    #[serde(rename = "insecure-registries")]
    insecure_registries: Option<Vec<String>>,
    #[serde(rename = "registry-mirrors")]
    registry_mirrors: Option<Vec<String>>,
    #[serde(rename = "max-concurrent-downloads")]
    max_concurrent_downloads: Option<i64>,
    #[serde(rename = "max-concurrent-uploads")]
    max_concurrent_uploads: Option<i64>,
    #[serde(rename = "log-driver")]
    log_driver: Option<String>,
    #[serde(rename = "log-opts")]
    log_opts: Option<BTreeMap<String, String>>,
    #[serde(rename = "default-ulimits")]
    default_ulimits: Option<BTreeMap<String, api::types::Ulimit>>,
    #[serde(rename = "default-address-pools")]
    default_address_pools: Option<Vec<pools::FilePool>>,
    tls: Option<bool>,
    tlsverify: Option<bool>,
    tlscacert: Option<PathBuf>,
    tlscert: Option<PathBuf>,
    tlskey: Option<PathBuf>,
    #[serde(rename = "live-restore")]
    live_restore: Option<bool>,
    #[serde(rename = "shutdown-timeout")]
    shutdown_timeout: Option<i64>,
    #[serde(rename = "metrics-addr")]
    metrics_addr: Option<String>,
    #[serde(rename = "log-format")]
    log_format: Option<String>,
    labels: Option<Vec<String>>,
    #[serde(rename = "authorization-plugins")]
    authorization_plugins: Option<Vec<String>>,
}

/// Keys `daemon.json` may hold.
const FILE_KEYS: &[&str] = &[
    "hosts",
    "data-root",
    "exec-root",
    "pidfile",
    "bridge",
    "bip",
    "mtu",
    "iptables",
    "icc",
    "ip-forward",
    "ip",
    "storage-driver",
    "dns",
    "log-level",
    "debug",
    "group",
    "runtimes",
    "default-runtime",
    "cgroup-parent",
    "init",
    "init-path",
    "insecure-registries",
    "registry-mirrors",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "log-driver",
    "log-opts",
    "default-ulimits",
    "default-address-pools",
    "tls",
    "tlsverify",
    "tlscacert",
    "tlscert",
    "tlskey",
    "live-restore",
    "shutdown-timeout",
    "metrics-addr",
    "log-format",
    "labels",
    "authorization-plugins",
];

impl Config {
    /// Merges `flags` with the configuration file, fills defaults and validates. Reads only.
    pub fn load(flags: &Flags) -> Result<Config, ConfigError> {
        let config_file = flags
            .config_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        let file = read_file(&config_file)?;
        let mut m = Merge::default();
        let hosts = m.list("hosts", &flags.hosts, file.hosts);
        let data_root = m.one("data-root", flags.data_root.clone(), file.data_root);
        let exec_root = m.one("exec-root", flags.exec_root.clone(), file.exec_root);
        let pidfile = m.one("pidfile", flags.pidfile.clone(), file.pidfile);
        let bridge = m.one("bridge", flags.bridge.clone(), file.bridge);
        let bip = m.one("bip", flags.bip.clone(), file.bip);
        let file_mtu = file.mtu.map(|v| v.to_string());
        let mtu = m.one("mtu", flags.mtu.clone(), file_mtu);
        let iptables = m.one("iptables", flags.iptables, file.iptables);
        let icc = m.one("icc", flags.icc, file.icc);
        let ip_forward = m.one("ip-forward", flags.ip_forward, file.ip_forward);
        let ip = m.one("ip", flags.ip.clone(), file.ip);
        let storage_driver = m.one(
            "storage-driver",
            flags.storage_driver.clone(),
            file.storage_driver,
        );
        let dns = m.list("dns", &flags.dns, file.dns);
        let log_level = m.one("log-level", flags.log_level.clone(), file.log_level);
        let debug = m.one("debug", flags.debug, file.debug);
        let group = m.one("group", flags.group.clone(), file.group);
        let default_runtime = m.one(
            "default-runtime",
            flags.default_runtime.clone(),
            file.default_runtime,
        );
        let cgroup_parent = m
            .one(
                "cgroup-parent",
                flags.cgroup_parent.clone(),
                file.cgroup_parent,
            )
            .filter(|p| !p.is_empty());
        let init = m.one("init", flags.init, file.init).unwrap_or(false);
        let init_path = m.one("init-path", flags.init_path.clone(), file.init_path);
        let raw_registries = RawRegistries {
            insecure: m.list(
                "insecure-registries",
                &flags.insecure_registries,
                file.insecure_registries,
            ),
            mirrors: m.list(
                "registry-mirrors",
                &flags.registry_mirrors,
                file.registry_mirrors,
            ),
            downloads: m.one(
                "max-concurrent-downloads",
                flags.max_concurrent_downloads,
                file.max_concurrent_downloads,
            ),
            uploads: m.one(
                "max-concurrent-uploads",
                flags.max_concurrent_uploads,
                file.max_concurrent_uploads,
            ),
        };
        let log_driver = m.one("log-driver", flags.log_driver.clone(), file.log_driver);
        let log_opts = merge_log_opts(&mut m, &flags.log_opts, file.log_opts);
        let default_ulimits = ulimits::merge(&mut m, &flags.default_ulimits, file.default_ulimits)?;
        let address_pools = pools::merge(
            &mut m,
            &flags.default_address_pools,
            file.default_address_pools,
        )?;
        let svc = service::RawService {
            tls: m.one("tls", flags.tls, file.tls),
            tlsverify: m.one("tlsverify", flags.tlsverify, file.tlsverify),
            tlscacert: m.one("tlscacert", flags.tlscacert.clone(), file.tlscacert),
            tlscert: m.one("tlscert", flags.tlscert.clone(), file.tlscert),
            tlskey: m.one("tlskey", flags.tlskey.clone(), file.tlskey),
            live_restore: m.one("live-restore", flags.live_restore, file.live_restore),
            shutdown_timeout: m.one(
                "shutdown-timeout",
                flags.shutdown_timeout,
                file.shutdown_timeout,
            ),
            metrics_addr: m.one(
                "metrics-addr",
                flags.metrics_addr.clone(),
                file.metrics_addr,
            ),
            log_format: m.one("log-format", flags.log_format.clone(), file.log_format),
            labels: m.list("labels", &flags.labels, file.labels),
            authorization_plugins: m.list(
                "authorization-plugins",
                &flags.authorization_plugins,
                file.authorization_plugins,
            ),
        };
        let file_runtimes = file.runtimes.unwrap_or_default();
        if !flags.add_runtime.is_empty() && !file_runtimes.is_empty() {
            m.conflicts.push(format!(
                "runtimes: (from flag: [{}], from file: [{}])",
                flags.add_runtime.join(" "),
                file_runtimes.keys().cloned().collect::<Vec<_>>().join(" ")
            ));
        }
        if !m.conflicts.is_empty() {
            return Err(ConfigError::File {
                path: config_file,
                reason: format!(
                    "the following directives are specified both as a flag and in the \
                     configuration file: {}",
                    m.conflicts.join(", ")
                ),
            });
        }

        let data_root = data_root.unwrap_or_else(|| DEFAULT_DATA_ROOT.into());
        let network = netdriver::Config {
            bridge: Bridge::from_flag(bridge.as_deref().unwrap_or("")),
            bip: bip.as_deref().map(parse_bip).transpose()?,
            mtu: mtu
                .as_deref()
                .map(parse_mtu)
                .transpose()?
                .unwrap_or(DEFAULT_MTU),
            iptables: iptables.unwrap_or(true),
            icc: icc.unwrap_or(true),
            ip_forward: ip_forward.unwrap_or(true),
            ip: match ip {
                Some(s) => parse_ip("ip", &s)?,
                None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            },
            dns: dns
                .iter()
                .map(|s| parse_ip("dns", s))
                .collect::<Result<_, _>>()?,
            address_pools,
            ..netdriver::Config::new(data_root.join("network"))
        };
        if bridge.as_deref().is_some_and(|b| !b.is_empty()) && network.bip.is_some() {
            return Err(ConfigError::Conflict(
                "You specified -b & --bip, mutually exclusive options. Please specify only one"
                    .into(),
            ));
        }
        if !network.iptables && !network.icc {
            return Err(ConfigError::Conflict(
                "You specified --iptables=false with --icc=false. ICC=false uses iptables to \
                 function. Please set --icc or --iptables to true."
                    .into(),
            ));
        }
        let debug = debug.unwrap_or(false);
        let log_config = log_config(log_driver, log_opts)?;
        let registries =
            Registries::load(raw_registries, &config_file).map_err(ConfigError::Conflict)?;
        let svc = svc.validate()?;
        Ok(Config {
            config_file,
            hosts: hosts::parse_hosts(hosts, DEFAULT_SOCKET, svc.tls.is_some())?,
            data_root,
            exec_root: exec_root.unwrap_or_else(|| DEFAULT_EXEC_ROOT.into()),
            pidfile: pidfile.unwrap_or_else(|| DEFAULT_PIDFILE.into()),
            network,
            storage_driver: storage_driver.map(check_driver).transpose()?,
            log_level: match log_level {
                Some(l) => parse_level(&l)?,
                None if debug => tracing::Level::DEBUG,
                None => tracing::Level::INFO,
            },
            debug,
            group: resolve_group(group)?,
            runtimes: {
                let runtimes = parse_runtimes(&flags.add_runtime, file_runtimes)?;
                if let Some(name) = &default_runtime
                    && !runtimes.contains_key(name)
                {
                    return Err(flag_error(
                        "default-runtime",
                        name,
                        format!("specified default runtime '{name}' does not exist"),
                    ));
                }
                runtimes
            },
            default_runtime: default_runtime.unwrap_or_else(|| RUNC.to_owned()),
            cgroup_parent,
            init,
            init_path,
            registries,
            log_config,
            default_ulimits,
            tls: svc.tls,
            tcp_without_auth_allowed: svc.tcp_without_auth_allowed,
            live_restore: svc.live_restore,
            shutdown_timeout: svc.shutdown_timeout,
            metrics_addr: svc.metrics_addr,
            log_format: svc.log_format,
            labels: svc.labels,
        })
    }
}

/// `--log-opt k=v` (repeatable) or `daemon.json`'s `log-opts`, not both; a conflict is
/// printed with Go's map syntax, as dockerd does.
fn merge_log_opts(
    m: &mut Merge,
    flags: &[String],
    file: Option<BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    // moby's `mapOpts.Set`: `k=v`, or `k` alone for an empty value.
    let from_flags: BTreeMap<String, String> = flags
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (kv.clone(), String::new()),
        })
        .collect();
    let go_map = |m: &BTreeMap<String, String>| {
        let pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        format!("map[{}]", pairs.join(" "))
    };
    match file {
        Some(f) if !from_flags.is_empty() => {
            m.conflicts.push(format!(
                "log-opts: (from flag: {}, from file: {})",
                go_map(&from_flags),
                go_map(&f)
            ));
            from_flags
        }
        Some(f) => f,
        None => from_flags,
    }
}

/// The default log configuration, validated as dockerd's `setupDefaultLogConfig` does: only
/// when options are given (an unknown driver alone is found by the first create).
fn log_config(
    driver: Option<String>,
    opts: BTreeMap<String, String>,
) -> Result<api::types::LogConfig, ConfigError> {
    let kind = driver
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| crate::logdriver::DEFAULT_DRIVER.to_owned());
    if !opts.is_empty() {
        crate::logdriver::validate_opts(&kind, &opts)
            .map_err(|e| ConfigError::Conflict(format!("failed to set log opts: {e}")))?;
    }
    Ok(api::types::LogConfig {
        kind,
        config: Some(opts),
    })
}

/// Collects the merged settings and the conflicts between flags and file.
#[derive(Default)]
struct Merge {
    conflicts: Vec<String>,
}

impl Merge {
    fn one<T: Shown>(&mut self, key: &str, flag: Option<T>, file: Option<T>) -> Option<T> {
        match (flag, file) {
            (Some(f), Some(c)) => {
                self.conflicts.push(format!(
                    "{key}: (from flag: {}, from file: {})",
                    f.shown(),
                    c.shown()
                ));
                Some(f)
            }
            (f, c) => f.or(c),
        }
    }

    fn list(&mut self, key: &str, flag: &[String], file: Option<Vec<String>>) -> Vec<String> {
        match file {
            Some(c) if !flag.is_empty() => {
                self.conflicts.push(format!(
                    "{key}: (from flag: [{}], from file: [{}])",
                    flag.join(" "),
                    c.join(" ")
                ));
                flag.to_vec()
            }
            Some(c) => c,
            None => flag.to_vec(),
        }
    }
}

/// A setting's value as dockerd prints it in a conflict message.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for String {
    fn shown(&self) -> String {
        self.clone()
    }
}

impl Shown for bool {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for i64 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for PathBuf {
    fn shown(&self) -> String {
        self.display().to_string()
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let fail = |reason: String| ConfigError::File {
        path: path.to_path_buf(),
        reason,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => return Err(fail(e.to_string())),
    };
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    let map: Map<String, Value> = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !FILE_KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(fail(format!(
            "the following directives don't match any configuration option: {}",
            unknown.join(", ")
        )));
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| fail(e.to_string()))
}

fn flag_error(flag: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Flag {
        flag,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

fn parse_bip(s: &str) -> Result<Ipv4Net, ConfigError> {
    let net: Ipv4Net = s
        .parse()
        .map_err(|_| flag_error("bip", s, format!("invalid CIDR address: {s}")))?;
    if net.addr() == net.network() && net.prefix_len() < 31 {
        return Err(flag_error(
            "bip",
            s,
            "the address is the subnet's network address; give the bridge's own address",
        ));
    }
    Ok(net)
}

fn parse_mtu(s: &str) -> Result<u32, ConfigError> {
    match s.parse::<i64>() {
        Ok(v) if (68..=65535).contains(&v) => Ok(v as u32),
        Ok(_) => Err(flag_error("mtu", s, "MTU must be between 68 and 65535")),
        Err(_) => Err(flag_error("mtu", s, "not a number")),
    }
}

fn parse_ip(flag: &'static str, s: &str) -> Result<IpAddr, ConfigError> {
    s.parse()
        .map_err(|_| flag_error(flag, s, format!("{s} is not an ip address")))
}

fn parse_level(s: &str) -> Result<tracing::Level, ConfigError> {
    match s.to_ascii_lowercase().as_str() {
        "trace" => Ok(tracing::Level::TRACE),
        "debug" => Ok(tracing::Level::DEBUG),
        "info" => Ok(tracing::Level::INFO),
        "warn" | "warning" => Ok(tracing::Level::WARN),
        "error" | "fatal" | "panic" => Ok(tracing::Level::ERROR),
        _ => Err(flag_error(
            "log-level",
            s,
            "unable to parse logging level (debug, info, warn, error, fatal)",
        )),
    }
}

fn check_driver(name: String) -> Result<String, ConfigError> {
    match name.as_str() {
        "overlay2" | "vfs" => Ok(name),
        _ => Err(flag_error(
            "storage-driver",
            &name,
            "supported storage drivers are overlay2 and vfs",
        )),
    }
}

/// `runc` plus `--add-runtime NAME=PATH` (or the file's `runtimes`), as dockerd reads them.
fn parse_runtimes(
    flags: &[String],
    file: BTreeMap<String, FileRuntime>,
) -> Result<BTreeMap<String, PathBuf>, ConfigError> {
    let mut out = BTreeMap::from([(RUNC.to_owned(), PathBuf::from(RUNC))]);
    let mut add = |name: &str, path: PathBuf, raw: &str| {
        if name.is_empty() || path.as_os_str().is_empty() {
            return Err(flag_error("add-runtime", raw, "expected NAME=PATH"));
        }
        if name == RUNC {
            return Err(flag_error(
                "add-runtime",
                raw,
                "runtime name 'runc' is reserved",
            ));
        }
        out.insert(name.to_owned(), path);
        Ok(())
    };
    for raw in flags {
        let (name, path) = raw.split_once('=').unwrap_or((raw, ""));
        add(name, PathBuf::from(path), raw)?;
    }
    for (name, rt) in file {
        if !rt.runtime_args.is_empty() {
            return Err(ConfigError::Conflict(format!(
                "runtime {name}: runtimeArgs are not supported by wharf"
            )));
        }
        add(&name, rt.path, &name)?;
    }
    Ok(out)
}

/// An explicit group must exist; the default `docker` group is used only when it exists.
fn resolve_group(group: Option<String>) -> Result<Option<String>, ConfigError> {
    let exists = |g: &str| matches!(nix::unistd::Group::from_name(g), Ok(Some(_)));
    match group {
        Some(g) if g.is_empty() => Ok(None),
        Some(g) if exists(&g) => Ok(Some(g)),
        Some(g) => Err(flag_error("group", &g, format!("group {g} not found"))),
        None => Ok(exists(DEFAULT_GROUP).then(|| DEFAULT_GROUP.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn load(args: &[&str], file: Option<&str>) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("daemon.json");
        if let Some(text) = file {
            std::fs::write(&path, text).expect("write config");
        }
        let mut argv = vec!["wharfd", "--config-file", path.to_str().expect("utf-8")];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv).expect("flags parse");
        Config::load(&cli.flags)
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let c = load(&[], None).expect("defaults are valid");
        assert_eq!(
            c.hosts,
            vec![Host::Unix(PathBuf::from("/var/run/wharf.sock"))]
        );
        assert_eq!(c.data_root, PathBuf::from("/var/lib/wharf"));
        assert_eq!(c.exec_root, PathBuf::from("/var/run/wharf"));
        assert_eq!(c.pidfile, PathBuf::from("/var/run/wharf.pid"));
        assert_eq!(c.network.bridge, Bridge::Default);
        assert_eq!(c.network.mtu, 1500);
        assert!(c.network.iptables && c.network.icc && c.network.ip_forward);
        assert_eq!(c.network.ip.to_string(), "0.0.0.0");
        assert_eq!(c.log_level, tracing::Level::INFO);
    }

    #[test]
    fn file_settings_apply_and_flags_win_nothing_twice() {
        let c = load(
            &["--mtu", "9000"],
            Some(r#"{"bip":"172.30.0.1/16","debug":true}"#),
        )
        .expect("valid");
        assert_eq!(c.network.mtu, 9000);
        assert_eq!(
            c.network.bip.map(|n| n.to_string()).as_deref(),
            Some("172.30.0.1/16")
        );
        assert!(c.debug);
        assert_eq!(c.log_level, tracing::Level::DEBUG);
    }

    #[test]
    fn the_same_setting_twice_is_an_error_naming_it() {
        let e = load(&["--bip", "10.1.0.1/16"], Some(r#"{"bip":"10.2.0.1/16"}"#))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("specified both as a flag and in the configuration file"),
            "{e}"
        );
        assert!(
            e.contains("bip: (from flag: 10.1.0.1/16, from file: 10.2.0.1/16)"),
            "{e}"
        );
        let e = load(&["--iptables=false"], Some(r#"{"iptables":true}"#)).unwrap_err();
        assert!(
            e.to_string()
                .contains("iptables: (from flag: false, from file: true)")
        );
    }

    #[test]
    fn unknown_keys_and_bad_json_are_errors() {
        let e = load(&[], Some(r#"{"no-such":1}"#)).unwrap_err().to_string();
        assert!(
            e.contains("don't match any configuration option: no-such"),
            "{e}"
        );
        assert!(load(&[], Some("{not json")).is_err());
        assert!(load(&[], Some(r#"{"mtu":"x"}"#)).is_err());
    }

    #[test]
    fn bridge_and_bip_are_mutually_exclusive() {
        let e = load(&["--bridge", "br0", "--bip", "10.1.0.1/16"], None).unwrap_err();
        assert!(e.to_string().contains("mutually exclusive"), "{e}");
        assert!(load(&["--bridge=none"], None).is_ok_and(|c| c.network.bridge == Bridge::None));
        assert!(
            load(&["-b", "br0"], None)
                .is_ok_and(|c| c.network.bridge == Bridge::Named("br0".into()))
        );
    }

    #[test]
    fn runtimes_are_added_and_the_default_must_exist() {
        let c = load(
            &[
                "--add-runtime",
                "crun=/usr/bin/crun",
                "--default-runtime",
                "crun",
            ],
            None,
        )
        .expect("valid");
        assert_eq!(c.runtimes.keys().collect::<Vec<_>>(), ["crun", "runc"]);
        assert_eq!(c.default_runtime, "crun");
        let c = load(
            &[],
            Some(r#"{"runtimes":{"youki":{"path":"/usr/bin/youki"}}}"#),
        )
        .expect("file");
        assert_eq!(c.runtimes["youki"], PathBuf::from("/usr/bin/youki"));
        assert_eq!(c.default_runtime, "runc");
        let e = load(&["--default-runtime", "nope"], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"--default-runtime\"") && e.contains("does not exist"),
            "{e}"
        );
        let e = load(&["--add-runtime", "runc=/x"], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("reserved"), "{e}");
        assert!(load(&["--add-runtime", "broken"], None).is_err());
    }

    #[test]
    fn icc_needs_iptables() {
        let e = load(&["--iptables=false", "--icc=false"], None).unwrap_err();
        assert!(
            e.to_string().contains("--iptables=false with --icc=false"),
            "{e}"
        );
        assert!(load(&["--iptables=false"], None).is_ok());
        assert!(load(&["--icc=false"], None).is_ok());
    }

    #[test]
    fn malformed_values_name_their_flag() {
        for (args, flag) in [
            (&["--bip", "300.1.0.1/16"][..], "\"--bip\""),
            (&["--bip", "172.30.0.0/16"][..], "\"--bip\""),
            (&["--ip", "nope"][..], "\"--ip\""),
            (&["--mtu", "-1"][..], "\"--mtu\""),
            (&["--mtu", "70000"][..], "\"--mtu\""),
            (&["--dns", "x.y"][..], "\"--dns\""),
            (&["-s", "zfs"][..], "\"--storage-driver\""),
            (&["-H", "udp://0.0.0.0:2375"][..], "\"--host\""),
            (&["--log-level", "loud"][..], "\"--log-level\""),
            (&["--group", "no-such-group-wharf"][..], "\"--group\""),
        ] {
            let e = load(args, None).unwrap_err().to_string();
            assert!(e.contains(flag), "{args:?}: {e}");
        }
    }

    #[test]
    fn service_keys_come_from_the_file_as_from_flags() {
        let c = load(
            &["-H", "unix:///run/a.sock"],
            Some(
                r#"{"tlsverify": true, "tlscacert": "/c/ca.pem", "tlscert": "/c/cert.pem",
                    "tlskey": "/c/key.pem", "live-restore": true, "shutdown-timeout": 30,
                    "metrics-addr": "127.0.0.1:9323", "log-format": "json",
                    "labels": ["a=b"]}"#,
            ),
        )
        .expect("valid");
        let tls = c.tls.expect("tls on");
        assert!(tls.verify);
        assert_eq!(tls.ca, PathBuf::from("/c/ca.pem"));
        assert!(c.live_restore && c.tcp_without_auth_allowed);
        assert_eq!(c.shutdown_timeout, 30);
        assert_eq!(c.metrics_addr.map(|a| a.port()), Some(9323));
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.labels, ["a=b"]);
        let e = load(&["--tlsverify"], Some(r#"{"tlsverify": false}"#))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("tlsverify: (from flag: true, from file: false)"),
            "{e}"
        );
        let both = load(
            &[
                "-H",
                "tcp://0.0.0.0:2376",
                "-H",
                "fd://",
                "-H",
                "unix:///run/b.sock",
            ],
            None,
        )
        .expect("several hosts");
        assert_eq!(
            both.hosts,
            [
                Host::Fd(None),
                Host::Tcp("0.0.0.0:2376".into()),
                Host::Unix("/run/b.sock".into())
            ]
        );
    }
}
