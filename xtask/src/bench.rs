//! `cargo xtask bench`: start-up and memory, side by side with dockerd.

use anyhow::{Result, bail};

pub fn main(_args: &[String]) -> Result<()> {
    bail!("the benchmarks are not written yet")
}
