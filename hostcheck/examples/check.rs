//! Prints the live host report: `cargo run -p hostcheck --example check [DATA_ROOT]`.

use std::time::Instant;

fn main() {
    let mut probe = hostcheck::Probe::live();
    if let Some(dir) = std::env::args_os().nth(1) {
        probe = probe.with_data_root(dir);
    }
    let started = Instant::now();
    let report = probe.run();
    let took = started.elapsed();
    print!("{}", report.render());
    eprintln!("probe took {took:?}");
    std::process::exit(i32::from(report.is_fatal()));
}
