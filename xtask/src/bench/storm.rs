//! Bursts and storms (issue 10): the daemon's memory once a burst of large creates is over, and
//! how fair its API stays under a storm of busy connections.
//!
//! - The burst: [`BURST`] creates at once, each with [`BURST_BINDS`] bind mounts (a ~300 KB
//!   body), every container removed again, then [`SETTLE`] of idleness before the memory of
//!   the daemon's process tree is read: what a daemon keeps of a burst it no longer needs.
//! - The storm: [`STORM_CONNECTIONS`] connections, each sending `GET /_ping` again as soon as
//!   the previous answer arrived (HTTP/1.1 keep-alive, all driven by one client thread), while
//!   `docker run --rm busybox true` runs [`STORM_RUNS`] times, one after the other. The figures:
//!   the runs' times, and the 99th percentile of the pings answered meanwhile.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::assets::Assets;
use super::client;
use super::containers::{none_left, with_busybox};
use super::engine::{Engine, Start};
use super::interrupt;
use super::procs;
use super::scenario::Metric;

/// Creates in the burst, all sent at once.
pub const BURST: usize = 50;
/// Bind mounts in each of them.
pub const BURST_BINDS: usize = 20_000;
/// Idleness after the burst, before the memory is read.
const SETTLE: Duration = Duration::from_secs(5);
/// Busy connections in the storm.
pub const STORM_CONNECTIONS: usize = 1_000;
/// `docker run --rm` during the storm, one after the other.
pub const STORM_RUNS: usize = 10;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The burst; its figure is [`Metric::BurstIdleRss`].
pub fn burst(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let sock = daemon.socket().to_path_buf();
    let binds: Vec<String> = (0..BURST_BINDS)
        .map(|i| format!("\"/b/{i}:/m/{i}\""))
        .collect();
    let body = Arc::new(format!(
        "{{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{{\"Binds\":[{}]}}}}",
        binds.join(",")
    ));
    let creates: Vec<JoinHandle<Result<String>>> = (0..BURST)
        .map(|_| {
            let (sock, body) = (sock.clone(), Arc::clone(&body));
            std::thread::spawn(move || {
                let (status, answer) =
                    client::request_json(&sock, "POST", "/containers/create", body.as_bytes())?;
                ensure!(status == 201, "create: {status} {answer:.300}");
                client::json_strings(&answer, "Id")
                    .pop()
                    .context("no Id in create's answer")
            })
        })
        .collect();
    let mut ids = Vec::with_capacity(BURST);
    for c in creates {
        ids.push(
            c.join()
                .map_err(|_| anyhow::anyhow!("a create thread panicked"))??,
        );
    }
    for id in &ids {
        let (status, answer) = client::request(&sock, "DELETE", &format!("/containers/{id}"))?;
        ensure!(status == 204, "DELETE /containers/{id}: {status} {answer}");
    }
    none_left(&assets.docker(daemon.socket()), engine, "the burst")?;
    interrupt::sleep(SETTLE)?;
    let (kb, _) = procs::rss_tree_kb(daemon.pid())?;
    Ok(vec![(Metric::BurstIdleRss, kb as f64 / 1024.0)])
}

/// The storm; its figures are [`Metric::StormRun`] (one per run) and
/// [`Metric::StormPingP99`].
pub fn storm(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let docker = assets.docker(daemon.socket());
    let storm = Storm::start(daemon.socket(), STORM_CONNECTIONS)?;
    interrupt::sleep(Duration::from_secs(1))?;
    storm.measure_from_now();
    let mut figures = Vec::with_capacity(STORM_RUNS + 1);
    let runs = (|| {
        for _ in 0..STORM_RUNS {
            let (took, out) = docker.timed(&["run", "--rm", "busybox", "true"])?;
            ensure!(out.is_empty(), "docker run printed {out:?}");
            figures.push((Metric::StormRun, ms(took)));
        }
        Ok(())
    })();
    let mut pings = storm.stop()?;
    runs?;
    ensure!(!pings.is_empty(), "no ping was answered during the storm");
    pings.sort();
    let p99 = pings[(pings.len() * 99 / 100).min(pings.len() - 1)];
    figures.push((Metric::StormPingP99, ms(p99)));
    none_left(&docker, engine, "the storm")?;
    Ok(figures)
}

/// The storm's client: one thread over every connection (non-blocking sockets and `poll`),
/// so the client takes one CPU at most and the daemon can have the other; each connection
/// sends its next ping as soon as its answer is complete.
struct Storm {
    stop: Arc<AtomicBool>,
    /// Set once the measured window opens; latencies before it are not kept.
    measuring: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<Vec<Duration>>>>,
}

impl Storm {
    /// Opens `connections` connections to `sock`, then starts pinging on all of them.
    fn start(sock: &Path, connections: usize) -> Result<Storm> {
        let mut conns = Vec::with_capacity(connections);
        for i in 0..connections {
            let stream = connect(sock).with_context(|| format!("storm connection {i}"))?;
            stream.set_nonblocking(true)?;
            conns.push(Conn {
                stream,
                answer: Vec::new(),
                sent: Instant::now(),
            });
        }
        let stop = Arc::new(AtomicBool::new(false));
        let measuring = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stop, measuring) = (Arc::clone(&stop), Arc::clone(&measuring));
            std::thread::Builder::new()
                .name("storm".into())
                .spawn(move || drive(conns, &stop, &measuring))
                .context("starting the storm thread")?
        };
        Ok(Storm {
            stop,
            measuring,
            thread: Some(thread),
        })
    }

    /// From now on, answers count.
    fn measure_from_now(&self) {
        self.measuring.store(true, Ordering::SeqCst);
    }

    /// Ends the storm; every latency measured.
    fn stop(mut self) -> Result<Vec<Duration>> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| anyhow::anyhow!("the storm thread panicked"))?,
            None => Ok(Vec::new()),
        }
    }
}

impl Drop for Storm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One busy connection.
struct Conn {
    stream: UnixStream,
    /// The answer read so far.
    answer: Vec<u8>,
    /// When its ping went out.
    sent: Instant,
}

const PING: &[u8] = b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";

/// A connection, retried briefly: a daemon's accept backlog may be full for a moment.
fn connect(sock: &Path) -> Result<UnixStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match UnixStream::connect(sock) {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() > deadline => {
                return Err(e).with_context(|| format!("connecting to {}", sock.display()));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Pings on every connection until `stop`; the latencies taken while `measuring`.
fn drive(mut conns: Vec<Conn>, stop: &AtomicBool, measuring: &AtomicBool) -> Result<Vec<Duration>> {
    for c in &mut conns {
        c.sent = Instant::now();
        (&c.stream).write_all(PING)?;
    }
    let mut latencies = Vec::new();
    let mut chunk = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let mut fds: Vec<PollFd<'_>> = conns
            .iter()
            .map(|c| PollFd::new(c.stream.as_fd(), PollFlags::POLLIN))
            .collect();
        poll(&mut fds, PollTimeout::from(100u8)).context("polling the storm's connections")?;
        let ready: Vec<usize> = fds
            .iter()
            .enumerate()
            .filter(|(_, f)| f.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| i)
            .collect();
        drop(fds);
        for i in ready {
            let c = &mut conns[i];
            loop {
                match (&c.stream).read(&mut chunk) {
                    Ok(0) => bail!("the daemon closed a storm connection"),
                    Ok(n) => c.answer.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e).context("reading a ping's answer"),
                }
            }
            if let Some(used) = complete(&c.answer)? {
                c.answer.drain(..used);
                if measuring.load(Ordering::Relaxed) {
                    latencies.push(c.sent.elapsed());
                }
                c.sent = Instant::now();
                (&c.stream).write_all(PING)?;
            }
        }
    }
    Ok(latencies)
}

/// The length of the first whole HTTP answer in `buf` (head and `Content-Length` body), if it
/// is all there.
fn complete(buf: &[u8]) -> Result<Option<usize>> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .with_context(|| format!("a ping answer without Content-Length: {head}"))?;
    let total = end + 4 + length;
    Ok((buf.len() >= total).then_some(total))
}

#[cfg(test)]
mod tests {
    use super::complete;

    #[test]
    fn whole_answers_are_found() {
        let one = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
        assert_eq!(complete(one).expect("parses"), Some(one.len()));
        assert_eq!(complete(&one[..one.len() - 1]).expect("parses"), None);
        assert_eq!(complete(b"HTTP/1.1 200 OK\r\n").expect("parses"), None);
        let two = [&one[..], &one[..]].concat();
        assert_eq!(complete(&two).expect("parses"), Some(one.len()));
        assert!(complete(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
    }
}
