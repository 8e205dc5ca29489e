//! `cargo xtask bench [--with-dockerd] [--runs N]`: start-up time and idle memory of `wharfd`,
//! side by side with dockerd when Debian's `docker.io` is installed.
//!
//! Every daemon starts cold in a network namespace created for it, with its state in a fresh
//! temp dir, and is stopped (SIGTERM, by PID) and its namespace removed before the next one,
//! also on failure or Ctrl-C. dockerd is run by the peer recipe beside the clone
//! (`../shared/reference/peer-dockerd/`), never in the host's namespace.

mod dockerd;
mod engine;
mod interrupt;
mod procs;
mod report;
mod scenario;
mod stats;
mod wharfd;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::{cargo, packages, run_checked, workspace_root};
use engine::{Engine, Launcher, Start};
use report::Row;
use scenario::{ALL, Metric};
use stats::Stats;

const USAGE: &str = "usage: cargo xtask bench [--with-dockerd] [--runs N]

  --with-dockerd   install Debian's docker.io first (by the peer recipe's install.sh, which
                   keeps the package from starting dockerd on the host) to compare with it
  --runs N         cold starts per start-up figure (default 10)";

/// The command line.
struct Options {
    with_dockerd: bool,
    runs: usize,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut o = Options {
            with_dockerd: false,
            runs: 10,
        };
        let mut args = args.iter();
        while let Some(a) = args.next() {
            match a.as_str() {
                "--with-dockerd" => o.with_dockerd = true,
                "--runs" => {
                    let n = args.next().context("--runs needs a number")?;
                    o.runs = n.parse().with_context(|| format!("--runs {n}"))?;
                    ensure!(o.runs > 0, "--runs must be at least 1");
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown argument {other}\n{USAGE}"),
            }
        }
        Ok(o)
    }
}

/// Runs the benchmarks and prints the table.
pub fn main(args: &[String]) -> Result<()> {
    let opts = Options::parse(args)?;
    ensure!(
        nix::unistd::geteuid().is_root(),
        "cargo xtask bench starts daemons in network namespaces and must run as root"
    );
    interrupt::install()?;
    procs::become_subreaper()?;
    packages::ensure(&["iproute2", "util-linux"])?;

    let recipe = recipe_dir();
    if opts.with_dockerd && find_dockerd().is_none() {
        install_dockerd(recipe.as_deref())?;
    }
    run_checked(cargo().args(["build", "--release", "-p", "daemon", "--bin", "wharfd"]))?;
    interrupt::check()?;

    let bin = workspace_root().join("target/release/wharfd");
    let mut engines: Vec<Box<dyn Engine>> =
        vec![Box::new(wharfd::Wharfd::new(bin, recipe.clone()))];
    let peer = match (find_dockerd(), &recipe) {
        (Some(dockerd), Some(recipe)) => {
            packages::ensure(&["curl"])?;
            engines.push(Box::new(dockerd::Dockerd::new(recipe.clone())));
            Peer::Dockerd(version(&dockerd))
        }
        (Some(_), None) => Peer::NoRecipe,
        (None, _) => Peer::Missing,
    };

    let rows = run(&engines, opts.runs, !matches!(peer, Peer::Dockerd(_)))?;
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    println!();
    println!("{}", host_line(&peer));
    println!();
    print!("{}", report::render(&names, &rows));
    println!();
    print!("{}", report::targets(&rows));
    println!();
    print_notes(&peer, recipe_overhead(&rows));
    Ok(())
}

/// Whether dockerd takes part, and why not.
enum Peer {
    /// It does; its version line.
    Dockerd(String),
    /// dockerd is installed but the recipe that runs it safely is not beside the clone.
    NoRecipe,
    /// `docker.io` is not installed.
    Missing,
}

/// Measures every scenario on every engine taking part; a measurement shared by several rows
/// (same engine, metric and start) is taken once.
fn run(engines: &[Box<dyn Engine>], runs: usize, alone: bool) -> Result<Vec<Row>> {
    let mut memo: HashMap<(&'static str, Metric, Start), Stats> = HashMap::new();
    let mut rows = Vec::new();
    for scenario in ALL.iter().filter(|s| !(alone && s.needs_peer)) {
        let mut cells = Vec::new();
        for engine in engines {
            let Some(how) = scenario.start_for(engine.name()) else {
                cells.push(None);
                continue;
            };
            let key = (engine.name(), scenario.metric, *how);
            let stats = match memo.get(&key) {
                Some(s) => *s,
                None => {
                    let n = scenario.metric.runs(runs);
                    eprint!(
                        "xtask bench: {} / {} ({n} cold starts)",
                        scenario.name,
                        engine.name()
                    );
                    let s = stats::measure(n, |_| {
                        eprint!(".");
                        scenario.metric.sample(engine.as_ref(), how)
                    })
                    .with_context(|| format!("{}, {}", scenario.name, engine.name()))?;
                    eprintln!(" {}", s.show(scenario.metric.unit()));
                    memo.insert(key, s);
                    s
                }
            };
            cells.push(Some(stats));
        }
        rows.push(Row { scenario, cells });
    }
    Ok(rows)
}

/// The peer recipe beside the clone, as CI lays it out too.
fn recipe_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/reference/peer-dockerd");
    dir.join("dockerd.sh")
        .is_file()
        .then(|| dir.canonicalize().unwrap_or(dir))
}

/// `dockerd` on `PATH` (as `command -v` finds it), or in `/usr/sbin`.
fn find_dockerd() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("dockerd"))
        .find(|p| p.is_file())
}

/// Installs Debian's `docker.io` with the recipe's `install.sh`, whose `policy-rc.d` keeps the
/// package from starting dockerd on the host.
fn install_dockerd(recipe: Option<&Path>) -> Result<()> {
    let recipe = recipe.context(
        "--with-dockerd needs the peer recipe at ../shared/reference/peer-dockerd beside the clone",
    )?;
    eprintln!(
        "xtask bench: installing docker.io with {}/install.sh",
        recipe.display()
    );
    run_checked(Command::new("bash").arg(recipe.join("install.sh")))?;
    ensure!(
        find_dockerd().is_some(),
        "install.sh ran but dockerd is not installed"
    );
    Ok(())
}

/// `dockerd --version`, e.g. `Docker version 20.10.24+dfsg1, build 297e128`.
fn version(dockerd: &Path) -> String {
    Command::new(dockerd)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| format!("dockerd --version: {e}"))
}

/// Kernel, CPUs and the peer's version: what the figures depend on.
fn host_line(peer: &Peer) -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut line = format!("host: Linux {}, {cpus} CPUs", kernel.trim());
    if let Peer::Dockerd(v) = peer {
        line.push_str(&format!("; dockerd: {v}"));
    }
    line
}

/// What the recipe's launcher and poller add to a start-up figure: wharfd timed by the recipe
/// minus wharfd timed by xtask, both with default settings (`None` without that pair of rows).
fn recipe_overhead(rows: &[Row]) -> Option<f64> {
    let wharfd_ready = |launcher| {
        let how = Start {
            launcher,
            args: &[],
        };
        rows.iter()
            .find(|r| {
                r.scenario.metric == Metric::Ready && r.scenario.start_for("wharfd") == Some(&how)
            })
            .and_then(|r| r.cells.first().copied().flatten())
            .map(|s| s.median)
    };
    Some(wharfd_ready(Launcher::Recipe)? - wharfd_ready(Launcher::Direct)?)
}

fn print_notes(peer: &Peer, recipe_overhead: Option<f64>) {
    println!("how the figures are taken (median (min-max) of cold starts):");
    println!(
        "- wharfd: spawned by `nsenter --net` in a fresh namespace with a fresh data root, \
         timed from spawn to the first OK of GET /_ping, polled from Rust every 0.5 ms."
    );
    println!(
        "- idle RSS: VmRSS summed over the daemon and all its descendants after 1 s idle \
         (dockerd: dockerd + containerd); 1 MB = 1024 kB."
    );
    match peer {
        Peer::Dockerd(_) => {
            println!(
                "- dockerd: the recipe's `dockerd.sh start` (FRESH=1, fresh STATE, own netns). \
                 Its ping_ms runs from before `ip netns exec ... ns-init.sh` (a shell that \
                 re-mounts the cgroup hierarchies) to curl's first OK, polled every 5 ms, in \
                 whole ms: it includes the launcher's and the poller's own cost."
            );
            println!(
                "- \"both by the recipe\" times wharfd exactly that way (its dockerd column is the \
                 same samples as the first row), for a like-for-like ratio.{}",
                recipe_overhead.map_or_else(String::new, |ms| format!(
                    " The recipe's launcher and poller add ~{ms:.0} ms here."
                ))
            );
        }
        Peer::NoRecipe => println!(
            "- dockerd is installed but the peer recipe is not at \
             ../shared/reference/peer-dockerd beside the clone: no comparison."
        ),
        Peer::Missing => println!(
            "- no dockerd column: Debian's docker.io is not installed. `cargo xtask bench \
             --with-dockerd` installs it (by the peer recipe's install.sh, which never lets it \
             start on the host) and adds the comparison."
        ),
    }
}
