//! `--default-ulimit NAME=SOFT[:HARD]` (repeatable) or `daemon.json`'s `default-ulimits`: the
//! limits every container gets unless it sets the same one itself (moby's `mergeUlimits`).

use std::collections::BTreeMap;

use api::types::Ulimit;

use super::{ConfigError, Merge, flag_error};

/// The limits Docker knows by name (go-units' `ulimitNameMapping`).
const NAMES: &[&str] = &[
    "as",
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// One `NAME=SOFT[:HARD]`, checked as go-units' `ParseUlimit`.
fn parse(value: &str) -> Result<Ulimit, String> {
    let (name, limits) = value
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit argument: {value}"))?;
    if !NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let number = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("invalid ulimit argument: {value}"))
    };
    let (soft, hard) = match limits.split_once(':') {
        Some((soft, hard)) => (number(soft)?, number(hard)?),
        None => (number(limits)?, number(limits)?),
    };
    if soft > hard {
        return Err(format!(
            "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        ));
    }
    Ok(Ulimit {
        name: name.to_owned(),
        soft,
        hard,
    })
}

/// The flags, or the file's map (keyed by name), not both; in name order.
pub(super) fn merge(
    m: &mut Merge,
    flags: &[String],
    file: Option<BTreeMap<String, Ulimit>>,
) -> Result<Vec<Ulimit>, ConfigError> {
    let mut from_flags = BTreeMap::new();
    for value in flags {
        let u = parse(value).map_err(|e| flag_error("default-ulimit", value, e))?;
        from_flags.insert(u.name.clone(), u);
    }
    let chosen = match file {
        Some(f) if !from_flags.is_empty() => {
            m.conflicts.push(format!(
                "default-ulimits: (from flag: [{}], from file: [{}])",
                flags.join(" "),
                f.keys().cloned().collect::<Vec<_>>().join(" ")
            ));
            from_flags
        }
        Some(f) => {
            for (key, u) in &f {
                if !NAMES.contains(&u.name.as_str()) || key != &u.name {
                    return Err(ConfigError::Conflict(format!(
                        "invalid default-ulimits entry {key:?}: invalid ulimit type: {}",
                        u.name
                    )));
                }
            }
            f
        }
        None => from_flags,
    };
    Ok(chosen.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulimit(name: &str, soft: i64, hard: i64) -> Ulimit {
        Ulimit {
            name: name.into(),
            soft,
            hard,
        }
    }

    #[test]
    fn flags_as_go_units_parses_them() {
        assert_eq!(parse("nofile=1024:2048"), Ok(ulimit("nofile", 1024, 2048)));
        assert_eq!(parse("nproc=50"), Ok(ulimit("nproc", 50, 50)));
        assert_eq!(parse("core=-1"), Ok(ulimit("core", -1, -1)));
        assert_eq!(parse("bogus=1").unwrap_err(), "invalid ulimit type: bogus");
        assert_eq!(
            parse("nofile").unwrap_err(),
            "invalid ulimit argument: nofile"
        );
        assert_eq!(
            parse("nofile=2:1").unwrap_err(),
            "ulimit soft limit must be less than or equal to hard limit: 2 > 1"
        );
    }

    #[test]
    fn flags_or_file() {
        let mut m = Merge { conflicts: vec![] };
        let got = merge(&mut m, &["nofile=10:20".into(), "core=0".into()], None).expect("ok");
        assert_eq!(got, [ulimit("core", 0, 0), ulimit("nofile", 10, 20)]);
        let file = BTreeMap::from([("nproc".to_owned(), ulimit("nproc", 5, 5))]);
        let got = merge(&mut m, &[], Some(file.clone())).expect("ok");
        assert_eq!(got, [ulimit("nproc", 5, 5)]);
        assert!(m.conflicts.is_empty());
        merge(&mut m, &["core=0".into()], Some(file)).expect("ok");
        assert_eq!(
            m.conflicts,
            ["default-ulimits: (from flag: [core=0], from file: [nproc])"]
        );
    }
}
