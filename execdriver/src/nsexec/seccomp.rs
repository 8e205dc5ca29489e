//! The container's seccomp filter (`linux.seccomp` of its bundle) compiled to a BPF program
//! with libseccomp, as runc compiles it, before the exec's process is forked.
//!
//! libseccomp is loaded at run time (`dlopen("libseccomp.so.2")`): runc links against it, so it
//! is present wherever runc is, and wharf needs no `-dev` package to build; when it is absent
//! the exec goes through `runc exec` instead.

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::io::{Read, Seek};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use nix::libc;
use oci_spec::runtime::{LinuxSeccomp, LinuxSeccompAction};

/// `SCMP_FLTATR_CTL_NNP` of `enum scmp_filter_attr`.
const SCMP_FLTATR_CTL_NNP: c_int = 3;
/// `__NR_SCMP_ERROR`: the name is no syscall of the native architecture.
const NR_SCMP_ERROR: c_int = -1;

/// `struct scmp_arg_cmp`.
#[repr(C)]
struct ArgCmp {
    arg: c_uint,
    op: c_uint,
    datum_a: u64,
    datum_b: u64,
}

type Init = unsafe extern "C" fn(u32) -> *mut c_void;
type ArchAdd = unsafe extern "C" fn(*mut c_void, u32) -> c_int;
type AttrSet = unsafe extern "C" fn(*mut c_void, c_int, u32) -> c_int;
type Resolve = unsafe extern "C" fn(*const c_char) -> c_int;
type RuleAdd = unsafe extern "C" fn(*mut c_void, u32, c_int, c_uint, *const ArgCmp) -> c_int;
type Export = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
type Release = unsafe extern "C" fn(*mut c_void);

/// The functions of libseccomp the compiler uses; the library stays loaded while it lives.
struct Lib {
    handle: *mut c_void,
    init: Init,
    arch_add: ArchAdd,
    attr_set: AttrSet,
    resolve: Resolve,
    rule_add: RuleAdd,
    export: Export,
    release: Release,
}

impl Lib {
    fn open() -> Option<Lib> {
        // SAFETY: the name is a valid C string; dlopen runs libseccomp's constructors, which
        // only initialise its own state.
        let handle = unsafe { libc::dlopen(c"libseccomp.so.2".as_ptr(), libc::RTLD_NOW) };
        if handle.is_null() {
            return None;
        }
        let sym = |name: &CStr| {
            // SAFETY: `handle` is a live handle from dlopen and `name` a valid C string.
            let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
            (!p.is_null()).then_some(p)
        };
        let lib = (|| {
            // SAFETY: each symbol is libseccomp's function of that name, whose C signature the
            // type it is transmuted to spells out (seccomp.h of libseccomp 2.x).
            unsafe {
                Some(Lib {
                    handle,
                    init: std::mem::transmute::<*mut c_void, Init>(sym(c"seccomp_init")?),
                    arch_add: std::mem::transmute::<*mut c_void, ArchAdd>(sym(
                        c"seccomp_arch_add",
                    )?),
                    attr_set: std::mem::transmute::<*mut c_void, AttrSet>(sym(
                        c"seccomp_attr_set",
                    )?),
                    resolve: std::mem::transmute::<*mut c_void, Resolve>(sym(
                        c"seccomp_syscall_resolve_name",
                    )?),
                    rule_add: std::mem::transmute::<*mut c_void, RuleAdd>(sym(
                        c"seccomp_rule_add_array",
                    )?),
                    export: std::mem::transmute::<*mut c_void, Export>(sym(c"seccomp_export_bpf")?),
                    release: std::mem::transmute::<*mut c_void, Release>(sym(c"seccomp_release")?),
                })
            }
        })();
        if lib.is_none() {
            // SAFETY: the handle came from dlopen and nothing of the library is in use.
            unsafe { libc::dlclose(handle) };
        }
        lib
    }
}

impl Drop for Lib {
    fn drop(&mut self) {
        // SAFETY: the handle came from dlopen; every filter context was released already.
        unsafe { libc::dlclose(self.handle) };
    }
}

/// Why a filter could not be compiled natively.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum NotNative {
    /// runc must do it (no libseccomp, a notify action, filter flags): the reason.
    Fallback(String),
    /// libseccomp refused the filter: runc's message for it.
    Failed(String),
}

/// Whether the native path can reproduce runc's handling of `s` at all (checked before
/// anything is compiled).
pub(super) fn supported(s: &LinuxSeccomp) -> Result<(), String> {
    if s.listener_path().is_some() {
        return Err("a seccomp listener".to_owned());
    }
    if s.flags().as_ref().is_some_and(|f| !f.is_empty()) {
        return Err("seccomp filter flags".to_owned());
    }
    let notify = s.default_action() == LinuxSeccompAction::ScmpActNotify
        || s.syscalls()
            .iter()
            .flatten()
            .any(|c| c.action() == LinuxSeccompAction::ScmpActNotify);
    if notify {
        return Err("a seccomp notify action".to_owned());
    }
    Ok(())
}

/// The first line of a cached program.
const CACHE_MAGIC: &[u8] = b"wharf seccomp bpf 1\n";

/// [`compile`], remembered in `cache` (the container's bundle directory keeps it for every
/// later exec): compiling Docker's default profile takes libseccomp tens of milliseconds, more
/// than the rest of an exec's start. The file holds the profile it was compiled from, so a
/// different profile is compiled afresh.
pub(super) fn compile_cached(
    s: &LinuxSeccomp,
    cache: &Path,
) -> Result<Vec<libc::sock_filter>, NotNative> {
    supported(s).map_err(NotNative::Fallback)?;
    let key = serde_json::to_vec(s).unwrap_or_default();
    if let Some(prog) = std::fs::read(cache)
        .ok()
        .and_then(|bytes| cached_program(&bytes, &key))
    {
        return Ok(prog);
    }
    let prog = compile(s)?;
    let mut bytes = Vec::with_capacity(CACHE_MAGIC.len() + 8 + key.len() + prog.len() * 8);
    bytes.extend_from_slice(CACHE_MAGIC);
    bytes.extend_from_slice(&(key.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&key);
    for f in &prog {
        bytes.extend_from_slice(&f.code.to_ne_bytes());
        bytes.extend_from_slice(&[f.jt, f.jf]);
        bytes.extend_from_slice(&f.k.to_ne_bytes());
    }
    // A cache that cannot be written only costs the next exec the compilation again.
    let _ = crate::state::write_replacing(cache, &bytes);
    Ok(prog)
}

/// The program of a cache file, when it was compiled from the profile `key`.
fn cached_program(bytes: &[u8], key: &[u8]) -> Option<Vec<libc::sock_filter>> {
    let rest = bytes.strip_prefix(CACHE_MAGIC)?;
    let (len, rest) = rest.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    let (stored, program) = (rest.get(..len)?, rest.get(len..)?);
    if stored != key || program.is_empty() || program.len() % 8 != 0 {
        return None;
    }
    Some(filters(program))
}

fn filters(bytes: &[u8]) -> Vec<libc::sock_filter> {
    bytes
        .chunks_exact(8)
        .map(|b| libc::sock_filter {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        })
        .collect()
}

/// Compiles `s` to the BPF program runc would load (libseccomp's export; runc's ENOSYS stub for
/// syscalls newer than the profile is not added).
pub(super) fn compile(s: &LinuxSeccomp) -> Result<Vec<libc::sock_filter>, NotNative> {
    supported(s).map_err(NotNative::Fallback)?;
    let lib = Lib::open()
        .ok_or_else(|| NotNative::Fallback("libseccomp.so.2 cannot be loaded".to_owned()))?;
    let default = s.default_action().as_u32(s.default_errno_ret());
    // SAFETY: seccomp_init takes an action value and returns a new context or null.
    let ctx = unsafe { (lib.init)(default) };
    if ctx.is_null() {
        return Err(NotNative::Failed(
            "error creating filter: could not create filter".to_owned(),
        ));
    }
    let out = fill_and_export(&lib, ctx, s, default);
    // SAFETY: `ctx` came from seccomp_init and is not used again.
    unsafe { (lib.release)(ctx) };
    out.map_err(NotNative::Failed)
}

fn fill_and_export(
    lib: &Lib,
    ctx: *mut c_void,
    s: &LinuxSeccomp,
    default: u32,
) -> Result<Vec<libc::sock_filter>, String> {
    for arch in s.architectures().iter().flatten() {
        // SAFETY: `ctx` is a live context; the token is an AUDIT_ARCH value.
        let rc = unsafe { (lib.arch_add)(ctx, *arch as u32) };
        if rc < 0 && rc != -libc::EEXIST {
            return Err(format!(
                "error adding architecture to seccomp filter: {}",
                errno_text(-rc)
            ));
        }
    }
    // SAFETY: `ctx` is a live context; the attribute takes 0 or 1.
    unsafe { (lib.attr_set)(ctx, SCMP_FLTATR_CTL_NNP, 0) };
    for call in s.syscalls().iter().flatten() {
        let action = call.action().as_u32(call.errno_ret());
        // A rule with the default action changes nothing, and libseccomp refuses it.
        if action == default {
            continue;
        }
        let conds: Vec<ArgCmp> = call
            .args()
            .iter()
            .flatten()
            .map(|a| ArgCmp {
                arg: a.index() as c_uint,
                op: a.op() as c_uint,
                datum_a: a.value(),
                datum_b: a.value_two().unwrap_or(0),
            })
            .collect();
        let mut counts = [0usize; 6];
        for c in &conds {
            if let Some(n) = counts.get_mut(c.arg as usize) {
                *n += 1;
            }
        }
        for name in call.names() {
            let Ok(cname) = CString::new(name.as_str()) else {
                continue;
            };
            // SAFETY: a valid C string; the function only reads it.
            let nr = unsafe { (lib.resolve)(cname.as_ptr()) };
            // A syscall this architecture does not know is skipped, as runc skips it.
            if nr == NR_SCMP_ERROR {
                continue;
            }
            let add = |conds: &[ArgCmp]| {
                // SAFETY: `ctx` is live; `conds` is valid for `conds.len()` elements.
                let rc = unsafe {
                    (lib.rule_add)(ctx, action, nr, conds.len() as c_uint, conds.as_ptr())
                };
                if rc < 0 {
                    return Err(format!(
                        "error adding seccomp filter rule for syscall {name}: {}",
                        errno_text(-rc)
                    ));
                }
                Ok(())
            };
            // Two conditions on one argument: one rule per condition, as runc does.
            if counts.iter().any(|n| *n > 1) {
                for c in &conds {
                    add(std::slice::from_ref(c))?;
                }
            } else {
                add(&conds)?;
            }
        }
    }
    export(lib, ctx)
}

fn export(lib: &Lib, ctx: *mut c_void) -> Result<Vec<libc::sock_filter>, String> {
    // SAFETY: memfd_create takes a valid C string and flags; the descriptor is owned below.
    let fd = unsafe { libc::memfd_create(c"seccomp-bpf".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(format!(
            "exporting the seccomp filter: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: a fresh descriptor nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: `ctx` is live; the descriptor is open for writing.
    let rc = unsafe { (lib.export)(ctx, fd.as_raw_fd()) };
    if rc < 0 {
        return Err(format!("exporting the seccomp filter: {}", errno_text(-rc)));
    }
    let mut file = std::fs::File::from(fd);
    let mut bytes = Vec::new();
    file.rewind()
        .and_then(|()| file.read_to_end(&mut bytes))
        .map_err(|e| format!("reading the seccomp filter: {e}"))?;
    Ok(filters(&bytes))
}

/// An errno as Go prints it (strerror, lower-case first letter).
pub(super) fn errno_text(errno: i32) -> String {
    let text = nix::errno::Errno::from_raw(errno).desc();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => format!("errno {errno}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(json: serde_json::Value) -> LinuxSeccomp {
        serde_json::from_value(json).expect("profile")
    }

    #[test]
    fn compiles_with_libseccomp_and_refuses_what_runc_must_do() {
        let p = profile(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [
                {"names": ["mkdir", "mkdirat", "no_such_syscall"], "action": "SCMP_ACT_ERRNO"},
                {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_NE"},
                          {"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}
            ]
        }));
        if Lib::open().is_none() {
            assert!(matches!(compile(&p), Err(NotNative::Fallback(_))));
            return;
        }
        let prog = compile(&p).expect("compiles");
        assert!(prog.len() > 5, "{}", prog.len());
        let notify = profile(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]
        }));
        assert_eq!(
            compile(&notify).expect_err("notify"),
            NotNative::Fallback("a seccomp notify action".to_owned())
        );
        assert_eq!(errno_text(libc::ENOENT), "no such file or directory");
    }

    #[test]
    fn dockers_default_profile_compiles() {
        if Lib::open().is_none() {
            return;
        }
        let spec = crate::ContainerSpec::new("0123456789ab", "/rootfs", vec!["sh".into()]);
        let built = crate::build_spec(&spec).expect("spec");
        let profile = built
            .linux()
            .as_ref()
            .and_then(|l| l.seccomp().clone())
            .expect("the default profile");
        let started = std::time::Instant::now();
        let prog = compile(&profile).expect("compiles");
        // What an exec pays for it (the monitor compiles before each fork).
        eprintln!(
            "default profile: {} instructions in {:?}",
            prog.len(),
            started.elapsed()
        );
        assert!(prog.len() > 100, "{}", prog.len());

        // Cached: the same program without libseccomp; another profile is compiled afresh.
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path().join("seccomp.bpf");
        let first = compile_cached(&profile, &cache).expect("compiles");
        let started = std::time::Instant::now();
        let again = compile_cached(&profile, &cache).expect("cached");
        eprintln!("cached: {:?}", started.elapsed());
        let same = |a: &[libc::sock_filter], b: &[libc::sock_filter]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x.code, x.jt, x.jf, x.k) == (y.code, y.jt, y.jf, y.k))
        };
        assert!(same(&first, &prog) && same(&again, &prog));
        let mut other = profile.clone();
        other.set_syscalls(None);
        let small = compile_cached(&other, &cache).expect("recompiled");
        assert!(small.len() < prog.len());
    }
}
