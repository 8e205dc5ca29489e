//! A stand-in for `wharfd` in the exec driver's tests: `wharf-monitor-test monitor ARGS...` runs
//! the monitor exactly as `wharfd monitor ARGS...` will.

fn main() {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == "monitor") {
        match execdriver::MonitorArgs::parse(args) {
            Ok(a) => execdriver::monitor_main(a),
            Err(e) => {
                eprintln!("wharf-monitor-test: {e}");
                std::process::exit(2);
            }
        }
    }
    eprintln!(
        "usage: wharf-monitor-test monitor --id ID --state-dir DIR --runtime RUNC --runtime-root ROOT [--stdin]"
    );
    std::process::exit(2);
}
