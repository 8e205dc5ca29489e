//! `--volumes-from NAME[:ro|:rw]`: the mounts of another container, copied into the new
//! container's record at create as dockerd copies them into its mount points (so they stay
//! when the donor is removed). The container's own binds and mounts win over them at the same
//! destination, and an image `VOLUME` a donor already provides gets no anonymous volume.

use std::collections::HashSet;

use api::types::HostConfig;
use execdriver::Propagation;
use serde::{Deserialize, Serialize};

use super::Containers;
use super::mounts::{self, Bind};
use crate::error::{Error, Result};

/// A mount taken from another container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Inherited {
    /// The path in the container.
    pub(crate) destination: String,
    /// The host path (a volume's `_data` is found again from its name).
    pub(crate) source: String,
    /// The volume, for a volume mount.
    pub(crate) volume: Option<String>,
    /// Writable.
    pub(crate) rw: bool,
    /// The mode as the donor's mount shows it.
    pub(crate) mode: String,
    /// A bind's propagation (`rprivate`).
    pub(crate) propagation: String,
    /// The directory inside the volume that is mounted (`volume-subpath`), if any.
    #[serde(default)]
    pub(crate) subpath: String,
}

impl Inherited {
    /// As the container's own mounts are handled.
    fn bind(&self) -> Bind {
        Bind {
            source: self.source.clone(),
            destination: self.destination.clone(),
            rw: self.rw,
            mode: self.mode.clone(),
            propagation: Propagation::parse(&self.propagation).unwrap_or_default(),
            create: false,
            volume: self.volume.clone(),
            anonymous: false,
            copy_up: false,
            extra: super::mounts::MountExtra {
                subpath: self.subpath.clone(),
                ..Default::default()
            },
        }
    }
}

/// `NAME[:MODE]` split, with MODE checked as moby's `parseVolumesFrom` does: `Some(rw)` when
/// it says, `None` to keep each mount's own.
fn parse(spec: &str) -> Result<(&str, Option<bool>)> {
    let Some((name, mode)) = spec.split_once(':') else {
        return Ok((spec, None));
    };
    let mut rw = None;
    for opt in mode.split(',') {
        match opt {
            "rw" if rw.is_none() => rw = Some(true),
            "ro" if rw.is_none() => rw = Some(false),
            "z" | "Z" => {}
            _ => return Err(Error::Invalid(format!("invalid mode: {mode}"))),
        }
    }
    Ok((name, rw))
}

impl Containers {
    /// The mounts `hc.VolumesFrom` brings, donors in order (a later one wins at the same
    /// destination); a donor that does not exist is a 400, as dockerd answers.
    pub(crate) fn volumes_from(&self, hc: &HostConfig) -> Result<Vec<Inherited>> {
        let mut out: Vec<Inherited> = Vec::new();
        for spec in hc.volumes_from.iter().flatten() {
            let (name, rw) = parse(spec)?;
            let donor = self.get(name).map_err(|e| Error::Invalid(e.to_string()))?;
            let rec = donor.record();
            let mut theirs: Vec<Inherited> = mounts::of_record(&rec)?
                .into_iter()
                .map(|b| Inherited {
                    rw: rw.unwrap_or(b.rw),
                    propagation: b.propagation.as_str().to_owned(),
                    destination: b.destination,
                    source: b.source,
                    volume: b.volume,
                    mode: b.mode,
                    subpath: b.extra.subpath,
                })
                .collect();
            // What the donor inherited itself comes along, as in dockerd.
            theirs.extend(rec.volumes_from.iter().map(|m| Inherited {
                rw: rw.unwrap_or(m.rw),
                ..m.clone()
            }));
            for m in theirs {
                out.retain(|o| o.destination != m.destination);
                out.push(m);
            }
        }
        Ok(out)
    }
}

/// Adds `inherited` to a container's own `binds`, except where one of them is mounted.
pub(crate) fn merge(binds: &mut Vec<Bind>, inherited: &[Inherited]) {
    let own: HashSet<String> = binds.iter().map(|b| b.destination.clone()).collect();
    binds.extend(
        inherited
            .iter()
            .filter(|m| !own.contains(&m.destination))
            .map(Inherited::bind),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_as_moby_parses_them() {
        assert_eq!(parse("web").expect("plain"), ("web", None));
        assert_eq!(parse("web:ro").expect("ro"), ("web", Some(false)));
        assert_eq!(parse("web:rw,z").expect("rw,z"), ("web", Some(true)));
        let err = parse("web:bogus").expect_err("bogus");
        assert_eq!(err.to_string(), "invalid mode: bogus");
        assert!(parse("web:ro,rw").is_err());
    }

    #[test]
    fn own_mounts_win() {
        let own = Inherited {
            destination: "/a".into(),
            source: "/host/own".into(),
            volume: None,
            rw: true,
            mode: String::new(),
            propagation: "rprivate".into(),
            subpath: String::new(),
        };
        let mut binds = vec![own.bind()];
        let theirs = [
            Inherited {
                source: "/host/theirs".into(),
                ..own.clone()
            },
            Inherited {
                destination: "/b".into(),
                volume: Some("v".into()),
                rw: false,
                ..own.clone()
            },
        ];
        merge(&mut binds, &theirs);
        let got: Vec<_> = binds
            .iter()
            .map(|b| (b.destination.as_str(), b.source.as_str(), b.rw))
            .collect();
        assert_eq!(got, [("/a", "/host/own", true), ("/b", "/host/own", false)]);
        assert_eq!(binds[1].volume.as_deref(), Some("v"));
    }
}
