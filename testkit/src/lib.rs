//! Test support for wharf's privileged tests.
//!
//! Every privileged test runs the real `wharfd` inside a network namespace that the test creates
//! ([`NetNs`]), with its own temporary data root, exec root, pidfile and socket ([`Wharfd`]), and
//! removes all of it when the guards drop, also when the test fails. Tests that need these guards
//! are marked `#[ignore = "privileged"]` and call [`require_privileged`] first, so that they fail
//! loudly instead of skipping when they cannot run; `cargo xtask test` runs them as root.

pub mod cleanup;
mod daemon;
pub mod fixtures;
mod http;
mod netns;
pub mod oci_index;
pub mod registry;

pub use daemon::{Wharfd, WharfdBuilder, wharfd_binary};
pub use http::{HttpResponse, request};
pub use netns::NetNs;
pub use registry::{Registry, RegistryAuth, TestPki, TokenServer};

/// Fails the calling test unless it runs with the privileges it needs (root).
///
/// Privileged tests never skip themselves: a test that could not run is a failure.
pub fn require_privileged() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this privileged test must run as root: use `cargo xtask test`"
    );
}

/// The Docker CLI used by the tests (the real one, as users run it).
pub const DOCKER_CLI: &str = "/usr/local/bin/docker";

/// The variable naming the Python interpreter that has docker-py (`cargo xtask test` makes the
/// venv and sets it; [`Wharfd::docker_py`] reads it).
pub const DOCKER_PY_VAR: &str = "WHARF_DOCKER_PY";
