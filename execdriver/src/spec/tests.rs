//! The generated `config.json`, checked field by field.

use oci_spec::runtime::Spec;
use serde_json::{Value, json};

use super::*;
use crate::user::User;

fn sample() -> ContainerSpec {
    let mut s = ContainerSpec::new(
        "0123456789abcdef",
        "/var/lib/wharf/rootfs",
        vec!["sh".into(), "-c".into(), "echo hi".into()],
    );
    s.network = Network::Join("/run/netns/wharf-x".into());
    s.mounts = vec![BindMount::new("/var/lib/wharf/c/hosts", "/etc/hosts")];
    s
}

fn to_json(s: &ContainerSpec) -> Value {
    serde_json::to_value(build_spec(s).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn process_root_and_hostname() {
    let j = to_json(&sample());
    assert_eq!(j["ociVersion"], OCI_VERSION);
    assert_eq!(
        j["root"],
        json!({"path": "/var/lib/wharf/rootfs", "readonly": false})
    );
    assert_eq!(j["hostname"], "0123456789ab");
    let p = &j["process"];
    assert_eq!(p["terminal"], false);
    assert_eq!(p["args"], json!(["sh", "-c", "echo hi"]));
    assert_eq!(p["cwd"], "/");
    assert_eq!(p["user"], json!({"uid": 0, "gid": 0}));
    assert_eq!(p["noNewPrivileges"], false);
    assert_eq!(p["rlimits"], json!([]));
}

#[test]
fn docker_default_capabilities_for_root_only_bounding_for_others() {
    let j = to_json(&sample());
    let caps = &j["process"]["capabilities"];
    let expected = {
        let mut v: Vec<String> = [
            "CHOWN",
            "DAC_OVERRIDE",
            "FSETID",
            "FOWNER",
            "MKNOD",
            "NET_RAW",
            "SETGID",
            "SETUID",
            "SETFCAP",
            "SETPCAP",
            "NET_BIND_SERVICE",
            "SYS_CHROOT",
            "KILL",
            "AUDIT_WRITE",
        ]
        .iter()
        .map(|c| format!("CAP_{c}"))
        .collect();
        v.sort();
        v
    };
    for set in ["bounding", "effective", "permitted"] {
        assert_eq!(strings(&caps[set]), expected, "{set}");
    }
    assert_eq!(caps["inheritable"], json!([]));
    assert_eq!(caps["ambient"], json!([]));

    let mut s = sample();
    s.user = User {
        uid: 1000,
        gid: 1000,
        additional_gids: vec![10],
        home: "/".into(),
    };
    let j = to_json(&s);
    assert_eq!(
        j["process"]["user"],
        json!({"uid": 1000, "gid": 1000, "additionalGids": [10]})
    );
    let caps = &j["process"]["capabilities"];
    assert_eq!(strings(&caps["bounding"]), expected);
    assert_eq!(caps["effective"], json!([]));
    assert_eq!(caps["permitted"], json!([]));
}

#[test]
fn namespaces_by_network_mode() {
    let j = to_json(&sample());
    assert_eq!(
        j["linux"]["namespaces"],
        json!([
            {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
            {"type": "network", "path": "/run/netns/wharf-x"}
        ])
    );
    assert_eq!(
        j["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"],
        "0"
    );
    let mut s = sample();
    s.network = Network::Isolated;
    let j = to_json(&s);
    assert_eq!(j["linux"]["namespaces"][4], json!({"type": "network"}));
    s.network = Network::Host;
    let j = to_json(&s);
    assert_eq!(j["linux"]["namespaces"].as_array().unwrap().len(), 4);
    assert!(
        j["linux"]["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["type"] != "network")
    );
    assert_eq!(j["linux"]["sysctl"], json!({}));
}

#[test]
fn namespaces_joined_and_cgroup() {
    let mut s = sample();
    s.shared.pid = Pid::Join("/proc/42/ns/pid".into());
    s.shared.ipc = Ipc::Join("/proc/42/ns/ipc".into());
    s.shared.cgroup_private = true;
    let j = to_json(&s);
    assert_eq!(
        j["linux"]["namespaces"],
        json!([
            {"type": "pid", "path": "/proc/42/ns/pid"},
            {"type": "ipc", "path": "/proc/42/ns/ipc"},
            {"type": "uts"}, {"type": "cgroup"}, {"type": "mount"},
            {"type": "network", "path": "/run/netns/wharf-x"}
        ])
    );
    // A joined IPC namespace keeps the /dev/shm mount (the caller binds the donor's).
    let shm = j["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["destination"] == "/dev/shm");
    assert!(shm);
    s.shared.pid = Pid::Host;
    s.shared.ipc = Ipc::Host;
    let j = to_json(&s);
    let types: Vec<_> = j["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].clone())
        .collect();
    assert_eq!(types, ["uts", "cgroup", "mount", "network"]);
}

#[test]
fn system_mounts_then_binds() {
    let j = to_json(&sample());
    let mounts = j["mounts"].as_array().unwrap();
    let dests: Vec<&str> = mounts
        .iter()
        .map(|m| m["destination"].as_str().unwrap())
        .collect();
    assert_eq!(
        dests,
        [
            "/proc",
            "/dev",
            "/dev/pts",
            "/sys",
            "/sys/fs/cgroup",
            "/dev/mqueue",
            "/dev/shm",
            "/etc/hosts"
        ]
    );
    assert_eq!(
        mounts[2],
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
               "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]})
    );
    assert_eq!(
        mounts[3]["options"],
        json!(["nosuid", "noexec", "nodev", "ro"])
    );
    assert_eq!(
        mounts[4]["options"],
        json!(["ro", "nosuid", "noexec", "nodev"])
    );
    assert_eq!(
        mounts[6]["options"],
        json!(["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"])
    );
    assert_eq!(
        mounts[7],
        json!({"destination": "/etc/hosts", "type": "bind",
               "source": "/var/lib/wharf/c/hosts", "options": ["rbind", "rprivate"]})
    );
}

#[test]
fn masked_readonly_paths_devices_and_cgroup() {
    let j = to_json(&sample());
    let l = &j["linux"];
    assert_eq!(l["cgroupsPath"], "/wharf/0123456789abcdef");
    assert!(
        l["maskedPaths"]
            .as_array()
            .unwrap()
            .contains(&json!("/proc/kcore"))
    );
    assert_eq!(l["maskedPaths"].as_array().unwrap().len(), 11);
    assert_eq!(
        l["readonlyPaths"],
        json!([
            "/proc/bus",
            "/proc/fs",
            "/proc/irq",
            "/proc/sys",
            "/proc/sysrq-trigger"
        ])
    );
    let devices = l["resources"]["devices"].as_array().unwrap();
    assert_eq!(devices[0], json!({"allow": false, "access": "rwm"}));
    assert!(devices.contains(&json!({"allow": true, "type": "c", "major": 136, "access": "rwm"})));
    assert!(l["resources"].get("memory").is_none());
    assert!(l["resources"].get("pids").is_none());
}

#[test]
fn resource_limits() {
    let mut s = sample();
    s.cgroup_parent = Some("/custom/".into());
    s.resources = Resources {
        memory: Some(64 << 20),
        memory_swap: Some(128 << 20),
        cpu_shares: Some(512),
        cpu_quota: Some(50_000),
        cpu_period: Some(100_000),
        pids_limit: Some(100),
        ..Resources::default()
    };
    let j = to_json(&s);
    let r = &j["linux"]["resources"];
    assert_eq!(r["memory"], json!({"limit": 64 << 20, "swap": 128 << 20}));
    assert_eq!(
        r["cpu"],
        json!({"shares": 512, "quota": 50_000, "period": 100_000})
    );
    assert_eq!(r["pids"], json!({"limit": 100}));
    assert_eq!(j["linux"]["cgroupsPath"], "/custom/0123456789abcdef");
    s.resources.pids_limit = Some(-1);
    assert!(to_json(&s)["linux"]["resources"].get("pids").is_none());
}

#[test]
fn tty_readonly_and_ro_binds() {
    let mut s = sample();
    s.tty = true;
    s.readonly_rootfs = true;
    s.mounts[0].readonly = true;
    let j = to_json(&s);
    assert_eq!(j["process"]["terminal"], true);
    assert_eq!(j["root"]["readonly"], true);
    assert_eq!(
        j["mounts"][7]["options"],
        json!(["rbind", "rprivate", "ro"])
    );
}

#[test]
fn bind_propagation_and_mounts_over_system_mounts() {
    let mut s = sample();
    assert!(to_json(&s)["linux"].get("rootfsPropagation").is_none());
    s.mounts.push(BindMount {
        propagation: Propagation::RSlave,
        ..BindMount::new("/srv/data", "/data")
    });
    let j = to_json(&s);
    // The user's mounts follow the system mounts, parents first (/data before /etc/hosts).
    assert_eq!(j["mounts"][7]["destination"], "/data");
    assert_eq!(j["mounts"][7]["options"], json!(["rbind", "rslave"]));
    assert_eq!(j["mounts"][8]["destination"], "/etc/hosts");
    assert_eq!(j["linux"]["rootfsPropagation"], "rslave");
    s.mounts.push(BindMount {
        propagation: Propagation::Shared,
        ..BindMount::new("/srv/shm", "/dev/shm")
    });
    let j = to_json(&s);
    assert_eq!(j["linux"]["rootfsPropagation"], "rshared");
    let shm: Vec<&Value> = j["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["destination"] == "/dev/shm")
        .collect();
    assert_eq!(
        shm,
        [&json!({"destination": "/dev/shm", "type": "bind",
        "source": "/srv/shm", "options": ["rbind", "shared"]})]
    );
    assert_eq!(Propagation::parse("rshared"), Some(Propagation::RShared));
    assert_eq!(Propagation::parse("bogus"), None);
}

#[test]
fn read_only_binds_recursive_where_supported() {
    let options = |m: BindMount, rro: bool| {
        let mut s = sample();
        s.rro_supported = rro;
        s.mounts = vec![m];
        build_spec(&s).map(|spec| {
            let j = serde_json::to_value(&spec).unwrap();
            j["mounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["destination"] == "/d")
                .map(|m| m["options"].clone())
                .unwrap()
        })
    };
    let ro = BindMount {
        readonly: true,
        ..BindMount::new("/s", "/d")
    };
    assert_eq!(
        options(ro.clone(), true).unwrap(),
        json!(["rbind", "rprivate", "rro"])
    );
    assert_eq!(
        options(ro.clone(), false).unwrap(),
        json!(["rbind", "rprivate", "ro"])
    );
    let writable_below = BindMount {
        readonly_depth: ReadonlyDepth::NonRecursive,
        ..ro.clone()
    };
    assert_eq!(
        options(writable_below, true).unwrap(),
        json!(["rbind", "rprivate", "ro"])
    );
    let alone = BindMount {
        non_recursive: true,
        ..ro.clone()
    };
    assert_eq!(
        options(alone, true).unwrap(),
        json!(["bind", "rprivate", "ro"])
    );
    let forced = BindMount {
        readonly_depth: ReadonlyDepth::ForceRecursive,
        ..ro
    };
    assert!(matches!(
        options(forced, false),
        Err(Error::InvalidParameter(_))
    ));
}

#[test]
fn invalid_specs_are_rejected() {
    let mut s = sample();
    s.args.clear();
    assert!(matches!(build_spec(&s), Err(Error::InvalidParameter(_))));
    let mut s = sample();
    s.cwd = "relative".into();
    let e = build_spec(&s).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the working directory 'relative' is invalid, it needs to be an absolute path"
    );
    for id in ["", "../x", "a/b", "-x", "a b"] {
        let mut s = sample();
        s.id = id.into();
        assert!(build_spec(&s).is_err(), "{id:?}");
    }
    let mut s = sample();
    s.rootfs = "rel".into();
    assert!(build_spec(&s).is_err());
}

#[test]
fn bundle_is_written_atomically_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(&sample(), dir.path()).unwrap();
    let loaded = Spec::load(dir.path().join("config.json")).unwrap();
    assert_eq!(loaded.hostname().as_deref(), Some("0123456789ab"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["config.json"]);
}

#[test]
fn the_default_seccomp_profile_and_its_opt_outs() {
    let j = to_json(&sample());
    assert_eq!(j["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(j["linux"]["seccomp"]["defaultErrnoRet"], 1);
    assert_eq!(j["process"]["noNewPrivileges"], false);

    let mut s = sample();
    s.security.seccomp = Seccomp::Unconfined;
    s.security.no_new_privileges = true;
    let j = to_json(&s);
    assert!(j["linux"].get("seccomp").is_none());
    assert_eq!(j["process"]["noNewPrivileges"], true);
}

#[test]
fn privileged_gets_every_capability_device_and_writable_sys() {
    let mut s = sample();
    s.security.privileged = true;
    s.security.seccomp = Seccomp::Default;
    let j = to_json(&s);
    let bounding = strings(&j["process"]["capabilities"]["bounding"]);
    assert!(
        bounding.contains(&"CAP_SYS_ADMIN".to_owned()),
        "{bounding:?}"
    );
    // Every capability dockerd 20.10 knows (0..=37) that this process may hand out.
    let own = super::caps::own_bounding_set().expect("CapBnd");
    assert_eq!(
        bounding.len() as u32,
        (own & ((1 << 38) - 1)).count_ones(),
        "{bounding:?}"
    );
    assert!(j["linux"].get("seccomp").is_none());
    assert_eq!(j["linux"]["maskedPaths"], json!([]));
    assert_eq!(j["linux"]["readonlyPaths"], json!([]));
    assert_eq!(
        j["linux"]["resources"]["devices"],
        json!([{"allow": true, "access": "rwm"}])
    );
    // /dev/null is a host device every machine has.
    let devices = j["linux"]["devices"].as_array().expect("devices");
    assert!(
        devices
            .iter()
            .any(|d| d["path"] == "/dev/null" && d["major"] == 1 && d["minor"] == 3)
    );
    let sys = j["mounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["destination"] == "/sys")
        .expect("/sys");
    assert!(!strings(&sys["options"]).contains(&"ro".to_owned()));
}

#[test]
fn capabilities_ulimits_shm_oom_and_sysctls() {
    let mut s = sample();
    s.security.cap_add = vec!["net_admin".into()];
    s.security.cap_drop = vec!["CAP_CHOWN".into()];
    s.ulimits = vec![Ulimit {
        name: "nofile".into(),
        soft: 100,
        hard: 200,
    }];
    s.shm_size = 1 << 20;
    s.oom_score_adj = Some(500);
    s.sysctls = [("net.ipv4.ip_forward".to_owned(), "1".to_owned())].into();
    s.security.masked_paths = Some(Vec::new());
    let j = to_json(&s);
    let eff = strings(&j["process"]["capabilities"]["effective"]);
    assert!(eff.contains(&"CAP_NET_ADMIN".to_owned()));
    assert!(!eff.contains(&"CAP_CHOWN".to_owned()));
    assert_eq!(
        j["process"]["rlimits"],
        json!([{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}])
    );
    assert_eq!(j["process"]["oomScoreAdj"], 500);
    assert_eq!(j["linux"]["sysctl"]["net.ipv4.ip_forward"], "1");
    assert_eq!(
        j["linux"]["sysctl"]["net.ipv4.ping_group_range"],
        "0 2147483647"
    );
    assert_eq!(j["linux"]["maskedPaths"], json!([]));
    assert!(
        !j["linux"]["readonlyPaths"]
            .as_array()
            .expect("paths")
            .is_empty()
    );
    let shm = j["mounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["destination"] == "/dev/shm")
        .expect("/dev/shm");
    assert!(strings(&shm["options"]).contains(&"size=1048576".to_owned()));

    s.ulimits[0].name = "bogus".into();
    let e = build_spec(&s).expect_err("unknown ulimit");
    assert!(e.to_string().contains("bogus"), "{e}");
}

#[test]
fn cpuset_reservation_swappiness_oom_and_blkio_weight() {
    let mut s = sample();
    s.resources = Resources {
        memory_reservation: Some(32 << 20),
        memory_swappiness: Some(0),
        oom_kill_disable: true,
        cpuset_cpus: Some("0".into()),
        cpuset_mems: Some("0".into()),
        blkio_weight: Some(300),
        ..Resources::default()
    };
    let j = to_json(&s);
    let r = &j["linux"]["resources"];
    assert_eq!(
        r["memory"],
        json!({"reservation": 32 << 20, "swappiness": 0, "disableOOMKiller": true})
    );
    assert_eq!(r["cpu"], json!({"cpus": "0", "mems": "0"}));
    assert_eq!(r["blockIO"], json!({"weight": 300}));
}

#[test]
fn realtime_cpu_annotations_and_block_devices() {
    let mut s = sample();
    s.resources.cpu_realtime_period = Some(1_000_000);
    s.resources.cpu_realtime_runtime = Some(950_000);
    s.annotations = [("org.example.a".to_owned(), "b".to_owned())].into();
    let j = to_json(&s);
    assert_eq!(j["linux"]["resources"]["cpu"]["realtimePeriod"], 1_000_000);
    assert_eq!(j["linux"]["resources"]["cpu"]["realtimeRuntime"], 950_000);
    assert_eq!(j["annotations"], json!({"org.example.a": "b"}));
    // A throttle names a block device; anything else is refused.
    s.resources.blkio_throttle[0] = vec![("/dev/null".into(), 1_048_576)];
    let err = build_spec(&s).expect_err("not a block device");
    assert!(
        err.to_string().contains("/dev/null is not a block device"),
        "{err}"
    );
}
