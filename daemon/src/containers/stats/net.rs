//! A container's network counters, read from `/proc/<pid>/net/dev` of its init process, which
//! shows the interfaces of that process's network namespace: no `setns`, no fork. The loopback
//! interface is left out, as dockerd reports only the sandbox's endpoints.

use std::collections::BTreeMap;

use api::stats::NetworkStats;

/// The counters of every interface but `lo` in the network namespace of `pid`.
pub(super) fn read(pid: u32) -> Option<BTreeMap<String, NetworkStats>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()?;
    Some(parse(&text))
}

/// The lines of `net/dev` after its two header lines: `name: rx(8 figures) tx(8 figures)`.
fn parse(text: &str) -> BTreeMap<String, NetworkStats> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, counters) = line.split_once(':')?;
            let name = name.trim();
            if name == "lo" {
                return None;
            }
            let v: Vec<u64> = counters
                .split_whitespace()
                .map(|n| n.parse().unwrap_or(0))
                .collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0);
            Some((
                name.to_owned(),
                NetworkStats {
                    rx_bytes: at(0),
                    rx_packets: at(1),
                    rx_errors: at(2),
                    rx_dropped: at(3),
                    tx_bytes: at(8),
                    tx_packets: at(9),
                    tx_errors: at(10),
                    tx_dropped: at(11),
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dev_lines_become_counters() {
        let text = "Inter-|   Receive                                                |  Transmit\n \
face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n  \
eth0:    5338      36    1    2    0     0          0         0      648       8    3    4    0     0       0          0\n";
        let n = parse(text);
        assert_eq!(n.len(), 1);
        let eth0 = &n["eth0"];
        assert_eq!(
            (
                eth0.rx_bytes,
                eth0.rx_packets,
                eth0.rx_errors,
                eth0.rx_dropped
            ),
            (5338, 36, 1, 2)
        );
        assert_eq!(
            (
                eth0.tx_bytes,
                eth0.tx_packets,
                eth0.tx_errors,
                eth0.tx_dropped
            ),
            (648, 8, 3, 4)
        );
    }
}
