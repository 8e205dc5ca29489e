//! Capabilities: the names Docker knows, and the set a container gets from `--privileged`,
//! `--cap-add` and `--cap-drop` (moby's `oci/caps`).

use oci_spec::runtime::Capability;

use super::defaults::DEFAULT_CAPABILITIES;
use crate::error::{Error, Result};

/// The capabilities dockerd 20.10 knows, by number (without `CAP_`): the kernel's up to
/// `CAP_AUDIT_READ` (37), where 20.10 stops on purpose (its runc did not know newer ones).
pub const CAPABILITY_NAMES: [&str; 38] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
];

/// The `ALL` of `--cap-add ALL` / `--cap-drop ALL`.
const ALL: &str = "ALL";

/// moby's `NormalizeLegacyCapabilities`: upper case, `CAP_` added where missing, `ALL` kept;
/// a name Docker does not know, or one outside `bounding` (the capabilities this daemon may
/// hand out, a bit per number; `None` if unknown), is refused in moby's words.
pub fn normalize_capabilities(names: &[String], bounding: Option<u64>) -> Result<Vec<String>> {
    names
        .iter()
        .map(|raw| {
            let up = mobyport::strings::to_upper(raw);
            if up == ALL {
                return Ok(up);
            }
            let name = match up.strip_prefix("CAP_") {
                Some(_) => up,
                None => format!("CAP_{up}"),
            };
            match number(&name) {
                None => Err(Error::InvalidParameter(format!(
                    "unknown capability: {}",
                    go_quote(&name)
                ))),
                Some(n) if !available(n, bounding) => Err(Error::InvalidParameter(format!(
                    "capability not supported by your kernel or not available in the \
                         current environment: {}",
                    go_quote(&name)
                ))),
                Some(_) => Ok(name),
            }
        })
        .collect()
}

/// The capabilities of a container (`CAP_` names, in moby's order): every one Docker knows
/// that is in `bounding` (this daemon's own bounding set: what it can give) when privileged,
/// else the defaults with `drops` removed and `adds` added (moby's `TweakCapabilities`, `ALL`
/// included).
pub fn container_capabilities(
    adds: &[String],
    drops: &[String],
    privileged: bool,
    bounding: Option<u64>,
) -> Result<Vec<String>> {
    let all = || -> Vec<String> {
        CAPABILITY_NAMES
            .iter()
            .enumerate()
            .filter(|(n, _)| available(*n as u32, bounding))
            .map(|(_, c)| format!("CAP_{c}"))
            .collect()
    };
    if privileged {
        return Ok(all());
    }
    let defaults = || -> Vec<String> {
        DEFAULT_CAPABILITIES
            .iter()
            .map(|c| format!("CAP_{c}"))
            .collect()
    };
    if adds.is_empty() && drops.is_empty() {
        return Ok(defaults());
    }
    let drops = normalize_capabilities(drops, bounding)?;
    let adds = normalize_capabilities(adds, bounding)?;
    let has = |list: &[String], c: &str| list.iter().any(|x| x == c);
    Ok(if has(&adds, ALL) {
        all().into_iter().filter(|c| !has(&drops, c)).collect()
    } else if has(&drops, ALL) {
        adds
    } else {
        let mut caps: Vec<String> = defaults().into_iter().filter(|c| !has(&drops, c)).collect();
        caps.extend(adds);
        caps
    })
}

/// The OCI capability a `CAP_` name stands for.
pub(super) fn to_oci(name: &str) -> Result<Capability> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| Error::InvalidParameter(format!("unknown capability: {}", go_quote(name))))
}

/// Whether capability `n` is in `bounding` (all are when it is unknown).
fn available(n: u32, bounding: Option<u64>) -> bool {
    bounding.is_none_or(|b| n < 64 && b & (1 << n) != 0)
}

/// This process's bounding set (`CapBnd` of `/proc/self/status`), `None` if unreadable.
pub(super) fn own_bounding_set() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|l| l.strip_prefix("CapBnd:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

fn number(cap_name: &str) -> Option<u32> {
    let bare = cap_name.strip_prefix("CAP_")?;
    CAPABILITY_NAMES
        .iter()
        .position(|c| *c == bare)
        .map(|n| n as u32)
}

/// Go's `%q` for the plain ASCII names capabilities have (other characters escaped as Rust
/// does, which only a hostile request would need).
fn go_quote(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bounding set with every capability up to 40.
    const FULL: Option<u64> = Some((1 << 41) - 1);

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn names_are_normalised_and_unknown_ones_refused_in_mobys_words() {
        assert_eq!(
            normalize_capabilities(&v(&["net_admin", "CAP_SYS_TIME", "all"]), FULL).expect("known"),
            ["CAP_NET_ADMIN", "CAP_SYS_TIME", "ALL"]
        );
        let e = normalize_capabilities(&v(&["foo"]), FULL).expect_err("unknown");
        assert_eq!(e.to_string(), "unknown capability: \"CAP_FOO\"");
        let e = normalize_capabilities(&v(&["AUDIT_READ"]), Some((1 << 37) - 1))
            .expect_err("not in the bounding set");
        assert!(
            e.to_string()
                .starts_with("capability not supported by your kernel")
        );
    }

    #[test]
    fn tweaks_as_moby() {
        let last = FULL;
        let defaults = container_capabilities(&[], &[], false, last).expect("defaults");
        assert_eq!(defaults.len(), 14);
        assert_eq!(defaults[0], "CAP_CHOWN");
        let all = container_capabilities(&[], &[], true, last).expect("privileged");
        assert_eq!(all.len(), 38);
        let c =
            container_capabilities(&v(&["NET_ADMIN"]), &v(&["chown"]), false, last).expect("tweak");
        assert!(!c.contains(&"CAP_CHOWN".to_owned()));
        assert_eq!(c.last().map(String::as_str), Some("CAP_NET_ADMIN"));
        assert_eq!(c.len(), 14);
        let c = container_capabilities(&v(&["ALL"]), &v(&["SYS_ADMIN"]), false, last)
            .expect("all but one");
        assert_eq!(c.len(), 37);
        let c = container_capabilities(&v(&["kill"]), &v(&["ALL"]), false, last).expect("only one");
        assert_eq!(c, ["CAP_KILL"]);
        let c = container_capabilities(&[], &v(&["ALL"]), false, last).expect("none");
        assert!(c.is_empty());
        // A daemon without CAP_SYS_RESOURCE (24) cannot give it.
        let without = FULL.map(|b| b & !(1 << 24));
        let all = container_capabilities(&[], &[], true, without).expect("all");
        assert_eq!(all.len(), 37);
        assert!(!all.contains(&"CAP_SYS_RESOURCE".to_owned()));
    }

    #[test]
    fn every_name_maps_to_an_oci_capability() {
        for c in CAPABILITY_NAMES {
            to_oci(&format!("CAP_{c}")).expect(c);
        }
    }
}
