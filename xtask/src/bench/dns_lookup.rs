//! A DNS lookup of a peer's name from inside a container (issue 14): on a user network, a
//! `peer` and a `client` container run; from the client's network namespace (a thread of
//! xtask that `setns`es into `/proc/PID/ns/net`, so the same path for both engines: dockerd
//! DNATs `127.0.0.11:53` to its resolver there, wharfd serves it directly) [`LOOKUPS`] A
//! queries for `peer` are sent to `127.0.0.11:53` one at a time over UDP, each timed; every
//! answer must be a NOERROR with an address. The p50 and p99 of each run are its figures.

use std::net::UdpSocket;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::scenario::Metric;

/// Lookups per run.
pub const LOOKUPS: usize = 1000;

/// One A query for `name` with ID `id`, recursion desired (a resolver's query).
fn query(id: u16, name: &str) -> Vec<u8> {
    let mut q = Vec::with_capacity(32);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(u8::try_from(label.len()).unwrap_or(63));
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// Whether `answer` answers query `id` with NOERROR and at least one record.
fn answered(answer: &[u8], id: u16) -> bool {
    answer.len() >= 12
        && answer[..2] == id.to_be_bytes()
        && answer[3] & 0x0f == 0
        && u16::from_be_bytes([answer[6], answer[7]]) > 0
}

/// The lookups from inside the namespace of process `pid`: (p50, p99).
pub fn lookups(pid: u32, name: &str) -> Result<(Duration, Duration)> {
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/net"))
        .with_context(|| format!("opening the network namespace of process {pid}"))?;
    let name = name.to_owned();
    let thread = std::thread::spawn(move || -> Result<Vec<Duration>> {
        // This thread alone enters the container's namespace, and ends there.
        nix::sched::setns(ns.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET)
            .context("entering the container's network namespace")?;
        let sock = UdpSocket::bind("127.0.0.1:0").context("a UDP socket")?;
        sock.set_read_timeout(Some(Duration::from_secs(2)))?;
        sock.connect("127.0.0.11:53")?;
        let mut buf = [0u8; 512];
        let mut took = Vec::with_capacity(LOOKUPS);
        for i in 0..LOOKUPS {
            let id = u16::try_from(i % 65_536).unwrap_or(0);
            let q = query(id, &name);
            let t0 = Instant::now();
            sock.send(&q)?;
            let n = sock
                .recv(&mut buf)
                .context("no answer from 127.0.0.11:53")?;
            took.push(t0.elapsed());
            ensure!(
                answered(&buf[..n], id),
                "lookup {i} of {name} was not answered with an address"
            );
        }
        Ok(took)
    });
    let mut took = match thread.join() {
        Ok(r) => r?,
        Err(_) => bail!("the lookup thread panicked"),
    };
    took.sort();
    let at = |q: usize| took[(took.len() * q / 100).min(took.len() - 1)];
    Ok((at(50), at(99)))
}

/// The figures of one run.
pub fn figures(pid: u32) -> Result<Vec<(Metric, f64)>> {
    let (p50, p99) = lookups(pid, "peer")?;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Ok(vec![
        (Metric::DnsLookupP50, us(p50)),
        (Metric::DnsLookupP99, us(p99)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_answers_on_the_wire() {
        let q = query(7, "peer");
        assert_eq!(&q[..4], &[0, 7, 1, 0]);
        assert_eq!(&q[12..], b"\x04peer\x00\x00\x01\x00\x01");
        let mut a = q.clone();
        a[2] = 0x81;
        a[3] = 0x80;
        a[7] = 1;
        assert!(answered(&a, 7));
        a[3] = 0x83;
        assert!(!answered(&a, 7), "NXDOMAIN");
    }
}
