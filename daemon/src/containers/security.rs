//! `HostConfig.SecurityOpt` as moby's `parseSecurityOpt` reads it: `no-new-privileges[=bool]`,
//! `seccomp=unconfined|builtin|<profile JSON>` (the CLI sends a file's content),
//! `label=...` and `apparmor=...`.

use execdriver::Seccomp;

use crate::error::Error;

/// What the security options ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SecurityOpts {
    /// `no-new-privileges`.
    pub(crate) no_new_privileges: bool,
    /// The seccomp filter.
    pub(crate) seccomp: Seccomp,
    /// Options that have no effect here (`label=`, `apparmor=`), for create's warnings.
    pub(crate) inert: Vec<String>,
}

impl SecurityOpts {
    /// What create tells about [`SecurityOpts::inert`]: wharf applies no SELinux label and no
    /// AppArmor profile (dockerd takes them without a word on a host without either).
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.inert
            .iter()
            .map(|opt| {
                let what = match opt.starts_with("apparmor") {
                    true => "AppArmor profiles",
                    false => "SELinux labels",
                };
                format!("--security-opt {opt} has no effect: wharf applies no {what}")
            })
            .collect()
    }
}

/// Parses `opts` in moby's words. `label=` and `apparmor=` are accepted and have no effect
/// (listed in `inert`, create warns), as with dockerd on a host without SELinux or AppArmor
/// (this daemon applies neither; `/info` lists neither).
pub(crate) fn parse(opts: &[String]) -> Result<SecurityOpts, Error> {
    let mut out = SecurityOpts::default();
    for opt in opts {
        if opt == "no-new-privileges" {
            out.no_new_privileges = true;
            continue;
        }
        if opt == "disable" {
            out.inert.push(opt.clone());
            continue;
        }
        // `:` was the separator before `=` (deprecated, still read by 20.10).
        let split = opt.split_once('=').or_else(|| opt.split_once(':'));
        let Some((key, value)) = split else {
            return Err(Error::Invalid(format!("invalid --security-opt 1: {opt:?}")));
        };
        match key {
            "label" | "apparmor" => out.inert.push(opt.clone()),
            "seccomp" => {
                out.seccomp = match value {
                    "unconfined" => Seccomp::Unconfined,
                    "builtin" | "" => Seccomp::Default,
                    profile => Seccomp::Profile(profile.to_owned()),
                }
            }
            "no-new-privileges" => {
                out.no_new_privileges = go_bool(value)
                    .ok_or_else(|| Error::Invalid(format!("invalid --security-opt 2: {opt:?}")))?;
            }
            _ => return Err(Error::Invalid(format!("invalid --security-opt 2: {opt:?}"))),
        }
    }
    Ok(out)
}

/// Go's `strconv.ParseBool`.
fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(opts: &[&str]) -> Result<SecurityOpts, Error> {
        parse(&opts.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn options_as_moby_reads_them() {
        assert_eq!(p(&[]).expect("none"), SecurityOpts::default());
        let o = p(&["no-new-privileges", "seccomp=unconfined", "label=disable"]).expect("ok");
        assert!(o.no_new_privileges);
        assert_eq!(o.seccomp, Seccomp::Unconfined);
        assert_eq!(
            o.warnings(),
            ["--security-opt label=disable has no effect: wharf applies no SELinux labels"]
        );
        assert_eq!(
            p(&["apparmor=docker-default"]).expect("ok").warnings(),
            [
                "--security-opt apparmor=docker-default has no effect: wharf applies no AppArmor profiles"
            ]
        );
        let o = p(&[
            "no-new-privileges=false",
            "seccomp:{\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
        ])
        .expect("ok");
        assert!(!o.no_new_privileges);
        assert_eq!(
            o.seccomp,
            Seccomp::Profile("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}".into())
        );
        assert_eq!(
            p(&["bogus"]).expect_err("no separator").to_string(),
            "invalid --security-opt 1: \"bogus\""
        );
        assert_eq!(
            p(&["foo=bar"]).expect_err("unknown key").to_string(),
            "invalid --security-opt 2: \"foo=bar\""
        );
        assert_eq!(
            p(&["no-new-privileges=maybe"])
                .expect_err("bad bool")
                .to_string(),
            "invalid --security-opt 2: \"no-new-privileges=maybe\""
        );
    }
}
