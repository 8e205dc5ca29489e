//! What the benchmark examples share (a module, not an example: it has no `main`).

use std::error::Error;
use std::os::unix::fs::MetadataExt;

/// Refuses to run outside the network namespace `path`: the examples change the namespace they
/// run in, which must be one made for them, never the host's. `example` names the program in
/// the message.
pub fn require_netns(path: &str, example: &str) -> Result<(), Box<dyn Error>> {
    let id = |p: &str| {
        std::fs::metadata(p)
            .map(|m| (m.dev(), m.ino()))
            .map_err(|e| format!("{p}: {e}"))
    };
    if id("/proc/self/ns/net")? != id(path)? {
        return Err(format!(
            "refusing to run: this process is not in network namespace {path} \
             (run it as `nsenter --net={path} -- {example} --netns {path}`)"
        )
        .into());
    }
    Ok(())
}
