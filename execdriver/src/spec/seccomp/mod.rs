//! Seccomp profiles in Docker's format (what `--security-opt seccomp=<file>` sends, and Docker's
//! default profile, `default.json`, kept here as data) turned into the OCI spec's
//! `linux.seccomp` for the container's architecture, kernel and capabilities, as moby's
//! `profiles/seccomp` does.

#[cfg(test)]
mod tests;

use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArgBuilder, LinuxSeccompBuilder,
    LinuxSeccompFilterFlag, LinuxSeccompOperator, LinuxSyscall, LinuxSyscallBuilder,
};
use serde::Deserialize;

use super::build::oci;
use crate::error::{Error, Result};

/// Docker's default profile (moby's `profiles/seccomp/default.json`): everything not listed
/// fails with EPERM; some calls only for containers holding a capability.
const DEFAULT_PROFILE: &str = include_str!("default.json");

/// Which seccomp filter a container gets (`--security-opt seccomp=...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Seccomp {
    /// Docker's default profile.
    #[default]
    Default,
    /// No filter (`seccomp=unconfined`).
    Unconfined,
    /// A profile in Docker's JSON format (the CLI sends the file's content).
    Profile(String),
}

/// A profile as Docker writes it (moby's `seccomp.Seccomp`). Unknown fields are ignored, as
/// Go's decoder ignores them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[serde(default)]
    default_action: Option<LinuxSeccompAction>,
    #[serde(default)]
    default_errno_ret: Option<u32>,
    #[serde(default)]
    architectures: Vec<Arch>,
    #[serde(default)]
    arch_map: Vec<ArchMap>,
    #[serde(default)]
    syscalls: Vec<Rule>,
    #[serde(default)]
    flags: Vec<LinuxSeccompFilterFlag>,
    #[serde(default)]
    listener_path: Option<String>,
    #[serde(default)]
    listener_metadata: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMap {
    architecture: Arch,
    #[serde(default)]
    sub_architectures: Option<Vec<Arch>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(default)]
    name: String,
    #[serde(default)]
    names: Vec<String>,
    action: LinuxSeccompAction,
    #[serde(default)]
    errno_ret: Option<u32>,
    #[serde(default)]
    args: Option<Vec<Arg>>,
    #[serde(default)]
    includes: Filter,
    #[serde(default)]
    excludes: Filter,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Arg {
    index: usize,
    value: u64,
    #[serde(default)]
    value_two: u64,
    op: LinuxSeccompOperator,
}

/// When a rule applies: on these architectures (Go's names), with these capabilities in the
/// bounding set, from this kernel version on.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    #[serde(default)]
    arches: Vec<String>,
    #[serde(default)]
    caps: Vec<String>,
    #[serde(default)]
    min_kernel: String,
}

/// What a profile's rules are filtered by.
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    /// The architecture in Go's spelling (`amd64`, `arm64`, ...).
    pub arch: &'a str,
    /// The kernel's (major, minor) version.
    pub kernel: (u32, u32),
    /// The container's bounding capabilities, `CAP_` names.
    pub caps: &'a [String],
}

impl Target<'_> {
    /// This machine's architecture and kernel, with `caps`.
    pub(crate) fn host(caps: &[String]) -> Target<'_> {
        Target {
            arch: go_arch(),
            kernel: kernel_version(),
            caps,
        }
    }
}

/// The filter `choice` gives a container with the bounding set in `target`; `None` for none.
pub(crate) fn filter(choice: &Seccomp, target: &Target<'_>) -> Result<Option<LinuxSeccomp>> {
    let (body, what) = match choice {
        Seccomp::Unconfined => return Ok(None),
        Seccomp::Default => (DEFAULT_PROFILE, "the default seccomp profile"),
        Seccomp::Profile(json) => (json.as_str(), "the seccomp profile"),
    };
    let profile: Profile = serde_json::from_str(body).map_err(|e| {
        // moby's words (`LoadProfile`).
        Error::InvalidParameter(format!("Decoding seccomp profile failed: {e}"))
    })?;
    convert(&profile, target).map_err(|e| match e {
        Error::InvalidParameter(m) => Error::InvalidParameter(m),
        other => Error::Runtime(format!("{what}: {other}")),
    })
}

/// moby's `setupSeccomp`: the rules that apply to `target`, in the profile's order.
fn convert(p: &Profile, target: &Target<'_>) -> Result<Option<LinuxSeccomp>> {
    let Some(default_action) = p.default_action else {
        if p.syscalls.is_empty() {
            // No default action and no rule: seccomp disabled, as in moby.
            return Ok(None);
        }
        return Err(Error::InvalidParameter(
            "the seccomp profile has rules but no defaultAction".to_owned(),
        ));
    };
    if !p.architectures.is_empty() && !p.arch_map.is_empty() {
        return Err(Error::InvalidParameter(
            "'architectures' and 'archMap' were specified in the seccomp profile, use either \
             'architectures' or 'archMap'"
                .to_owned(),
        ));
    }
    let mut arches = p.architectures.clone();
    if let Some(native) = native_arch(target.arch)
        && let Some(m) = p.arch_map.iter().find(|m| m.architecture == native)
    {
        arches.push(m.architecture);
        arches.extend(m.sub_architectures.iter().flatten().copied());
    }
    let mut syscalls = Vec::new();
    for rule in &p.syscalls {
        if !applies(rule, target)? {
            continue;
        }
        if !rule.name.is_empty() && !rule.names.is_empty() {
            return Err(Error::InvalidParameter(
                "'name' and 'names' were specified in the seccomp profile, use either 'name' \
                 or 'names'"
                    .to_owned(),
            ));
        }
        let names = match rule.name.is_empty() {
            true => rule.names.clone(),
            false => vec![rule.name.clone()],
        };
        syscalls.push(syscall(names, rule)?);
    }
    let mut out = LinuxSeccompBuilder::default()
        .default_action(default_action)
        .syscalls(syscalls);
    if let Some(errno) = p.default_errno_ret {
        out = out.default_errno_ret(errno);
    }
    if !arches.is_empty() {
        out = out.architectures(arches);
    }
    if !p.flags.is_empty() {
        out = out.flags(p.flags.clone());
    }
    if let Some(path) = &p.listener_path {
        out = out.listener_path(path);
    }
    if let Some(meta) = &p.listener_metadata {
        out = out.listener_metadata(meta);
    }
    out.build().map(Some).map_err(oci)
}

/// Whether `rule`'s includes and excludes let it apply to `target`.
fn applies(rule: &Rule, target: &Target<'_>) -> Result<bool> {
    let has_cap = |c: &String| target.caps.contains(c);
    let ex = &rule.excludes;
    if ex.arches.iter().any(|a| a == target.arch) || ex.caps.iter().any(has_cap) {
        return Ok(false);
    }
    if !ex.min_kernel.is_empty() && target.kernel >= parse_kernel(&ex.min_kernel)? {
        return Ok(false);
    }
    let inc = &rule.includes;
    if !inc.arches.is_empty() && !inc.arches.iter().any(|a| a == target.arch) {
        return Ok(false);
    }
    if !inc.caps.iter().all(has_cap) {
        return Ok(false);
    }
    if !inc.min_kernel.is_empty() && target.kernel < parse_kernel(&inc.min_kernel)? {
        return Ok(false);
    }
    Ok(true)
}

fn syscall(names: Vec<String>, rule: &Rule) -> Result<LinuxSyscall> {
    let mut b = LinuxSyscallBuilder::default()
        .names(names)
        .action(rule.action);
    if let Some(errno) = rule.errno_ret {
        b = b.errno_ret(errno);
    }
    if let Some(args) = &rule.args {
        let args = args
            .iter()
            .map(|a| {
                LinuxSeccompArgBuilder::default()
                    .index(a.index)
                    .value(a.value)
                    .value_two(a.value_two)
                    .op(a.op)
                    .build()
                    .map_err(oci)
            })
            .collect::<Result<Vec<_>>>()?;
        b = b.args(args);
    }
    b.build().map_err(oci)
}

/// `4.8` (or `5.10.3`) as (major, minor).
fn parse_kernel(v: &str) -> Result<(u32, u32)> {
    let mut parts = v.split(['.', '-']).map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => Ok((major, minor)),
        _ => Err(Error::InvalidParameter(format!(
            "invalid kernel version in the seccomp profile: {v:?}"
        ))),
    }
}

/// The running kernel's (major, minor), (0, 0) if unreadable (rules with a minimum then do
/// not apply: the safe side).
fn kernel_version() -> (u32, u32) {
    nix::sys::utsname::uname()
        .ok()
        .and_then(|u| parse_kernel(&u.release().to_string_lossy()).ok())
        .unwrap_or((0, 0))
}

/// This build's architecture in Go's spelling (`GOARCH`), which profiles use.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "mips64" => "mips64",
        other => other,
    }
}

/// The seccomp architecture of a Go architecture (moby's `goToNative` + `nativeToSeccomp`).
fn native_arch(go: &str) -> Option<Arch> {
    Some(match go {
        "386" => Arch::ScmpArchX86,
        "amd64" => Arch::ScmpArchX86_64,
        "arm" => Arch::ScmpArchArm,
        "arm64" => Arch::ScmpArchAarch64,
        "mips64" => Arch::ScmpArchMips64,
        "mips64le" => Arch::ScmpArchMipsel64,
        "mipsle" => Arch::ScmpArchMipsel,
        "ppc64" => Arch::ScmpArchPpc64,
        "ppc64le" => Arch::ScmpArchPpc64le,
        "s390" => Arch::ScmpArchS390,
        "s390x" => Arch::ScmpArchS390x,
        "riscv64" => Arch::ScmpArchRiscv64,
        _ => return None,
    })
}
