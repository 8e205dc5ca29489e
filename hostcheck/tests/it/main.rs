//! The host checks' integration tests, one binary: the probes against fake `/proc`, `/sys` and
//! `/etc` trees.

mod fixtures;
