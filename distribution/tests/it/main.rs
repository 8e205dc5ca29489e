//! Privileged tests of the registry client against a real registry (Debian's
//! `docker-registry`, distribution 2.8) in a test network namespace, images put in with
//! `skopeo`. Run by `cargo xtask test` (as root).

mod auth;
mod common;
mod pull;
mod push;
mod tls;
