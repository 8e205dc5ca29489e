//! The network driver's privileged tests, one binary: bridges, endpoints and published ports in
//! namespaces each test creates. `cargo xtask test` runs them as root (`#[ignore = "privileged"]`).

mod common;

mod bridge;
mod dns;
mod dns_support;
mod endpoints;
mod ports;
mod restart;
