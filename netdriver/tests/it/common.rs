//! Shared helpers for the privileged tests: each test owns a daemon namespace (where the driver
//! runs, on a thread that entered it) and container namespaces, all removed on drop.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::fs::File;
use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use netdriver::Config;
use nix::sched::CloneFlags;
use tempfile::TempDir;
use testkit::NetNs;

/// Enters `ns` on the calling thread; only ever called on threads the tests spawn.
fn enter(ns: &Path) {
    let f = File::open(ns).expect("the test namespace exists");
    nix::sched::setns(&f, CloneFlags::CLONE_NEWNET).expect("entering the test namespace");
}

/// Runs `body` on a new thread inside `ns`, with a current-thread runtime built on that thread;
/// a panic in `body` fails the calling test.
pub fn block_in<F, Fut, T>(ns: &Path, body: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let ns = ns.to_path_buf();
    let h = std::thread::spawn(move || {
        enter(&ns);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(body())
    });
    match h.join() {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// A daemon namespace, a state directory and a resolv.conf fixture for one test.
pub struct Fixture {
    /// Where the driver runs.
    pub ns: NetNs,
    /// Holds `state/` and `resolv.conf`.
    pub dir: TempDir,
}

impl Fixture {
    /// A fresh namespace and a resolv.conf naming `nameserver`.
    pub fn new(tag: &str, nameserver: &str) -> Self {
        let ns = NetNs::new(tag).expect("creating the daemon namespace");
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(
            dir.path().join("resolv.conf"),
            format!("nameserver {nameserver}\nsearch example.test\noptions ndots:1\n"),
        )
        .expect("writing the resolv.conf fixture");
        Fixture { ns, dir }
    }

    /// A configuration with state and resolv.conf inside the fixture.
    pub fn config(&self) -> Config {
        let mut c = Config::new(self.dir.path().join("state"));
        c.resolv_conf = self.dir.path().join("resolv.conf");
        c
    }

    /// The daemon namespace's path.
    pub fn path(&self) -> PathBuf {
        self.ns.path()
    }

    /// Runs `ip ARGS` in the daemon namespace (test set-up only; the library never runs `ip`).
    pub fn ip(&self, args: &[&str]) -> String {
        self.ns.run("ip", args).expect("ip in the test namespace")
    }

    /// `nft list table ip wharf` in the daemon namespace (no handles, so runs compare equal).
    pub fn table(&self) -> String {
        self.ns
            .run("nft", &["list", "table", "ip", "wharf"])
            .expect("listing table ip wharf")
    }

    /// The names of the links in the daemon namespace.
    pub fn links(&self) -> Vec<String> {
        links(&self.ns)
    }
}

/// The names of the links in `ns`.
pub fn links(ns: &NetNs) -> Vec<String> {
    let out = ns.run("ip", &["-br", "link"]).expect("listing links");
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .collect()
}

/// Whether an ICMP echo from `from` to `ip` is answered within a second, in one of three tries.
pub fn ping(from: &NetNs, ip: &str) -> bool {
    // Three tries: on a loaded machine the first echo may go before the neighbour is resolved.
    (0..3).any(|_| {
        from.command("busybox", &["ping", "-c1", "-W1", ip])
            .output()
            .expect("running busybox ping")
            .status
            .success()
    })
}

/// What the host's own namespace looks like, to prove the tests leave it alone.
#[derive(Debug, PartialEq, Eq)]
pub struct HostSnapshot {
    ip_forward: String,
    has_docker0: bool,
    nft_tables: String,
}

impl HostSnapshot {
    /// Reads the host namespace (the test's main thread never enters another one).
    pub fn take() -> Self {
        let has_docker0 = Command::new("ip")
            .args(["link", "show", "docker0"])
            .output()
            .expect("ip link")
            .status
            .success();
        let nft = Command::new("nft")
            .args(["list", "tables"])
            .output()
            .expect("nft list tables");
        HostSnapshot {
            ip_forward: std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
                .expect("ip_forward"),
            has_docker0,
            nft_tables: String::from_utf8_lossy(&nft.stdout).into_owned(),
        }
    }

    /// Asserts the host looks as it did, and has no wharf table.
    pub fn assert_unchanged(&self) {
        let now = HostSnapshot::take();
        assert_eq!(self, &now, "the host namespace changed");
        assert!(
            !now.nft_tables.contains("wharf"),
            "a wharf table on the host"
        );
    }
}

/// A TCP server inside a namespace that answers each connection with `NAME:` and what it read.
pub struct EchoServer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// Listens on `0.0.0.0:port` inside `ns`; returns once it is listening.
    pub fn start(ns: &Path, port: u16, name: &'static str) -> Self {
        let ns = ns.to_path_buf();
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            enter(&ns);
            let l = TcpListener::bind(("0.0.0.0", port)).expect("binding the echo server");
            l.set_nonblocking(true).expect("nonblocking");
            ready_tx.send(()).expect("test waits");
            while !flag.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((mut s, _)) => {
                        s.set_nonblocking(false).expect("blocking");
                        s.set_read_timeout(Some(Duration::from_secs(2)))
                            .expect("timeout");
                        let mut buf = [0u8; 64];
                        let n = s.read(&mut buf).unwrap_or(0);
                        let mut reply = format!("{name}:").into_bytes();
                        reply.extend_from_slice(&buf[..n]);
                        let _ = s.write_all(&reply);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("echo server ready");
        EchoServer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one UDP datagram on `0.0.0.0:port` inside `ns` with `NAME:` and its payload.
pub fn udp_echo_once(ns: &Path, port: u16, name: &'static str) -> JoinHandle<()> {
    let ns = ns.to_path_buf();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        enter(&ns);
        let s = UdpSocket::bind(("0.0.0.0", port)).expect("binding the udp echo");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        ready_tx.send(()).expect("test waits");
        let mut buf = [0u8; 64];
        if let Ok((n, from)) = s.recv_from(&mut buf) {
            let mut reply = format!("{name}:").into_bytes();
            reply.extend_from_slice(&buf[..n]);
            let _ = s.send_to(&reply, from);
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("udp echo ready");
    t
}

/// Sends one UDP datagram to `addr` from inside `ns` and returns the answer.
pub fn udp_exchange_from(ns: &Path, addr: SocketAddr, msg: &str) -> std::io::Result<String> {
    let ns = ns.to_path_buf();
    let msg = msg.to_string();
    std::thread::spawn(move || {
        enter(&ns);
        let s = UdpSocket::bind("0.0.0.0:0")?;
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.send_to(msg.as_bytes(), addr)?;
        let mut buf = [0u8; 64];
        let n = s.recv(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    })
    .join()
    .expect("client thread")
}

/// Connects to `addr`, sends `msg` and returns the answer, from the calling thread's namespace.
pub fn exchange_here(addr: SocketAddr, msg: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    s.write_all(msg.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// Like [`exchange_here`], from inside namespace `ns`.
pub fn exchange_from(ns: &Path, addr: SocketAddr, msg: &str) -> std::io::Result<String> {
    let ns = ns.to_path_buf();
    let msg = msg.to_string();
    std::thread::spawn(move || {
        enter(&ns);
        exchange_here(addr, &msg)
    })
    .join()
    .expect("client thread")
}

/// Milliseconds since `t`, for timing prints.
pub fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
