//! The Dockerfile front-end: the parser (buildkit's `frontend/dockerfile/parser`: directives,
//! comments, continuations, heredocs), `$VAR` expansion (buildkit's shell lexer, which the
//! classic builder uses), typed and checked instructions, and the dispatch of metadata
//! instructions onto the part of an image config a Dockerfile sets. Used by `import --change`,
//! `commit --change` ([`apply_changes`]) and the builder.
//!
//! It knows nothing of images or containers: the daemon copies [`Settings`] to and from the
//! image store's config, and runs what needs a container (RUN, COPY, ADD).
//! Every error is dockerd's message, word for word.

mod changes;
mod config;
mod dispatch;
mod gostd;
mod instruction;
mod lex;
mod parse;
mod pattern;
mod ports;
mod syntax;

pub use changes::apply_changes;
pub use config::{Health, Settings};
pub use dispatch::{State, normalize_workdir, with_shell};
pub use gostd::quote as go_quote;
pub use instruction::{CopyArgs, Instruction, parse as parse_instruction, parse_all};
pub use lex::{Env, Lex};
pub use parse::{Heredoc, Node, Parsed, parse};
