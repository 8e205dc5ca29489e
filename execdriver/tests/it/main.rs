//! The exec driver's privileged tests, one binary: real containers under runc and the monitor.
//! `cargo xtask test` runs them as root (`#[ignore = "privileged"]`).

mod common;

mod run;
