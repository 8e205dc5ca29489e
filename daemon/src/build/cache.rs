//! The classic builder's cache (dockerd's `getLocalCachedImage`): a step is reused when an
//! image built on the same parent recorded the same container config (the instruction with
//! its arguments, the build args, COPY's and ADD's source checksum, the config so far).

use graph::config::ContainerConfig;
use graph::{ImageId, ImageStore};

/// A child of `parent` whose recorded container config is `probe`: its ID and config.
pub(super) fn lookup(
    store: &ImageStore,
    parent: &ImageId,
    probe: &ContainerConfig,
) -> graph::Result<Option<(ImageId, ContainerConfig)>> {
    for child in store.children(parent)? {
        let Ok(d) = store.details(&child) else {
            continue;
        };
        if d.config
            .container_config
            .as_ref()
            .is_some_and(|c| key(c) == key(probe))
        {
            return Ok(Some((child, d.config.config.unwrap_or_default())));
        }
    }
    Ok(None)
}

/// What the cache compares (dockerd's `compare`), an unset field the same as an empty one
/// (the stored config went through Go's JSON form).
fn key(c: &ContainerConfig) -> String {
    let keys = |m: &Option<std::collections::BTreeMap<String, serde_json::Value>>| -> Vec<String> {
        m.iter().flatten().map(|(k, _)| k.clone()).collect()
    };
    let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    serde_json::json!([
        list(&c.cmd),
        list(&c.env),
        c.labels.clone().unwrap_or_default(),
        keys(&c.exposed_ports),
        list(&c.entrypoint),
        keys(&c.volumes),
        text(&c.working_dir),
        text(&c.user),
        list(&c.on_build),
        list(&c.shell),
        text(&c.stop_signal),
        text(&c.image),
        c.healthcheck.as_ref().map(|h| (
            list(&h.test),
            h.interval,
            h.timeout,
            h.start_period,
            h.retries
        )),
    ])
    .to_string()
}
