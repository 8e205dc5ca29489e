//! Bind mounts and named-volume mounts from `HostConfig.Binds` (`SRC:DST[:MODE]`) and `HostConfig.Mounts` (type
//! `bind`), and tmpfs mounts from `HostConfig.Tmpfs` and `Mounts` (type `tmpfs`), parsed and checked as moby's Linux parser (`volume/mounts/linux_parser.go`) and
//! `registerMountPoints` do, with their messages. The record keeps the `HostConfig` as sent, so
//! the mounts are parsed again (without touching the host) at start and inspect.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use api::types::{ContainerConfig, HostConfig, Mount, MountPoint};
use execdriver::{BindMount, Propagation, TmpfsMount};

pub(crate) use super::mount_extra::MountExtra;
use super::mount_extra::{bind_extra, volume_extra};
use mobyport::path::clean;

use super::{Containers, Record};
use crate::error::{Error, IoContext};
use crate::volumes::Volumes;

/// One bind mount of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bind {
    /// The host path, cleaned.
    pub(crate) source: String,
    /// The path in the container, cleaned.
    pub(crate) destination: String,
    /// Writable.
    pub(crate) rw: bool,
    /// The `Binds` options as given (`ro,Z`); empty for `Mounts`.
    pub(crate) mode: String,
    /// Propagation (`rprivate` unless given).
    pub(crate) propagation: Propagation,
    /// Create the source (a directory) when it is missing: `Binds` always, `Mounts` with
    /// `BindOptions.CreateMountpoint`.
    pub(crate) create: bool,
    /// The volume mounted (its `_data` is the source, set by [`resolve`]); an anonymous
    /// volume's name is empty until create has named it (see [`of_record`]).
    pub(crate) volume: Option<String>,
    /// An anonymous volume (`-v /dst`, `--mount type=volume` without a source, the image's
    /// `VOLUME`): created with a random name, removed by `rm -v` and `--rm`.
    pub(crate) anonymous: bool,
    /// Copy what the image has at the destination into the volume when it is empty (moby's
    /// `CopyData`; not with `nocopy`).
    pub(crate) copy_up: bool,
    /// What only `--mount` can ask for.
    pub(crate) extra: MountExtra,
}

impl Bind {
    /// As `docker inspect` shows it.
    pub(crate) fn mount_point(&self) -> MountPoint {
        if let Some(name) = &self.volume {
            return MountPoint {
                kind: "volume".into(),
                name: name.clone(),
                source: self.source.clone(),
                destination: self.destination.clone(),
                driver: "local".into(),
                mode: self.mode.clone(),
                rw: self.rw,
                propagation: String::new(),
            };
        }
        MountPoint {
            kind: "bind".into(),
            source: self.source.clone(),
            destination: self.destination.clone(),
            mode: self.mode.clone(),
            rw: self.rw,
            propagation: self.propagation.as_str().into(),
            ..MountPoint::default()
        }
    }

    /// For the exec driver.
    pub(crate) fn bind_mount(&self) -> BindMount {
        BindMount {
            readonly: !self.rw,
            propagation: self.propagation,
            non_recursive: self.extra.non_recursive,
            readonly_depth: self.extra.readonly_depth,
            ..BindMount::new(&self.source, &self.destination)
        }
    }
}

/// One tmpfs mount of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tmpfs {
    /// The path in the container, cleaned.
    pub(crate) destination: String,
    /// Its options as moby writes them (`size=1m`, `mode=1777`, `ro`).
    pub(crate) options: Vec<String>,
    /// From `Mounts` (shown by inspect), not `HostConfig.Tmpfs` (which inspect does not list).
    pub(crate) from_mounts: bool,
}

impl Tmpfs {
    /// As `docker inspect` shows a `--mount type=tmpfs`.
    fn mount_point(&self) -> MountPoint {
        MountPoint {
            kind: "tmpfs".into(),
            destination: self.destination.clone(),
            rw: !self.options.iter().any(|o| o == "ro"),
            ..MountPoint::default()
        }
    }

    /// For the exec driver.
    pub(crate) fn tmpfs_mount(&self) -> TmpfsMount {
        TmpfsMount {
            destination: self.destination.clone().into(),
            options: self.options.clone(),
        }
    }
}

/// One `Mounts` entry checked as moby's `ValidateMountConfig` does early in a create (create's
/// [`super::validate`] calls it): also, unless it may be created, a bind source must exist.
pub(crate) fn check(value: &serde_json::Value) -> Result<(), Error> {
    parse_mount(&decode(value)?, true).map(drop)
}

/// A `Mounts` entry as the spec's `Mount`.
fn decode(value: &serde_json::Value) -> Result<Mount, Error> {
    Mount::from_value(value).map_err(Error::Invalid)
}

/// The mounts of a container's record: [`parse`], with its anonymous volumes named as create
/// named them (one the record does not name — from a container created before wharf made
/// anonymous volumes, or one a `--volumes-from` donor provides — is left out), then what
/// `--volumes-from` brought.
pub(crate) fn of_record(rec: &Record) -> Result<Vec<Bind>, Error> {
    let mut binds = parse(&rec.host_config, &rec.config)?;
    binds.retain_mut(
        |b| match (b.anonymous, rec.anonymous_volumes.get(&b.destination)) {
            (false, _) => true,
            (true, Some(name)) => {
                b.volume = Some(name.clone());
                true
            }
            (true, None) => false,
        },
    );
    super::volumes_from::merge(&mut binds, &rec.volumes_from);
    Ok(binds)
}

/// The bind and volume mounts of `hc` and `config` (anonymous volumes with an empty name:
/// [`of_record`] names them). Nothing on the host is looked at: whether a `Mounts` bind source
/// exists is [`check`]ed at create.
pub(crate) fn parse(hc: &HostConfig, config: &ContainerConfig) -> Result<Vec<Bind>, Error> {
    // Sized once: many mounts never pay for a doubling's slack.
    let count = hc.binds.as_ref().map_or(0, Vec::len) + hc.mounts.as_ref().map_or(0, Vec::len);
    let mut binds: Vec<Bind> = Vec::with_capacity(count);
    // Destinations seen so far: a set, so many mounts cost linear time.
    let mut taken = HashSet::with_capacity(count);
    // Each mount point once; `shown` is the destination as the request spelled it.
    let mut take = |destination: &str, shown: &str| {
        if !taken.insert(destination.to_owned()) {
            return Err(Error::Invalid(format!("Duplicate mount point: {shown}")));
        }
        Ok(())
    };
    let from_binds = hc
        .binds
        .iter()
        .flatten()
        .map(|raw| -> Result<(Parsed, String), Error> {
            let parsed = parse_bind(raw)?;
            let shown = match &parsed {
                Parsed::Bind(b) => b.destination.clone(),
                _ => String::new(),
            };
            Ok((parsed, shown))
        });
    let from_mounts = hc.mounts.iter().flatten().map(|value| -> Result<_, Error> {
        let m = decode(value)?;
        Ok((parse_mount(&m, false)?, m.target))
    });
    for item in from_binds.chain(from_mounts) {
        let (parsed, shown) = item?;
        match parsed {
            Parsed::Bind(b) => {
                take(&b.destination, &shown)?;
                binds.push(b);
            }
            Parsed::Tmpfs(t) => take(&t.destination, &shown)?,
        }
    }
    for t in host_config_tmpfs(hc)? {
        take(&t.destination, &t.destination)?;
    }
    // The image's `VOLUME`s (and `Config.Volumes`) not mounted otherwise: anonymous volumes.
    for dest in config.volumes.iter().flat_map(|v| v.keys()) {
        // Already mounted (the take fails): the mount wins, as in moby.
        if take(&clean(dest), dest).is_ok()
            && let Parsed::Bind(b) = anonymous_volume(dest, true, "", true)
        {
            binds.push(b);
        }
    }
    Ok(binds)
}

/// The container's mounts as inspect and list show them (none if the record's config no
/// longer parses, which create prevents).
pub(crate) fn mount_points(rec: &Record, vols: &Volumes) -> Vec<MountPoint> {
    let tmpfs = tmpfs(&rec.host_config).unwrap_or_default();
    of_record(rec)
        .map(|mut binds| {
            resolve(&mut binds, vols);
            let binds = binds.iter().map(Bind::mount_point);
            let shown = tmpfs.iter().filter(|t| t.from_mounts);
            binds.chain(shown.map(Tmpfs::mount_point)).collect()
        })
        .unwrap_or_default()
}

/// The container's tmpfs mounts: `Mounts` of type `tmpfs`, then `HostConfig.Tmpfs` (checked
/// by [`parse`] at create).
pub(crate) fn tmpfs(hc: &HostConfig) -> Result<Vec<Tmpfs>, Error> {
    let mut out = Vec::new();
    for value in hc.mounts.iter().flatten() {
        if let Parsed::Tmpfs(t) = parse_mount(&decode(value)?, false)? {
            out.push(t);
        }
    }
    out.extend(host_config_tmpfs(hc)?);
    Ok(out)
}

/// `HostConfig.Tmpfs` (`--tmpfs /dst[:opts]`): destinations checked as moby's
/// `ValidateTmpfsMountDestination`, options kept as given.
fn host_config_tmpfs(hc: &HostConfig) -> Result<Vec<Tmpfs>, Error> {
    hc.tmpfs
        .iter()
        .flatten()
        .map(|(dest, opts)| {
            check_target(dest).map_err(|e| Error::Invalid(config_error("tmpfs", &e)))?;
            Ok(Tmpfs {
                destination: clean(dest),
                options: opts
                    .split(',')
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned)
                    .collect(),
                from_mounts: false,
            })
        })
        .collect()
}

/// Sets the source of each volume mount to the volume's `_data`.
pub(crate) fn resolve(binds: &mut [Bind], vols: &Volumes) {
    for b in binds {
        if let Some(name) = &b.volume {
            b.source = vols.data_path(name).display().to_string();
        }
    }
}

/// The names of the volumes `rec` mounts.
pub(crate) fn volume_names(rec: &Record) -> Vec<String> {
    of_record(rec)
        .map(|binds| binds.into_iter().filter_map(|b| b.volume).collect())
        .unwrap_or_default()
}

impl Containers {
    /// Every volume some container mounts, with those containers' IDs (dockerd's volume
    /// references).
    pub(crate) fn volume_users(&self) -> BTreeMap<String, Vec<String>> {
        let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in self.all() {
            for name in volume_names(&c.record()) {
                used.entry(name).or_default().push(c.id.clone());
            }
        }
        used
    }
}

/// Creates the missing sources that may be created, and checks the others still exist
/// (dockerd's `setupMounts` at start). Blocks.
pub(crate) fn prepare_sources(binds: &[Bind]) -> Result<(), Error> {
    for b in binds {
        let path = Path::new(&b.source);
        if path.symlink_metadata().is_ok() {
            continue;
        }
        if !b.create {
            return Err(Error::Invalid(format!(
                "invalid mount config for type \"bind\": bind source path does not exist: {}",
                b.source
            )));
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .create(path)
            .with_ctx(|| format!("error while creating mount source path '{}'", b.source))?;
    }
    Ok(())
}

/// A named volume's mount; its source is set by [`resolve`].
fn named_volume(name: &str, target: &str, rw: bool, mode: &str, copy_up: bool) -> Parsed {
    Parsed::Bind(Bind {
        source: String::new(),
        destination: clean(target),
        rw,
        mode: mode.to_owned(),
        propagation: Propagation::default(),
        create: true,
        volume: Some(name.to_owned()),
        anonymous: false,
        copy_up,
        extra: MountExtra::default(),
    })
}

/// An anonymous volume's mount, its name still to be given.
fn anonymous_volume(target: &str, rw: bool, mode: &str, copy_up: bool) -> Parsed {
    match named_volume("", target, rw, mode, copy_up) {
        Parsed::Bind(b) => Parsed::Bind(Bind {
            anonymous: true,
            ..b
        }),
        other => other,
    }
}

/// `Mounts[].VolumeOptions.NoCopy`.
fn no_copy(m: &Mount) -> bool {
    m.volume_options
        .as_ref()
        .and_then(|v| v.get("NoCopy"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

enum Parsed {
    Bind(Bind),
    Tmpfs(Tmpfs),
}

/// One `Binds` entry, as moby's `ParseMountRaw` (bind sources are not checked: dockerd creates
/// them at start).
fn parse_bind(raw: &str) -> Result<Parsed, Error> {
    let spec = || format!("invalid volume specification: '{raw}'");
    let parts: Vec<&str> = raw.splitn(4, ':').collect();
    if parts[0].is_empty() {
        return Err(Error::Invalid(spec()));
    }
    let (source, target, mode) = match parts[..] {
        [target] => ("", target, ""),
        [_, second] if valid_mode(second) => return Err(Error::Invalid(spec())),
        [source, target] => (source, target, ""),
        [source, target, mode] => (source, target, mode),
        _ => return Err(Error::Invalid(spec())),
    };
    if !valid_mode(mode) {
        return Err(Error::Invalid(format!("invalid mode: {mode}")));
    }
    let kind = if source.starts_with('/') {
        "bind"
    } else {
        "volume"
    };
    let wrap = |e: String| Error::Invalid(format!("{}: {}", spec(), config_error(kind, &e)));
    check_target(target).map_err(wrap)?;
    let modes: Vec<&str> = mode.split(',').collect();
    if kind == "volume" {
        let rw = !modes.iter().any(|m| is_read_only(m));
        let copy_up = !modes.contains(&"nocopy");
        if source.is_empty() {
            return Ok(anonymous_volume(target, rw, mode, copy_up));
        }
        return Ok(named_volume(source, target, rw, mode, copy_up));
    }
    // moby turns `nocopy` into volume options, which a bind refuses.
    if modes.contains(&"nocopy") {
        return Err(wrap("field VolumeOptions must not be specified".into()));
    }
    let propagation = modes
        .iter()
        .find_map(|m| Propagation::parse(m))
        .unwrap_or_default();
    Ok(Parsed::Bind(Bind {
        source: clean(source),
        destination: clean(target),
        rw: !modes.iter().any(|m| is_read_only(m)),
        mode: mode.to_owned(),
        propagation,
        create: true,
        volume: None,
        anonymous: false,
        copy_up: false,
        extra: MountExtra::default(),
    }))
}

/// One `Mounts` entry, as moby's `validateMountConfigImpl` and `parseMountSpec`.
fn parse_mount(m: &Mount, check_sources: bool) -> Result<Parsed, Error> {
    let fail = |e: &str| Error::Invalid(config_error(&m.kind, e));
    check_target(&m.target).map_err(|e| fail(&e))?;
    match m.kind.as_str() {
        "bind" => {}
        "volume" if m.bind_options.is_some() => {
            return Err(fail("field BindOptions must not be specified"));
        }
        "volume" => {
            let extra = volume_extra(m).map_err(|e| fail(&e))?;
            let parsed = match m.source.as_str() {
                "" => anonymous_volume(&m.target, !m.read_only, "", !no_copy(m)),
                source => named_volume(source, &m.target, !m.read_only, "", !no_copy(m)),
            };
            // A subpath gets no copy of the image's content (it names part of a volume).
            return Ok(match parsed {
                Parsed::Bind(b) => Parsed::Bind(Bind {
                    copy_up: b.copy_up && extra.subpath.is_empty(),
                    extra,
                    ..b
                }),
                other => other,
            });
        }
        "tmpfs" if m.bind_options.is_some() => {
            return Err(fail("field BindOptions must not be specified"));
        }
        "tmpfs" if !m.source.is_empty() => return Err(fail("field Source must not be specified")),
        "tmpfs" => {
            return Ok(Parsed::Tmpfs(Tmpfs {
                destination: clean(&m.target),
                options: tmpfs_options(m),
                from_mounts: true,
            }));
        }
        "image" => {
            return Err(Error::NotImplemented(
                "image mounts are not supported by wharf yet".into(),
            ));
        }
        _ => return Err(fail("mount type unknown")),
    }
    if m.source.is_empty() {
        return Err(fail("field Source must not be empty"));
    }
    let opts = m.bind_options.as_ref();
    let propagation = match opts.map(|o| o.propagation.as_str()) {
        None | Some("") => Propagation::default(),
        Some(p) => {
            Propagation::parse(p).ok_or_else(|| fail(&format!("invalid propagation mode: {p}")))?
        }
    };
    if m.volume_options.as_ref().is_some_and(|v| !v.is_null()) {
        return Err(fail("field VolumeOptions must not be specified"));
    }
    if !m.source.starts_with('/') {
        return Err(fail(&not_absolute(&m.source)));
    }
    let create = opts.is_some_and(|o| o.create_mountpoint);
    let extra = bind_extra(m).map_err(|e| fail(&e))?;
    if check_sources && !create && Path::new(&m.source).symlink_metadata().is_err() {
        return Err(fail(&format!(
            "bind source path does not exist: {}",
            m.source
        )));
    }
    Ok(Parsed::Bind(Bind {
        source: clean(&m.source),
        destination: clean(&m.target),
        rw: !m.read_only,
        mode: String::new(),
        propagation,
        create,
        volume: None,
        anonymous: false,
        copy_up: false,
        extra,
    }))
}

/// moby's `ConvertTmpfsOptions`: `ro`, `mode=` in octal, `size=` with the largest unit that
/// divides it (`g`, `m`, `k`).
fn tmpfs_options(m: &Mount) -> Vec<String> {
    let mut out = Vec::new();
    if m.read_only {
        out.push("ro".to_owned());
    }
    let Some(t) = &m.tmpfs_options else {
        return out;
    };
    if t.mode != 0 {
        out.push(format!("mode={:o}", t.mode));
    }
    if t.size_bytes != 0 {
        let units = [("g", 1i64 << 30), ("m", 1 << 20), ("k", 1 << 10)];
        let (size, unit) = units
            .iter()
            .find(|(_, d)| t.size_bytes % d == 0)
            .map_or((t.size_bytes, ""), |(u, d)| (t.size_bytes / d, *u));
        out.push(format!("size={size}{unit}"));
    }
    out
}

fn config_error(kind: &str, e: &str) -> String {
    format!("invalid mount config for type \"{kind}\": {e}")
}

fn not_absolute(p: &str) -> String {
    format!("invalid mount path: '{p}' mount path must be absolute")
}

/// The destination checks every mount type shares.
fn check_target(target: &str) -> Result<(), String> {
    if target.is_empty() {
        return Err("field Target must not be empty".into());
    }
    if clean(target) == "/" {
        return Err("invalid specification: destination can't be '/'".into());
    }
    if !target.starts_with('/') {
        return Err(not_absolute(target));
    }
    Ok(())
}

/// moby's `linuxValidMountMode`: comma-separated options, at most one of each kind.
fn valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    const KINDS: [&[&str]; 5] = [
        &["rw", "ro", "ro-non-recursive", "ro-force-recursive", "rro"],
        &["z", "Z"],
        &[
            "private", "rprivate", "shared", "rshared", "slave", "rslave",
        ],
        &["nocopy"],
        &["consistent", "cached", "delegated"],
    ];
    let mut counts = [0; KINDS.len()];
    for o in mode.split(',') {
        match KINDS.iter().position(|k| k.contains(&o)) {
            Some(i) => counts[i] += 1,
            None => return false,
        }
    }
    counts.iter().all(|&c| c <= 1)
}

fn is_read_only(mode: &str) -> bool {
    matches!(
        mode,
        "ro" | "ro-non-recursive" | "ro-force-recursive" | "rro"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use execdriver::ReadonlyDepth;

    fn hc(binds: &[&str]) -> HostConfig {
        HostConfig {
            binds: Some(binds.iter().map(|b| (*b).to_owned()).collect()),
            ..HostConfig::default()
        }
    }

    fn binds(list: &[&str]) -> Result<Vec<Bind>, String> {
        parse(&hc(list), &ContainerConfig::default()).map_err(|e| e.to_string())
    }

    /// The binds of one `Mounts` entry, checked as create does first.
    fn with_mount(json: &str) -> Result<Vec<Bind>, String> {
        let value: serde_json::Value = serde_json::from_str(json).expect("json");
        check(&value).map_err(|e| e.to_string())?;
        let h = HostConfig {
            mounts: Some(vec![value]),
            ..HostConfig::default()
        };
        parse(&h, &ContainerConfig::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn bind_and_volume_options_beyond_the_basics() {
        let b = with_mount(
            r#"{"Type":"bind","Source":"/tmp","Target":"/x","ReadOnly":true,
                "BindOptions":{"NonRecursive":true,"ReadOnlyNonRecursive":true}}"#,
        )
        .expect("valid");
        assert!(b[0].extra.non_recursive);
        assert_eq!(b[0].extra.readonly_depth, ReadonlyDepth::NonRecursive);
        let refused = |json: &str| with_mount(json).expect_err("refused");
        assert!(
            refused(
                r#"{"Type":"bind","Source":"/tmp","Target":"/x",
                    "BindOptions":{"ReadOnlyForceRecursive":true}}"#
            )
            .ends_with("must not set ReadOnlyForceRecursive when ReadOnly is false")
        );
        assert!(
            refused(
                r#"{"Type":"bind","Source":"/tmp","Target":"/x","ReadOnly":true,
                    "BindOptions":{"ReadOnlyForceRecursive":true}}"#
            )
            .contains("requires propagation to be \"rprivate\"")
        );
        let v = with_mount(
            r#"{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"Subpath":"a//b/",
                "Labels":{"k":"x"},"DriverConfig":{"Name":"local","Options":{"type":"tmpfs"}}}}"#,
        )
        .expect("valid");
        assert_eq!(v[0].extra.subpath, "a/b");
        assert!(!v[0].copy_up, "no copy-up into a subpath");
        assert_eq!(v[0].extra.volume_labels["k"], "x");
        assert_eq!(v[0].extra.volume_driver_opts["type"], "tmpfs");
        for bad in ["/abs", "..", "a/../../b"] {
            let json = format!(
                r#"{{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{{"Subpath":"{bad}"}}}}"#
            );
            assert!(refused(&json).contains("stay inside the volume"), "{bad}");
        }
        assert!(
            refused(
                r#"{"Type":"volume","Source":"v","Target":"/v",
                    "VolumeOptions":{"DriverConfig":{"Name":"nfsplugin"}}}"#
            )
            .contains("plugin \"nfsplugin\" not found")
        );
    }

    #[test]
    fn binds_with_modes() {
        let b = binds(&["/srv//data/:/data", "/a:/b/../c:ro,Z,rslave"]).expect("valid");
        assert_eq!(
            b[0],
            Bind {
                source: "/srv/data".into(),
                destination: "/data".into(),
                rw: true,
                mode: String::new(),
                propagation: Propagation::RPrivate,
                create: true,
                volume: None,
                anonymous: false,
                copy_up: false,
                extra: MountExtra::default(),
            }
        );
        assert_eq!(
            (b[1].destination.as_str(), b[1].rw, b[1].mode.as_str()),
            ("/c", false, "ro,Z,rslave")
        );
        assert_eq!(b[1].propagation, Propagation::RSlave);
        let mp = b[1].mount_point();
        assert_eq!(
            serde_json::to_value(&mp).expect("json"),
            serde_json::json!({"Type": "bind", "Source": "/a", "Destination": "/c",
                "Mode": "ro,Z,rslave", "RW": false, "Propagation": "rslave"})
        );
        assert!(b[1].bind_mount().readonly);
    }

    #[test]
    fn invalid_binds_in_dockerd_words() {
        let cases = [
            (":/x", "invalid volume specification: ':/x'"),
            ("/x:ro", "invalid volume specification: '/x:ro'"),
            ("/a:/b:ro:z", "invalid volume specification: '/a:/b:ro:z'"),
            ("/a:/b:ro,rw", "invalid mode: ro,rw"),
            ("/a:/b:bogus", "invalid mode: bogus"),
            (
                "/a:b",
                "invalid volume specification: '/a:b': invalid mount config for type \"bind\": \
                 invalid mount path: 'b' mount path must be absolute",
            ),
            (
                "/a:/",
                "invalid volume specification: '/a:/': invalid mount config for type \"bind\": \
                 invalid specification: destination can't be '/'",
            ),
            (
                "/a:/b:nocopy",
                "invalid volume specification: '/a:/b:nocopy': invalid mount config for type \
                 \"bind\": field VolumeOptions must not be specified",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(binds(&[raw]).expect_err(raw), want, "{raw}");
        }
        assert_eq!(
            binds(&["/a:/x", "/b:/x/"]).expect_err("dup"),
            "Duplicate mount point: /x"
        );
        let named = binds(&["data:/x:ro"]).expect("named volume");
        assert_eq!(
            (
                named[0].volume.as_deref(),
                named[0].rw,
                named[0].mode.as_str()
            ),
            (Some("data"), false, "ro")
        );
    }

    #[test]
    fn mounts_of_type_bind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().display().to_string();
        let b = with_mount(&format!(
            r#"{{"Type":"bind","Source":"{src}","Target":"/x","ReadOnly":true,
                "BindOptions":{{"Propagation":"shared"}}}}"#
        ))
        .expect("valid");
        assert_eq!(
            (b[0].rw, b[0].propagation, b[0].create),
            (false, Propagation::Shared, false)
        );
        assert_eq!(b[0].mode, "");
        let missing = format!("{src}/none");
        assert_eq!(
            with_mount(&format!(
                r#"{{"Type":"bind","Source":"{missing}","Target":"/x"}}"#
            ))
            .expect_err("missing"),
            format!(
                "invalid mount config for type \"bind\": bind source path does not exist: \
                 {missing}"
            )
        );
        assert_eq!(
            with_mount(&format!(
                r#"{{"Type":"bind","Source":"{src}","Target":"/x","BindOptions":{{"Propagation":"up"}}}}"#
            ))
            .expect_err("propagation"),
            "invalid mount config for type \"bind\": invalid propagation mode: up"
        );
        assert_eq!(
            with_mount(r#"{"Type":"bind","Target":"/x"}"#).expect_err("no source"),
            "invalid mount config for type \"bind\": field Source must not be empty"
        );
        assert_eq!(
            with_mount(r#"{"Type":"nfs","Source":"a","Target":"/x"}"#).expect_err("type"),
            "invalid mount config for type \"nfs\": mount type unknown"
        );
        assert_eq!(
            with_mount(r#"{"Type":"bind","Source":"/","Target":"/x","ReadOnly":"yes"}"#)
                .expect_err("malformed"),
            "invalid mount config: invalid type: string \"yes\", expected a boolean"
        );
        let h = HostConfig {
            binds: Some(vec![format!("{src}:/x")]),
            mounts: Some(vec![
                serde_json::json!({"Type":"bind","Source":src,"Target":"/x/"}),
            ]),
            ..HostConfig::default()
        };
        assert_eq!(
            parse(&h, &ContainerConfig::default())
                .expect_err("dup")
                .to_string(),
            "Duplicate mount point: /x/"
        );
    }

    #[test]
    fn image_volumes_not_mounted_otherwise_are_anonymous() {
        let config = ContainerConfig {
            volumes: Some(
                [
                    ("/data".to_owned(), Default::default()),
                    ("/v".to_owned(), Default::default()),
                ]
                .into(),
            ),
            ..ContainerConfig::default()
        };
        let binds = parse(&hc(&["/srv:/data", "/w"]), &config).expect("valid");
        let anonymous: Vec<(&str, bool, bool)> = binds
            .iter()
            .filter(|b| b.anonymous)
            .map(|b| (b.destination.as_str(), b.rw, b.copy_up))
            .collect();
        // `-v /w` and the image's `/v`; `/data` is a bind, as the request said.
        assert_eq!(anonymous, [("/w", true, true), ("/v", true, true)]);
        let mut rec = Record::sample(&"a".repeat(64), "/x");
        rec.host_config = hc(&["/srv:/data", "/w"]);
        rec.config = config;
        rec.anonymous_volumes = [("/v".to_owned(), "n".repeat(64))].into();
        let binds = of_record(&rec).expect("valid");
        // A record names its anonymous volumes; one it does not name is left out.
        let named: Vec<Option<&str>> = binds.iter().map(|b| b.volume.as_deref()).collect();
        assert_eq!(named, [None, Some("n".repeat(64).as_str())]);
    }
}
