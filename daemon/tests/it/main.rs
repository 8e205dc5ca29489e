//! The daemon's privileged tests, one binary: the real `wharfd` in a network namespace of each
//! test's own, driven by the real Docker CLI and a plain HTTP client. `cargo xtask test` runs
//! them as root (`#[ignore = "privileged"]`).

mod containers;
mod images;
mod network;
mod runtimes;
mod startup;
mod volumes;
