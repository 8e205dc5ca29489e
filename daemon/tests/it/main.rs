//! The daemon's privileged tests, one binary: the real `wharfd` in a network namespace of each
//! test's own, driven by the real Docker CLI and a plain HTTP client. `cargo xtask test` runs
//! them as root (`#[ignore = "privileged"]`).

mod api_env;
mod containers;
mod create_validation;
mod docker_py;
mod docker_py_exec;
mod exec;
mod health;
mod images;
mod network;
mod registry;
mod robustness;
mod runtimes;
mod startup;
mod volumes;
