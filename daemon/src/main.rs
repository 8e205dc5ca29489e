//! `wharfd`: a container engine daemon that serves the Docker Engine API.

mod blocking;
mod build;
mod cli;
mod config;
mod containers;
mod daemon;
mod dataroot;
mod distribution;
mod error;
mod events;
mod exec;
mod health;
mod images;
mod info;
mod logdriver;
mod memory;
mod metrics;
mod mountinfo;
mod network;
mod pidfile;
mod prune;
mod service;
mod socket;
mod startup;
mod usage;
mod version;
mod volumes;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Config;

fn main() -> ExitCode {
    // `wharfd monitor ...`: a container's monitor, re-executed from this binary. It must start
    // before anything else (no thread, no runtime, no parsing), because it forks.
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|a| a == "monitor") {
        match execdriver::MonitorArgs::parse(args) {
            Ok(a) => execdriver::monitor_main(a),
            Err(e) => {
                eprintln!("wharfd monitor: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let launched = Instant::now();
    // A parent may have blocked signals and we would inherit that mask; SIGTERM and SIGINT must
    // reach the shutdown handler.
    let _ = nix::sys::signal::SigSet::all().thread_unblock();
    let cli = Cli::parse();
    if cli.flags.version {
        println!("{}", version::line());
        return ExitCode::SUCCESS;
    }
    if let Some(Command::Check { json }) = cli.command {
        return check(json, &cli.flags);
    }
    let config = match Config::load(&cli.flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wharfd: {e}");
            return ExitCode::FAILURE;
        }
    };
    if cli.flags.validate {
        println!("configuration OK");
        return ExitCode::SUCCESS;
    }
    service::log::init(config.log_level, config.log_format);
    // Before the runtime's threads exist.
    memory::limit_arenas();
    match startup::run(config, cli.flags, launched) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("wharfd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `wharfd check`: the whole host report; non-zero when a check is fatal.
fn check(json: bool, flags: &cli::Flags) -> ExitCode {
    let data_root = Config::load(flags)
        .map(|c| c.data_root)
        .unwrap_or_else(|_| "/var/lib/wharf".into());
    let report = hostcheck::Probe::live().with_data_root(data_root).run();
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("wharfd: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", report.render());
    }
    if report.is_fatal() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
