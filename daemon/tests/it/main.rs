//! The daemon's privileged tests, one binary: the real `wharfd` in a network namespace of each
//! test's own, driven by the real Docker CLI and a plain HTTP client. `cargo xtask test` runs
//! them as root (`#[ignore = "privileged"]`).

mod anonymous_volumes;
mod api_env;
mod build;
mod compose;
mod containers;
mod create_validation;
mod default_ulimits;
mod docker_py;
mod docker_py_build;
mod docker_py_events;
mod docker_py_exec;
mod docker_py_files;
mod docker_py_logs;
mod docker_py_networks;
mod docker_py_options;
mod docker_py_prune;
mod docker_py_registry;
mod docker_py_surface;
mod docker_py_svc;
mod events;
mod exec;
mod files;
mod fleet;
mod health;
mod health_restart;
mod images;
mod legacy_links;
mod limit_effects;
mod logging;
mod mount_options;
mod namespaces;
mod network;
mod networks_user;
mod prune;
mod registry;
mod robustness;
mod runtimes;
mod security;
mod service;
mod startup;
mod surface;
mod volume_options;
mod volumes;
mod volumes_from;
