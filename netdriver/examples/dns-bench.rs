//! `dns-bench --netns PATH [LOOKUPS]`: the embedded DNS server's lookup latency, as a container
//! sees it (issue 14's "DNS lookup of a peer's name from inside a container").
//!
//! It serves `127.0.0.11:53` in the network namespace it runs in, so it runs only inside the
//! namespace `PATH` names (it checks; run it as `nsenter --net=PATH -- dns-bench --netns PATH`
//! in a namespace made for it, with `lo` up). The server runs on a one-worker runtime of its
//! own thread, as in `wharfd`; a client thread asks over UDP, one query at a time:
//!
//! 1. `peer_lookup`: `LOOKUPS` (default 1000) A queries for a peer's name (answered from the
//!    name table);
//! 2. `forwarded_lookup`: `LOOKUPS` A queries for an outside name, forwarded to a fake
//!    upstream on the namespace's `127.0.0.1` (the server's own cost plus a loopback hop).
//!
//! Prints `key=value` lines: the p50, p99 and max of each, in microseconds.

use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, Metadata, Query};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use netdriver::dns::{ADDRESS, Dns, PORT};

mod support;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (netns, lookups) = match args.as_slice() {
        [flag, ns] if flag == "--netns" => (ns, 1000),
        [flag, ns, n] if flag == "--netns" => (ns, n.parse()?),
        _ => return Err("usage: dns-bench --netns PATH [LOOKUPS]".into()),
    };
    if lookups == 0 {
        return Err("LOOKUPS must be at least 1".into());
    }
    support::require_netns(netns, "dns-bench")?;
    let upstream = fake_upstream()?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let path = PathBuf::from(netns);
    let server = std::thread::spawn(move || -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let dns = Dns::new(vec![upstream]);
            dns.register(
                "bench",
                "me",
                Ipv4Addr::new(172, 18, 0, 2),
                vec!["me".into()],
            );
            dns.register(
                "bench",
                "peer",
                Ipv4Addr::new(172, 18, 0, 3),
                vec!["peer".into()],
            );
            let attached = dns
                .attach("me", &path, Vec::new())
                .await
                .map_err(|e| e.to_string());
            let failed = attached.is_err();
            let _ = ready_tx.send(attached);
            if !failed {
                let _ = stop_rx.await;
            }
            Ok(())
        })
    });
    ready_rx.recv()??;
    let client = UdpSocket::bind("127.0.0.1:0")?;
    client.set_read_timeout(Some(Duration::from_secs(2)))?;
    client.connect(SocketAddr::from((ADDRESS, PORT)))?;
    report(
        "peer_lookup",
        lookups,
        &client,
        "peer.",
        Ipv4Addr::new(172, 18, 0, 3),
    )?;
    report(
        "forwarded_lookup",
        lookups,
        &client,
        "example.test.",
        Ipv4Addr::new(192, 0, 2, 7),
    )?;
    let _ = stop_tx.send(());
    server.join().map_err(|_| "the server thread panicked")??;
    Ok(())
}

/// Times `lookups` queries for `name`, each checked to answer `want`; prints the percentiles.
fn report(
    key: &str,
    lookups: usize,
    client: &UdpSocket,
    name: &str,
    want: Ipv4Addr,
) -> Result<(), Box<dyn Error>> {
    let mut samples = Vec::with_capacity(lookups);
    let mut buf = [0u8; 4096];
    for i in 0..lookups {
        let mut q = Message::query();
        q.metadata.id = i as u16;
        q.metadata.recursion_desired = true;
        q.add_query(Query::query(Name::from_ascii(name)?, RecordType::A));
        let bytes = q.to_vec()?;
        let t = Instant::now();
        client.send(&bytes)?;
        let n = client.recv(&mut buf)?;
        samples.push(t.elapsed().as_secs_f64() * 1e6);
        let answer = Message::from_vec(&buf[..n])?;
        let got = answer.answers.first().map(|r| r.data.clone());
        if answer.metadata.id != q.metadata.id || got != Some(RData::A(A(want))) {
            return Err(format!("{name}: unexpected answer {answer:?}").into());
        }
    }
    samples.sort_by(f64::total_cmp);
    let at =
        |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1];
    println!("{key}_p50_us={:.0}", at(0.50));
    println!("{key}_p99_us={:.0}", at(0.99));
    println!("{key}_max_us={:.0}", at(1.0));
    Ok(())
}

/// A resolver on `127.0.0.1` answering every A query with 192.0.2.7, on a thread of its own.
fn fake_upstream() -> Result<SocketAddr, Box<dyn Error>> {
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let addr = sock.local_addr()?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, peer)) = sock.recv_from(&mut buf) {
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let Some(question) = q.queries.first().cloned() else {
                continue;
            };
            let mut a = Message::response(q.metadata.id, q.metadata.op_code);
            a.metadata = Metadata::response_from_request(&q.metadata);
            a.metadata.message_type = MessageType::Response;
            let record = Record::from_rdata(
                question.name().clone(),
                60,
                RData::A(A(Ipv4Addr::new(192, 0, 2, 7))),
            );
            a.queries = vec![question];
            a.answers = vec![record];
            if let Ok(bytes) = a.to_vec() {
                let _ = sock.send_to(&bytes, peer);
            }
        }
    });
    Ok(addr)
}
