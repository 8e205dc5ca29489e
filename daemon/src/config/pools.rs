//! `--default-address-pool base=CIDR,size=N` (repeatable) or `daemon.json`'s
//! `default-address-pools` (`[{"base": "10.10.0.0/16", "size": 24}]`): where the default
//! bridge and networks without a `--subnet` get their subnets (dockerd's `PoolsOpt`).

use ipnet::Ipv4Net;
use netdriver::AddressPool;
use serde::Deserialize;

use super::{ConfigError, Merge, flag_error};

/// One `daemon.json` entry.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct FilePool {
    base: String,
    size: u8,
}

/// `base=CIDR,size=N`, in dockerd's words when it is not.
fn parse_flag(value: &str) -> Result<AddressPool, String> {
    let (mut base, mut size) = (None, None);
    for field in value.split(',') {
        let (k, v) = field
            .split_once('=')
            .ok_or_else(|| format!("invalid field '{field}' must be a key=value pair"))?;
        match k.to_ascii_lowercase().as_str() {
            "base" => base = Some(v.to_owned()),
            "size" => {
                size = Some(
                    v.parse::<u8>()
                        .map_err(|_| format!("invalid size value {v}"))?,
                );
            }
            _ => return Err(format!("unexpected key '{k}' in '{field}'")),
        }
    }
    pool(&base.unwrap_or_default(), size.unwrap_or(0))
}

/// A pool, checked: a CIDR base and a size at least its prefix, at most 32.
fn pool(base: &str, size: u8) -> Result<AddressPool, String> {
    let base: Ipv4Net = base
        .parse()
        .map_err(|_| format!("invalid base pool {base:?}: an IPv4 CIDR is needed"))?;
    if size < base.prefix_len() || size > 32 {
        return Err(format!(
            "invalid pool size {size} for base {base}: it must be between {} and 32",
            base.prefix_len()
        ));
    }
    Ok(AddressPool { base, size })
}

/// The flags, or the file's list, not both.
pub(super) fn merge(
    m: &mut Merge,
    flags: &[String],
    file: Option<Vec<FilePool>>,
) -> Result<Vec<AddressPool>, ConfigError> {
    let from_flags = flags
        .iter()
        .map(|v| parse_flag(v).map_err(|e| flag_error("default-address-pool", v, e)))
        .collect::<Result<Vec<_>, _>>()?;
    match file {
        Some(f) if !flags.is_empty() => {
            m.conflicts.push(format!(
                "default-address-pools: (from flag: [{}], from file: {} pools)",
                flags.join(" "),
                f.len()
            ));
            Ok(from_flags)
        }
        Some(f) => f
            .iter()
            .map(|p| {
                pool(&p.base, p.size).map_err(|e| {
                    ConfigError::Conflict(format!("invalid default-address-pools: {e}"))
                })
            })
            .collect(),
        None => Ok(from_flags),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_as_dockerd_reads_them() {
        let p = parse_flag("base=10.10.0.0/16,size=24").expect("valid");
        assert_eq!((p.base.to_string(), p.size), ("10.10.0.0/16".into(), 24));
        assert_eq!(
            parse_flag("10.10.0.0/16").unwrap_err(),
            "invalid field '10.10.0.0/16' must be a key=value pair"
        );
        assert_eq!(
            parse_flag("base=10.10.0.0/16,size=x").unwrap_err(),
            "invalid size value x"
        );
        assert!(
            parse_flag("base=10.10.0.0/16,size=8")
                .unwrap_err()
                .contains("between 16 and 32")
        );
        let mut m = Merge { conflicts: vec![] };
        let file = vec![FilePool {
            base: "10.20.0.0/16".into(),
            size: 24,
        }];
        let got = merge(&mut m, &[], Some(file.clone())).expect("file");
        assert_eq!(got[0].size, 24);
        merge(&mut m, &["base=10.30.0.0/16,size=24".into()], Some(file)).expect("flags win");
        assert_eq!(m.conflicts.len(), 1);
    }
}
