//! Privileged: the embedded DNS server on `127.0.0.11:53` of container namespaces the tests
//! create, with a fake upstream on the loopback of the test's daemon namespace.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::dns_support::{
    FakeUpstream, Proto, SERVER, addresses, ask, exchange_bytes, on_thread_in, query,
};
use hickory_proto::op::{Edns, ResponseCode};
use hickory_proto::rr::{RData, RecordType};
use netdriver::dns::{Dns, MAX_FORWARDS_PER_CONTAINER};
use testkit::NetNs;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("an address literal")
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The A addresses answered to `name` asked from `ns` over `proto`, with the answer's code.
async fn resolve(ns: &Path, name: &str, proto: Proto) -> (ResponseCode, Vec<String>) {
    let m = ask(ns, query(name, RecordType::A), proto)
        .await
        .unwrap_or_else(|| panic!("no answer for {name} over {proto:?}"));
    (m.metadata.response_code, addresses(&m))
}

/// Runs `body` on a runtime inside a fresh daemon namespace, with the path of a fresh container
/// namespace, as `wharfd` would serve it.
fn in_namespaces<F, Fut>(tag: &str, body: F)
where
    F: FnOnce(PathBuf) -> Fut + Send,
    Fut: Future<Output = ()> + Send,
{
    testkit::require_privileged();
    let daemon = NetNs::new(tag).expect("daemon namespace");
    let container = NetNs::new(&format!("{tag}-c")).expect("container namespace");
    let path = container.path();
    daemon.block_on(body(path));
}

/// A server forwarding to `upstreams`, serving container `c1` (named `one` on `app`) in `ns`.
async fn serve_one(upstreams: Vec<SocketAddr>, timeout: Duration, ns: &Path) -> Dns {
    let dns = Dns::with_timeout(upstreams, timeout);
    dns.register("app", "c1", ip("172.18.0.2"), names(&["one"]));
    dns.attach("c1", ns, Vec::new()).await.expect("attach");
    dns
}

/// `busybox nslookup NAME 127.0.0.11` inside `ns`: what a container's own tools see.
async fn nslookup(ns: &Path, name: &str) -> String {
    let (ns, name) = (ns.to_path_buf(), name.to_string());
    tokio::task::spawn_blocking(move || {
        let out = Command::new("nsenter")
            .arg(format!("--net={}", ns.display()))
            .args(["--", "busybox", "nslookup", &name, "127.0.0.11"])
            .output()
            .expect("running busybox nslookup");
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .expect("the nslookup task")
}

#[test]
#[ignore = "privileged"]
fn dns_answers_container_names_and_forwards_the_rest() {
    testkit::require_privileged();
    let daemon = NetNs::new("nd-dns").expect("daemon namespace");
    let c1 = NetNs::new("nd-dns-c1").expect("c1");
    let c2 = NetNs::new("nd-dns-c2").expect("c2");
    let (p1, p2) = (c1.path(), c2.path());
    daemon.block_on(async move {
        let up = FakeUpstream::start(false).await;
        let dns = Dns::with_timeout(vec![up.addr], Duration::from_secs(1));
        dns.register("app", "c1", ip("172.18.0.2"), names(&["one", "shared"]));
        dns.register(
            "app",
            "c-two",
            ip("172.18.0.3"),
            names(&["two", "shared", "0123456789ab"]),
        );
        dns.register("side", "c-three", ip("172.19.0.2"), names(&["three"]));
        dns.attach("c1", &p1, Vec::new()).await.expect("attach c1");
        dns.attach("c1", &p1, Vec::new())
            .await
            .expect("attach is idempotent");
        // c2 is served but on no network: it only gets forwarding.
        dns.attach("c2", &p2, Vec::new()).await.expect("attach c2");

        for proto in [Proto::Udp, Proto::Tcp] {
            assert_eq!(
                resolve(&p1, "two", proto).await,
                (ResponseCode::NoError, vec!["172.18.0.3".into()])
            );
            assert_eq!(
                resolve(&p1, "0123456789AB.", proto).await.1,
                vec!["172.18.0.3"]
            );
            assert_eq!(resolve(&p1, "two.app", proto).await.1, vec!["172.18.0.3"]);
            assert_eq!(
                resolve(&p1, "example.test", proto).await.1,
                vec!["192.0.2.7"],
                "forwarded"
            );
        }
        // Round-robin over the containers sharing an alias.
        let first = resolve(&p1, "shared", Proto::Udp).await.1;
        let second = resolve(&p1, "shared", Proto::Udp).await.1;
        assert_eq!(first.len(), 2);
        assert_ne!(first, second, "the order rotates between queries");
        // A container on another network is not resolved: the upstream says NXDOMAIN.
        assert_eq!(
            resolve(&p1, "three", Proto::Udp).await,
            (ResponseCode::NXDomain, Vec::new())
        );
        // AAAA of a known name: NOERROR, nothing (the upstream is not asked).
        let before = up.received.load(Ordering::Relaxed);
        let m = ask(&p1, query("two", RecordType::AAAA), Proto::Udp)
            .await
            .expect("an AAAA answer");
        assert_eq!(
            (m.metadata.response_code, m.answers.len()),
            (ResponseCode::NoError, 0)
        );
        assert_eq!(up.received.load(Ordering::Relaxed), before);
        // PTR of a registered address.
        let m = ask(
            &p1,
            query("3.0.18.172.in-addr.arpa.", RecordType::PTR),
            Proto::Udp,
        )
        .await
        .expect("a PTR answer");
        match m.answers.first().map(|r| &r.data) {
            Some(RData::PTR(p)) => assert_eq!(p.0.to_ascii(), "two.app."),
            other => panic!("no PTR record: {other:?}"),
        }
        // Links resolve for their container.
        dns.set_links("c1", vec![("db".into(), "c-two".into())]);
        assert_eq!(resolve(&p1, "DB", Proto::Udp).await.1, vec!["172.18.0.3"]);
        // The unregistered container resolves no container name.
        assert_eq!(
            resolve(&p2, "two", Proto::Udp).await.0,
            ResponseCode::NXDomain
        );
        assert_eq!(
            resolve(&p2, "example.test", Proto::Udp).await.1,
            vec!["192.0.2.7"]
        );

        // Truncation: a UDP client without EDNS gets TC; with EDNS (or over TCP) the whole
        // answer, which the server fetched over TCP from the upstream.
        let m = ask(&p1, query("big.test", RecordType::A), Proto::Udp)
            .await
            .expect("an answer");
        assert!(m.metadata.truncation && m.answers.is_empty(), "{m:?}");
        assert_eq!(resolve(&p1, "big.test", Proto::Tcp).await.1.len(), 40);
        let mut q = query("big.test", RecordType::A);
        let mut edns = Edns::new();
        edns.set_max_payload(4096);
        q.set_edns(edns);
        let m = ask(&p1, q, Proto::Udp).await.expect("an answer");
        assert_eq!((m.metadata.truncation, m.answers.len()), (false, 40));

        // Malformed packets get nothing and harm nothing.
        on_thread_in(&p1, || {
            for junk in [&b""[..], &b"\x00"[..], &[0xff; 40][..], &[0u8; 12][..]] {
                let got = exchange_bytes(SERVER, junk, Proto::Udp, Duration::from_millis(200));
                assert!(got.is_err(), "an answer to junk {junk:?}: {got:?}");
            }
        })
        .await;
        assert_eq!(resolve(&p1, "one", Proto::Udp).await.1, vec!["172.18.0.2"]);

        // The container's own tools.
        let out = nslookup(&p1, "two").await;
        assert!(out.contains("172.18.0.3"), "{out}");

        // Detach closes the sockets; attaching again binds them again.
        dns.detach("c1");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            ask(&p1, query("two", RecordType::A), Proto::Udp)
                .await
                .is_none(),
            "served after detach"
        );
        dns.attach("c1", &p1, Vec::new())
            .await
            .expect("attach again");
        assert_eq!(resolve(&p1, "two", Proto::Udp).await.1, vec!["172.18.0.3"]);
        dns.unregister("app", "c-two");
        assert_eq!(
            resolve(&p1, "two", Proto::Udp).await.0,
            ResponseCode::NXDomain
        );
        dns.detach("c1");
        dns.detach("c2");
        dns.detach("never-attached");
    });
}

#[test]
#[ignore = "privileged"]
fn dns_tries_the_next_upstream_and_fails_with_servfail() {
    in_namespaces("nd-dns-up", |p1| async move {
        let bad = FakeUpstream::start(true).await;
        let good = FakeUpstream::start(false).await;
        // Nothing listens there: the kernel refuses at once.
        let closed: SocketAddr = "127.0.0.1:9".parse().expect("literal");
        let upstreams = vec![closed, bad.addr, good.addr];
        let dns = serve_one(upstreams, Duration::from_millis(300), &p1).await;
        assert_eq!(
            resolve(&p1, "example.test", Proto::Udp).await.1,
            vec!["192.0.2.7"]
        );
        assert_eq!(
            bad.received.load(Ordering::Relaxed),
            1,
            "the failing upstream was asked first"
        );

        // The container's own upstreams replace the daemon's: one that never answers.
        dns.attach("c1", &p1, vec![good.addr])
            .await
            .expect("attach with --dns");
        let t = Instant::now();
        let (code, ips) = resolve(&p1, "slow.test", Proto::Udp).await;
        assert_eq!((code, ips), (ResponseCode::ServFail, Vec::<String>::new()));
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        assert_eq!(
            resolve(&p1, "slow.test", Proto::Tcp).await.0,
            ResponseCode::ServFail
        );
        // A container with no way out (only --internal networks) forwards nothing.
        dns.set_forwarding("c1", false);
        let before = good.received.load(Ordering::Relaxed);
        assert_eq!(
            resolve(&p1, "example.test", Proto::Udp).await.0,
            ResponseCode::ServFail
        );
        assert_eq!(resolve(&p1, "one", Proto::Udp).await.1, vec!["172.18.0.2"]);
        assert_eq!(good.received.load(Ordering::Relaxed), before, "forwarded");
        dns.set_forwarding("c1", true);
        assert_eq!(
            resolve(&p1, "example.test", Proto::Udp).await.1,
            vec!["192.0.2.7"]
        );
        // Every upstream failing: the last failure is relayed.
        dns.attach("c1", &p1, vec![bad.addr])
            .await
            .expect("attach with --dns");
        assert_eq!(
            resolve(&p1, "example.test", Proto::Udp).await.0,
            ResponseCode::ServFail
        );
        dns.detach("c1");
    });
}

#[test]
#[ignore = "privileged"]
fn dns_bounds_forwarded_queries_in_flight() {
    in_namespaces("nd-dns-flood", |p1| async move {
        let up = FakeUpstream::start(false).await;
        let dns = serve_one(vec![up.addr], Duration::from_secs(2), &p1).await;
        // 1000 queries the upstream never answers, as fast as one socket sends them.
        on_thread_in(&p1, || {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
            for i in 0..1000u16 {
                let mut q = query("slow.test", RecordType::A);
                q.metadata.id = i;
                s.send_to(&q.to_vec().expect("encode"), SERVER)
                    .expect("send");
            }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let forwarded = up.received.load(Ordering::Relaxed);
        assert!(
            forwarded > 0 && forwarded <= MAX_FORWARDS_PER_CONTAINER && forwarded < 500,
            "{forwarded} queries forwarded at once"
        );
        // Names of the table are still answered during the flood.
        assert_eq!(resolve(&p1, "one", Proto::Udp).await.1, vec!["172.18.0.2"]);
        dns.detach("c1");
    });
}
