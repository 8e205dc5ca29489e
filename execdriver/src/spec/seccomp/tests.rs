use super::*;

fn caps(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| format!("CAP_{c}")).collect()
}

fn target(caps: &[String], kernel: (u32, u32)) -> Target<'_> {
    Target {
        arch: "amd64",
        kernel,
        caps,
    }
}

fn names(s: &LinuxSeccomp) -> Vec<String> {
    s.syscalls()
        .iter()
        .flatten()
        .filter(|c| c.action() == LinuxSeccompAction::ScmpActAllow && c.args().is_none())
        .flat_map(|c| c.names().clone())
        .collect()
}

#[test]
fn the_default_profile_for_a_default_container_on_amd64() {
    let defaults = caps(&crate::DEFAULT_CAPABILITIES);
    let s = filter(&Seccomp::Default, &target(&defaults, (6, 1)))
        .expect("converts")
        .expect("a filter");
    assert_eq!(s.default_action(), LinuxSeccompAction::ScmpActErrno);
    assert_eq!(s.default_errno_ret(), Some(1));
    assert_eq!(
        s.architectures().as_deref(),
        Some(&[Arch::ScmpArchX86_64, Arch::ScmpArchX86, Arch::ScmpArchX32][..])
    );
    let allowed = names(&s);
    for call in [
        "read",
        "execve",
        "arch_prctl",
        "ptrace",
        "chroot",
        "modify_ldt",
    ] {
        assert!(allowed.iter().any(|n| n == call), "{call} allowed");
    }
    // Namespaces, mounts and keyrings need CAP_SYS_ADMIN (keyctl is not listed at all).
    for call in ["unshare", "mount", "setns", "keyctl", "reboot", "bpf"] {
        assert!(!allowed.iter().any(|n| n == call), "{call} refused");
    }
    // clone without namespace flags is allowed by its argument; clone3 answers ENOSYS.
    let calls = s.syscalls().clone().unwrap_or_default();
    let clone = calls
        .iter()
        .find(|c| c.names() == &["clone"])
        .expect("clone rule");
    let arg = &clone.args().as_ref().expect("args")[0];
    assert_eq!((arg.index(), arg.value()), (0, 2_114_060_288));
    assert_eq!(arg.op(), LinuxSeccompOperator::ScmpCmpMaskedEq);
    let clone3 = calls
        .iter()
        .find(|c| c.names() == &["clone3"])
        .expect("clone3 rule");
    assert_eq!(clone3.errno_ret(), Some(38));
    // Five personality values, each its own rule.
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.names() == &["personality"])
            .count(),
        5
    );
}

#[test]
fn capabilities_and_the_kernel_choose_rules() {
    let admin = caps(&["SYS_ADMIN", "SYS_PTRACE"]);
    let s = filter(&Seccomp::Default, &target(&admin, (6, 1)))
        .expect("converts")
        .expect("a filter");
    let allowed = names(&s);
    assert!(allowed.iter().any(|n| n == "unshare"));
    assert!(allowed.iter().any(|n| n == "kcmp"));
    // With CAP_SYS_ADMIN, clone needs no argument check and clone3 works.
    let calls = s.syscalls().clone().unwrap_or_default();
    assert!(!calls.iter().any(|c| c.names() == &["clone3"]));
    assert!(
        !calls
            .iter()
            .any(|c| c.names() == &["clone"] && c.args().is_some())
    );

    // ptrace for everyone only from 4.8 on.
    let none: Vec<String> = Vec::new();
    let old = filter(&Seccomp::Default, &target(&none, (4, 4)))
        .expect("converts")
        .expect("a filter");
    assert!(!names(&old).iter().any(|n| n == "ptrace"));
    let new = filter(&Seccomp::Default, &target(&none, (4, 8)))
        .expect("converts")
        .expect("a filter");
    assert!(names(&new).iter().any(|n| n == "ptrace"));
}

#[test]
fn user_profiles_unconfined_and_errors() {
    let none: Vec<String> = Vec::new();
    let t = target(&none, (6, 1));
    assert_eq!(filter(&Seccomp::Unconfined, &t).expect("ok"), None);
    // An empty profile disables seccomp, as in moby.
    assert_eq!(
        filter(&Seccomp::Profile("{}".into()), &t).expect("ok"),
        None
    );
    let own = r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
        "syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO","errnoRet":13},
                    {"names":["chmod"],"action":"SCMP_ACT_ERRNO","includes":{"arches":["arm64"]}}],
        "unknownField":1}"#;
    let s = filter(&Seccomp::Profile(own.into()), &t)
        .expect("converts")
        .expect("a filter");
    assert_eq!(s.default_action(), LinuxSeccompAction::ScmpActAllow);
    let calls = s.syscalls().clone().unwrap_or_default();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].names(), &["mkdir"]);
    assert_eq!(calls[0].errno_ret(), Some(13));

    let e = filter(&Seccomp::Profile("{not json".into()), &t).expect_err("bad json");
    assert!(
        e.to_string()
            .starts_with("Decoding seccomp profile failed: "),
        "{e}"
    );
    let both = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}"#;
    let e = filter(&Seccomp::Profile(both.into()), &t).expect_err("name and names");
    assert!(
        e.to_string().contains("use either 'name' or 'names'"),
        "{e}"
    );
    let arches = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#;
    let e = filter(&Seccomp::Profile(arches.into()), &t).expect_err("both arch forms");
    assert!(
        e.to_string()
            .contains("use either 'architectures' or 'archMap'"),
        "{e}"
    );
}
