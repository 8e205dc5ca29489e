//! The daemon's privileged tests, one binary: the real `wharfd` in a network namespace of each
//! test's own, driven by the real Docker CLI and a plain HTTP client. `cargo xtask test` runs
//! them as root (`#[ignore = "privileged"]`).

mod anonymous_volumes;
mod api_env;
mod compose;
mod containers;
mod create_validation;
mod docker_py;
mod docker_py_events;
mod docker_py_exec;
mod docker_py_files;
mod docker_py_logs;
mod docker_py_networks;
mod docker_py_prune;
mod docker_py_registry;
mod docker_py_surface;
mod events;
mod exec;
mod files;
mod health;
mod images;
mod logging;
mod network;
mod networks_user;
mod prune;
mod registry;
mod robustness;
mod runtimes;
mod security;
mod startup;
mod surface;
mod volumes;
