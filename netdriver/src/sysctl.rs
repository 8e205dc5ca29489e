//! The few `/proc/sys/net` switches the driver needs. `/proc/sys/net` shows the network
//! namespace of the thread that opens the file, so these act on the caller's namespace.

use std::path::PathBuf;

use crate::config::Config;
use crate::error::{Context, Result};

/// Dots separate components; a `/` in a key stands for a dot inside one (as sysctl(8) has it).
fn path(key: &str) -> PathBuf {
    let rel: String = key
        .chars()
        .map(|c| match c {
            '.' => '/',
            '/' => '.',
            c => c,
        })
        .collect();
    PathBuf::from("/proc/sys").join(rel)
}

/// Writes `value` to sysctl `key` (dotted, as `net.ipv4.ip_forward`).
pub(crate) fn write(key: &str, value: &str) -> Result<()> {
    let p = path(key);
    std::fs::write(&p, value).with_context(|| format!("writing {}", p.display()))
}

/// Reads sysctl `key`, or `None` if it does not exist here.
pub(crate) fn read(key: &str) -> Option<String> {
    std::fs::read_to_string(path(key))
        .ok()
        .map(|s| s.trim().to_string())
}

/// The key for `route_localnet` on interface `ifname` (whose name may itself contain dots).
pub(crate) fn route_localnet_key(ifname: &str) -> String {
    format!("net.ipv4.conf.{}.route_localnet", ifname.replace('.', "/"))
}

/// `--ip-forward` and, for published ports on loopback, `route_localnet` on the bridge. Failures
/// are warnings: the daemon still runs, with the missing feature logged.
pub(crate) fn apply(config: &Config, bridge: &str) {
    if config.ip_forward
        && read("net.ipv4.ip_forward").as_deref() != Some("1")
        && let Err(e) = write("net.ipv4.ip_forward", "1")
    {
        tracing::warn!(error = %e, "cannot enable ip forwarding: containers cannot reach other hosts");
    }
    if config.iptables {
        let key = route_localnet_key(bridge);
        if let Err(e) = write(&key, "1") {
            tracing::warn!(error = %e, "published ports will not answer on 127.0.0.1");
        }
    }
    if config.iptables
        && !config.icc
        && read("net.bridge.bridge-nf-call-iptables").as_deref() != Some("1")
    {
        tracing::warn!(
            "--icc=false needs br_netfilter with net.bridge.bridge-nf-call-iptables=1; \
             containers on the bridge can still reach each other"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_proc_paths() {
        assert_eq!(
            path("net.ipv4.ip_forward"),
            PathBuf::from("/proc/sys/net/ipv4/ip_forward")
        );
        assert_eq!(
            path(&route_localnet_key("docker0")),
            PathBuf::from("/proc/sys/net/ipv4/conf/docker0/route_localnet")
        );
        assert_eq!(
            path(&route_localnet_key("br.10")),
            PathBuf::from("/proc/sys/net/ipv4/conf/br.10/route_localnet")
        );
    }
}
