//! `endpoint-bench --netns PATH [ROUNDS]`: bridge set-up and endpoint attach/detach latency,
//! for `cargo xtask bench` (issue 4's targets: attach and detach within 5 ms each).
//!
//! It creates `docker0` and the `ip wharf` nftables table in the namespace it runs in, so it
//! runs only inside the network namespace `PATH` names (it checks): `cargo xtask bench` runs
//! it under `nsenter --net=PATH` in a fresh namespace and removes that namespace afterwards.
//!
//! 1. `bridge_setup_ms`: [`NetDriver::init`] with its state in a temp dir, as `wharfd`'s
//!    network step does it at start-up: the bridge created, forwarding enabled, the state
//!    files written and the nftables table applied (one `nft` run).
//! 2. `ROUNDS` (default 20) times: a throwaway network namespace, made by a thread that
//!    `unshare`s one and stays alive holding it (`/proc/<pid>/task/<tid>/ns/net`, as a
//!    container's would be), then [`NetDriver::attach`] and [`NetDriver::detach`] timed
//!    apart (`attach_ms`, `detach_ms`). Detach returns once the endpoint is released; the veth
//!    is deleted in the background, as in the daemon, and each round starts once that is done
//!    ([`NetDriver::settle`], not timed).
//! 3. `ROUNDS` more, back to back (`attach_busy_ms`, `detach_busy_ms`): each attach starts
//!    while the previous veth is still being deleted, as under container churn.
//!
//! All namespaces stay until the end. Prints `key=value` lines: `bridge_setup_ms`, and the
//! median, min and max of the four latencies.

use std::error::Error;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use netdriver::{Config, NetDriver};
use nix::sched::CloneFlags;

mod support;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (netns, rounds) = match args.as_slice() {
        [flag, ns] if flag == "--netns" => (ns, 20),
        [flag, ns, n] if flag == "--netns" => (ns, n.parse()?),
        _ => return Err("usage: endpoint-bench --netns PATH [ROUNDS]".into()),
    };
    if rounds == 0 {
        return Err("ROUNDS must be at least 1".into());
    }
    support::require_netns(netns, "endpoint-bench")?;
    let dir = tempfile::Builder::new()
        .prefix("wharf-endpoint-bench-")
        .tempdir()?;
    // A fixed resolver file, so the host's nameservers do not decide the subnet.
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(&resolv, "nameserver 192.0.2.53\n")?;
    let mut config = Config::new(dir.path().join("state"));
    config.resolv_conf = resolv;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let t = Instant::now();
        let driver = NetDriver::init(config)
            .await?
            .ok_or("the default bridge configuration gave no driver")?;
        let setup = ms(t);

        let mut namespaces = Vec::with_capacity(2 * rounds);
        let calm = rounds_of(&driver, rounds, Pace::Settled, &mut namespaces).await?;
        let busy = rounds_of(&driver, rounds, Pace::BackToBack, &mut namespaces).await?;
        driver.settle().await;
        driver.shutdown().await?;
        drop(namespaces);

        println!("rounds={rounds}");
        println!("bridge_setup_ms={setup:.2}");
        report("attach_ms", calm.attach);
        report("detach_ms", calm.detach);
        report("attach_busy_ms", busy.attach);
        report("detach_busy_ms", busy.detach);
        Ok::<(), Box<dyn Error>>(())
    })
}

/// Whether a round waits for the previous detach's veth deletion before it starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pace {
    /// Each attach starts once the previous veth is gone (not timed): the cost of an attach
    /// itself.
    Settled,
    /// Each attach follows the previous detach at once, while the kernel still deletes that
    /// veth (container churn): it waits for the RTNL lock that the deletion holds through an
    /// RCU grace period.
    BackToBack,
}

/// The latencies of a series of rounds, in milliseconds.
struct Latencies {
    attach: Vec<f64>,
    detach: Vec<f64>,
}

/// `rounds` attach/detach rounds, each on a namespace of its own, kept in `namespaces`.
async fn rounds_of(
    driver: &NetDriver,
    rounds: usize,
    pace: Pace,
    namespaces: &mut Vec<Throwaway>,
) -> Result<Latencies, Box<dyn Error>> {
    let mut out = Latencies {
        attach: Vec::with_capacity(rounds),
        detach: Vec::with_capacity(rounds),
    };
    for _ in 0..rounds {
        let ns = Throwaway::new()?;
        let id = format!("bench{}", namespaces.len());
        if pace == Pace::Settled {
            driver.settle().await;
        }
        let t = Instant::now();
        let ep = driver.attach(&id, &ns.path, None).await?;
        out.attach.push(ms(t));
        let t = Instant::now();
        driver.detach(&ep).await?;
        out.detach.push(ms(t));
        namespaces.push(ns);
    }
    Ok(out)
}

/// Milliseconds since `t`.
fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Prints the median, min and max of `samples`.
fn report(key: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    println!("{key}={median:.3}");
    println!("{key}_min={:.3}", samples[0]);
    println!("{key}_max={:.3}", samples[n - 1]);
}

/// A network namespace held by a thread of this process that `unshare`d it; it goes away when
/// the thread ends (on drop).
struct Throwaway {
    path: PathBuf,
    release: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Throwaway {
    fn new() -> Result<Self, Box<dyn Error>> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("throwaway-netns".into())
            .spawn(move || {
                let made =
                    nix::sched::unshare(CloneFlags::CLONE_NEWNET).map(|()| nix::unistd::gettid());
                let ok = made.is_ok();
                let _ = ready_tx.send(made);
                if ok {
                    // Holds the namespace until released (or the sender is dropped).
                    let _ = release_rx.recv();
                }
            })?;
        let tid = ready_rx.recv()??;
        Ok(Throwaway {
            path: PathBuf::from(format!("/proc/{}/task/{tid}/ns/net", std::process::id())),
            release: Some(release_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
