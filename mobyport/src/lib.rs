//! Small ports of moby and the Go standard library that several wharf crates need, each stated
//! once: moby's Linux signal table and `ParseSignal`, Go's `path.Clean`, Go's rune-by-rune case
//! mapping, the text of Go's zero time and `time.ParseDuration`. Timestamps themselves are `jiff`'s, whose `Display`
//! is already Go's `RFC3339Nano`, so no time code lives here.
//!
//! Architecture invariant: this crate depends on nothing, not even another workspace crate, so
//! the leaves may all use it without knowing of each other. Only behaviour that at least two
//! crates need belongs here; a port with one user stays beside it.

pub mod path;
pub mod signal;
pub mod strings;
pub mod time;
