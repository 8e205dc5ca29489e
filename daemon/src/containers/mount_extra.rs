//! The `Mounts` options beyond source, target and mode (`--mount` only): a bind's recursion
//! and read-only depth, a volume's subpath, labels and local driver options, checked as moby 25's
//! `validateMountConfigImpl` checks them.

use std::collections::BTreeMap;

use api::types::Mount;
use execdriver::ReadonlyDepth;
use mobyport::path::clean;

/// The `Mounts` options beyond a source, destination and mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MountExtra {
    /// `BindOptions.NonRecursive`: the source alone, without the mounts below it.
    pub(crate) non_recursive: bool,
    /// `BindOptions.ReadOnlyNonRecursive` / `ReadOnlyForceRecursive`.
    pub(crate) readonly_depth: ReadonlyDepth,
    /// `VolumeOptions.Subpath`: a directory inside the volume, mounted instead of its root.
    pub(crate) subpath: String,
    /// `VolumeOptions.Labels`: given to the volume if this mount creates it.
    pub(crate) volume_labels: BTreeMap<String, String>,
    /// `VolumeOptions.DriverConfig.Options`: the local driver's options if this mount creates
    /// the volume.
    pub(crate) volume_driver_opts: BTreeMap<String, String>,
}

/// A bind's `BindOptions` beyond propagation, checked as moby 25's `validateMountConfigImpl`.
pub(super) fn bind_extra(m: &Mount) -> Result<MountExtra, String> {
    let Some(o) = &m.bind_options else {
        return Ok(MountExtra::default());
    };
    if o.read_only_non_recursive && o.read_only_force_recursive {
        return Err("must not set both ReadOnlyNonRecursive and ReadOnlyForceRecursive".into());
    }
    if (o.read_only_non_recursive || o.read_only_force_recursive) && !m.read_only {
        let field = match o.read_only_non_recursive {
            true => "ReadOnlyNonRecursive",
            false => "ReadOnlyForceRecursive",
        };
        return Err(format!("must not set {field} when ReadOnly is false"));
    }
    if o.read_only_force_recursive && o.non_recursive {
        return Err("must not set ReadOnlyForceRecursive when NonRecursive is true".into());
    }
    if o.read_only_force_recursive && o.propagation != "rprivate" {
        return Err(format!(
            "read-only recursive bind mount requires propagation to be \"rprivate\", got {:?}",
            o.propagation
        ));
    }
    let readonly_depth = match (o.read_only_non_recursive, o.read_only_force_recursive) {
        (true, _) => ReadonlyDepth::NonRecursive,
        (_, true) => ReadonlyDepth::ForceRecursive,
        _ => ReadonlyDepth::Recursive,
    };
    Ok(MountExtra {
        non_recursive: o.non_recursive,
        readonly_depth,
        ..MountExtra::default()
    })
}

/// A volume's `VolumeOptions` beyond `NoCopy`: `Subpath`, `Labels`, `DriverConfig`.
pub(super) fn volume_extra(m: &Mount) -> Result<MountExtra, String> {
    let Some(o) = m.volume_options.as_ref().filter(|v| !v.is_null()) else {
        return Ok(MountExtra::default());
    };
    let strings = |v: &serde_json::Value| -> BTreeMap<String, String> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let subpath = o["Subpath"].as_str().unwrap_or_default();
    let subpath = match subpath {
        "" => String::new(),
        p => {
            let cleaned = clean(p);
            if p.starts_with('/') || cleaned == ".." || cleaned.starts_with("../") {
                return Err(format!(
                    "invalid volume subpath {p:?}: it must be relative and stay inside the volume"
                ));
            }
            cleaned
        }
    };
    let driver = &o["DriverConfig"];
    match driver["Name"].as_str().unwrap_or_default() {
        "" | "local" => {}
        name => {
            return Err(format!(
                "error looking up volume plugin {name}: plugin {name:?} not found"
            ));
        }
    }
    Ok(MountExtra {
        subpath,
        volume_labels: strings(&o["Labels"]),
        volume_driver_opts: strings(&driver["Options"]),
        ..MountExtra::default()
    })
}
