//! `cargo xtask bench [--with-dockerd] [--runs N] [--only WORD] [--no-scratch-fs]`: start-up
//! time and idle memory of `wharfd` (issue 2), image load, memory while loading ~1 GB, list,
//! untag and lookup (issue 3), bridge and endpoint latencies (issue 4), `docker run`,
//! create, `ps -a` and `rm` of containers (issue 5), bursts and storms (issue 10), and `docker
//! pull` and `push` with a local registry (issue 11), `docker build` (issue 15), side by side
//! with dockerd when Debian's `docker.io` is installed and the comparison means something.
//!
//! Every daemon starts cold in a network namespace created for it, with its state in a fresh
//! temp dir, and is stopped (SIGTERM, by PID) and its namespace removed before the next one,
//! also on failure or Ctrl-C. dockerd is run by the peer recipe beside the clone
//! (`../shared/reference/peer-dockerd/`), never in the host's namespace. The network example
//! runs in a namespace of its own too, as does the bare `runc run`. wharfd's containers outlive
//! it, so each wharfd loses its containers before it is stopped, and what a failure leaves of
//! them (runc containers, monitors, mounts) is ended by PID and path (see [`wharfd`]). Fixtures, helper programs and the seeded store are
//! [`assets`]; everything is written to a file system mounted for the run ([`scratch`]).

mod assets;
mod build;
mod client;
mod container_stats;
mod containers;
mod dns_lookup;
mod dockerd;
mod engine;
mod exec;
mod interrupt;
mod networks;
mod notes;
mod probe;
mod procs;
mod registry;
mod report;
mod scenario;
mod scratch;
mod stats;
mod storm;
mod wharfd;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::{cargo, packages, run_checked, workspace_root};
use assets::Assets;
use engine::{Data, Engine, Launcher, Start};
use probe::Probe;
use report::Row;
use scenario::{ALL, Metric, Scenario};
use stats::{Series, Stats};

const USAGE: &str =
    "usage: cargo xtask bench [--with-dockerd] [--runs N] [--only WORD] [--no-scratch-fs]

  --with-dockerd   install Debian's docker.io first (by the peer recipe's install.sh, which
                   keeps the package from starting dockerd on the host) to compare with it
  --runs N         cold starts per start-up figure (default 10); the heavier rows take
                   fewer (3 or 5), never more than N
  --only WORD      only the rows whose name contains WORD (repeatable)
  --no-scratch-fs  write to $TMPDIR instead of a fresh loop-mounted ext4 file system (see
                   xtask/src/bench/scratch.rs for why the figures then vary more)";

/// The command line.
struct Options {
    with_dockerd: bool,
    runs: usize,
    only: Vec<String>,
    scratch_fs: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut o = Options {
            with_dockerd: false,
            runs: 10,
            only: Vec::new(),
            scratch_fs: true,
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
                "--no-scratch-fs" => o.scratch_fs = false,
                "--only" => o
                    .only
                    .push(args.next().context("--only needs a word")?.clone()),
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
    packages::ensure(
        &[
            packages::RUNTIME_PACKAGES,
            packages::TEST_PACKAGES,
            &["tar", "e2fsprogs", "mount"],
        ]
        .concat(),
    )?;
    // Declared first, dropped last: unmounted once every daemon and the assets are gone.
    let scratch = if opts.scratch_fs {
        let fs = scratch::ScratchFs::mount().context(
            "making the scratch file system (--no-scratch-fs writes to $TMPDIR instead)",
        )?;
        eprintln!(
            "xtask bench: writing to a scratch ext4 file system on {}",
            fs.path().display()
        );
        Some(fs)
    } else {
        None
    };

    let recipe = recipe_dir();
    if opts.with_dockerd && find_dockerd().is_none() {
        install_dockerd(recipe.as_deref())?;
    }
    run_checked(cargo().args(["build", "--release", "-p", "daemon", "--bin", "wharfd"]))?;
    let assets = Assets::build()?;
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

    let alone = !matches!(peer, Peer::Dockerd(_));
    let scenarios: Vec<&'static Scenario> = ALL
        .iter()
        .filter(|s| !(alone && s.needs_peer))
        .filter(|s| opts.only.is_empty() || opts.only.iter().any(|w| s.name.contains(w.as_str())))
        .collect();
    ensure!(!scenarios.is_empty(), "--only matched no row");
    let rows = run(&engines, &scenarios, opts.runs, &assets)?;
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    println!();
    println!("{}", host_line(&peer));
    println!();
    print!("{}", report::render(&names, &rows));
    println!();
    print!("{}", report::targets(&names, &rows));
    println!();
    let how = notes::How {
        peer: &peer,
        recipe_overhead: recipe_overhead(&rows),
        runs: opts.runs,
        scratch_fs: scratch.is_some(),
    };
    notes::print(&how, &rows, &assets);
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

/// The figures of each (engine, probe, start) measured so far.
type Memo = HashMap<(&'static str, Probe, Start), HashMap<Metric, Stats>>;

/// Measures every scenario on every engine taking part; a run shared by several rows (same
/// engine, probe and start) is taken once, and gives each of them its figure. The engines of a
/// row are measured in rounds, one run of each per round, so that a machine whose speed drifts
/// affects them alike.
fn run(
    engines: &[Box<dyn Engine>],
    scenarios: &[&'static Scenario],
    runs: usize,
    assets: &Assets,
) -> Result<Vec<Row>> {
    let mut memo: Memo = HashMap::new();
    let mut rows = Vec::new();
    for &scenario in scenarios {
        let probe = scenario.metric.probe();
        let todo: Vec<(&dyn Engine, &Start)> = engines
            .iter()
            .filter_map(|e| Some((e.as_ref(), scenario.start_for(e.name())?)))
            .filter(|(e, how)| !memo.contains_key(&(e.name(), probe, **how)))
            .collect();
        if !todo.is_empty() {
            measure(scenario, &todo, runs, assets, &mut memo)?;
        }
        let cells = engines
            .iter()
            .map(|e| {
                let Some(how) = scenario.start_for(e.name()) else {
                    return Ok(None);
                };
                memo[&(e.name(), probe, *how)]
                    .get(&scenario.metric)
                    .copied()
                    .map(Some)
                    .with_context(|| format!("{probe:?} gave no figure for {:?}", scenario.metric))
            })
            .collect::<Result<Vec<_>>>()?;
        rows.push(Row { scenario, cells });
    }
    Ok(rows)
}

/// Takes `scenario`'s runs for the engines in `todo`, in rounds, and records each engine's
/// figures in `memo`.
fn measure(
    scenario: &Scenario,
    todo: &[(&dyn Engine, &Start)],
    runs: usize,
    assets: &Assets,
    memo: &mut Memo,
) -> Result<()> {
    let probe = scenario.metric.probe();
    let n = probe.runs(runs);
    let what = if probe.starts_daemon() {
        "cold starts"
    } else {
        "runs"
    };
    for (_, how) in todo {
        probe.prepare(how, assets)?;
    }
    let names: Vec<&str> = todo.iter().map(|(e, _)| e.name()).collect();
    eprint!(
        "xtask bench: {} / {} ({n} {what}{})",
        scenario.name.trim(),
        names.join(" + "),
        if names.len() > 1 { " each" } else { "" }
    );
    let mut series: Vec<Series<Metric>> = todo.iter().map(|_| Series::new()).collect();
    for _ in 0..n {
        for ((engine, how), s) in todo.iter().zip(&mut series) {
            eprint!(".");
            let figures = probe
                .sample(*engine, how, assets)
                .with_context(|| format!("{}, {}", scenario.name.trim(), engine.name()))?;
            s.push(figures);
        }
    }
    let mut shown = Vec::new();
    for ((engine, how), s) in todo.iter().zip(series) {
        let figures = s.summarise()?;
        if let Some(f) = figures.get(&scenario.metric) {
            shown.push(format!(
                "{} {}",
                engine.name(),
                f.show(scenario.metric.unit())
            ));
        }
        memo.insert((engine.name(), probe, **how), figures);
    }
    eprintln!(" {}", shown.join(", "));
    Ok(())
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
            data: Data::Fresh,
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
