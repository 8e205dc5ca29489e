//! Host checks against fake `/proc`, `/sys` and `/etc` trees.

use std::fs;
use std::path::Path;

use hostcheck::{CgroupVersion, Probe, Report, Section, Severity};
use tempfile::TempDir;

/// The mount table of this project's reference machine: Debian 12, cgroup v1 hybrid.
const HYBRID_MOUNTINFO: &str = "\
22 1 254:1 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

/// Debian 12's os-release (kept in /usr/lib, as Debian does).
const DEBIAN_OS_RELEASE: &str = "\
PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"
NAME=\"Debian GNU/Linux\"
VERSION_ID=\"12\"
";

/// A fake host root in a temporary directory.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    /// A healthy Debian 12 host on cgroup v1 hybrid, like the project's machines.
    fn debian() -> Self {
        let fixture = Self {
            dir: tempfile::tempdir().expect("create fixture dir"),
        };
        for (path, text) in [
            ("proc/sys/kernel/osrelease", "6.1.0-18-amd64\n"),
            ("proc/sys/kernel/hostname", "vm\n"),
            (
                "proc/meminfo",
                "MemTotal:       24683656 kB\nMemFree: 1 kB\n",
            ),
            ("proc/self/mountinfo", HYBRID_MOUNTINFO),
            (
                "proc/self/status",
                "Name:\tcat\nSeccomp:\t0\nSeccomp_filters:\t0\n",
            ),
            (
                "proc/filesystems",
                "nodev\tcgroup\nnodev\tcgroup2\nnodev\toverlay\n\text4\n",
            ),
            ("proc/sys/net/ipv4/ip_forward", "1\n"),
            ("proc/sys/net/bridge/bridge-nf-call-iptables", "1\n"),
            ("proc/sys/net/bridge/bridge-nf-call-ip6tables", "1\n"),
            ("sys/devices/system/cpu/online", "0-1\n"),
            ("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n"),
            ("usr/lib/os-release", DEBIAN_OS_RELEASE),
        ] {
            fixture.write(path, text);
        }
        fixture
    }

    /// A healthy host on cgroup v2, with AppArmor, `/etc/os-release` and four CPUs.
    fn cgroup_v2() -> Self {
        let fixture = Self::debian();
        fixture.remove("sys/fs/cgroup/unified/cgroup.controllers");
        fixture.write(
            "proc/self/mountinfo",
            "22 1 254:1 / / rw - ext4 /dev/vda rw\n\
             30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
        );
        fixture.write(
            "sys/fs/cgroup/cgroup.controllers",
            "cpuset cpu io memory hugetlb pids rdma misc\n",
        );
        fixture.write("sys/module/apparmor/parameters/enabled", "Y\n");
        fixture.write(
            "etc/os-release",
            "PRETTY_NAME=\"Ubuntu 24.04 LTS\"\nVERSION_ID=\"24.04\"\n",
        );
        fixture.write("sys/devices/system/cpu/online", "0-3\n");
        fixture
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.path().join(path);
        fs::create_dir_all(path.parent().expect("fixture paths have a parent"))
            .expect("create fixture parent");
        fs::write(&path, text).expect("write fixture file");
    }

    fn remove(&self, path: &str) {
        fs::remove_file(self.dir.path().join(path)).expect("remove fixture file");
    }

    /// A probe of this tree as linux/x86_64 run by root.
    fn probe(&self) -> Probe {
        Probe {
            root: self.dir.path().to_owned(),
            os: "linux".to_owned(),
            arch: "x86_64".to_owned(),
            euid: 0,
            data_root: None,
        }
    }

    fn run(&self) -> Report {
        self.probe().run()
    }
}

/// The finding of `check`, which must exist once.
fn finding<'a>(report: &'a Report, check: &str) -> &'a hostcheck::Finding {
    let mut found = report.findings.iter().filter(|f| f.check == check);
    let first = found.next().unwrap_or_else(|| panic!("no {check} finding"));
    assert!(found.next().is_none(), "two {check} findings");
    first
}

fn severity(report: &Report, check: &str) -> Severity {
    finding(report, check).severity
}

#[test]
fn debian_hybrid_host_is_clean() {
    let report = Fixture::debian().run();
    assert!(!report.is_fatal(), "{}", report.render());
    assert!(report.warnings().is_empty(), "{}", report.render());

    let facts = &report.facts;
    assert_eq!(facts.kernel.as_deref(), Some("6.1.0-18-amd64"));
    assert_eq!(
        facts.os_name.as_deref(),
        Some("Debian GNU/Linux 12 (bookworm)")
    );
    assert_eq!(facts.os_version.as_deref(), Some("12"));
    assert_eq!(facts.hostname.as_deref(), Some("vm"));
    assert_eq!(facts.ncpu, 2);
    assert_eq!(facts.mem_total, Some(25_276_063_744));
    assert_eq!(
        (facts.arch.as_str(), facts.goarch.as_str()),
        ("x86_64", "amd64")
    );
    assert_eq!(facts.cgroups.version, CgroupVersion::Hybrid);
    assert_eq!(facts.cgroups.version.docker(), Some("1"));
    assert_eq!(
        facts.cgroups.controllers,
        [
            "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"
        ]
    );
    assert_eq!(facts.overlay, Some(true));
    assert_eq!(facts.seccomp, Some(true));
    assert!(!facts.apparmor);
    assert_eq!(facts.ipv4_forwarding, Some(true));
    assert_eq!(facts.bridge_nf_iptables, Some(true));
    assert_eq!(
        facts.security_options(Some("default")),
        ["name=seccomp,profile=default"]
    );
}

#[test]
fn cgroup_v2_host() {
    let report = Fixture::cgroup_v2().run();
    assert!(report.warnings().is_empty(), "{}", report.render());
    let facts = &report.facts;
    assert_eq!(facts.cgroups.version, CgroupVersion::V2);
    assert_eq!(facts.cgroups.version.docker(), Some("2"));
    assert!(facts.cgroups.controllers.iter().any(|c| c == "io"));
    assert_eq!(facts.os_name.as_deref(), Some("Ubuntu 24.04 LTS"));
    assert_eq!(facts.ncpu, 4);
    assert_eq!(
        facts.security_options(Some("default")),
        [
            "name=apparmor",
            "name=seccomp,profile=default",
            "name=cgroupns"
        ]
    );
    assert_eq!(finding(&report, "cgroup version").message, "v2");
}

#[test]
fn v1_limits_follow_the_control_files() {
    let fixture = Fixture::debian();
    // The reference machine's files, minus the block IO weight its kernel lacks.
    for file in [
        "memory/memory.limit_in_bytes",
        "memory/memory.memsw.limit_in_bytes",
        "memory/memory.soft_limit_in_bytes",
        "memory/memory.oom_control",
        "memory/memory.swappiness",
        "memory/memory.kmem.limit_in_bytes",
        "cpu/cpu.shares",
        "cpu/cpu.cfs_period_us",
        "cpu/cpu.cfs_quota_us",
        "cpu/cpu.rt_period_us",
        "blkio/blkio.throttle.read_bps_device",
        "blkio/blkio.throttle.write_iops_device",
    ] {
        fixture.write(&format!("sys/fs/cgroup/{file}"), "");
    }
    fixture.write("sys/fs/cgroup/cpuset/cpuset.cpus", "0-1\n");
    fixture.write("sys/fs/cgroup/cpuset/cpuset.mems", "0\n");
    fixture.write("proc/sys/kernel/cap_last_cap", "40\n");
    let facts = fixture.run().facts;
    let l = &facts.limits;
    assert!(l.memory && l.swap && l.memory_reservation && l.oom_kill_disable);
    assert!(l.memory_swappiness && l.kernel_memory && !l.kernel_memory_tcp);
    assert!(l.cpu_shares && l.cpu_cfs, "{l:?}");
    assert!(!l.cpu_realtime, "the runtime file is missing");
    assert!(l.cpuset && l.pids);
    assert_eq!((l.cpus.as_str(), l.mems.as_str()), ("0-1", "0"));
    assert!(!l.blkio_weight && !l.blkio_weight_device);
    assert!(l.blkio_read_bps && !l.blkio_write_bps && !l.blkio_read_iops && l.blkio_write_iops);
    assert!(!l.cgroup_namespaces);
    assert_eq!(facts.cap_last_cap, Some(40));

    // Without the files, nothing but the mounted hierarchies counts.
    let bare = Fixture::debian().run().facts.limits;
    assert!(bare.memory && bare.pids && !bare.swap && !bare.cpu_shares && !bare.cpuset);
}

#[test]
fn v2_limits_follow_the_root_controllers() {
    let fixture = Fixture::cgroup_v2();
    fixture.write("sys/fs/cgroup/cpuset.cpus.effective", "0-3\n");
    fixture.write("sys/fs/cgroup/cpuset.mems.effective", "0\n");
    fixture.write("proc/self/cgroup", "0::/system.slice/wharfd.service\n");
    fixture.write("proc/swaps", "Filename Type Size Used Priority\n");
    fixture.write("proc/self/ns/cgroup", "");
    let l = fixture.run().facts.limits;
    assert!(l.memory && l.swap && l.memory_reservation && l.cpu_shares && l.cpu_cfs);
    assert!(!l.oom_kill_disable && !l.memory_swappiness && !l.kernel_memory && !l.cpu_realtime);
    assert!(l.cpuset && l.pids && l.blkio_weight && l.blkio_write_iops && l.cgroup_namespaces);
    assert_eq!((l.cpus.as_str(), l.mems.as_str()), ("0-3", "0"));

    // No `io` controller: no block IO limits; own cgroup unknown: no swap accounting.
    let fixture = Fixture::cgroup_v2();
    fixture.write("sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
    let l = fixture.run().facts.limits;
    assert!(l.memory && !l.swap && !l.blkio_weight && !l.cpuset);
}

#[test]
fn plain_v1_host_and_missing_controllers() {
    let fixture = Fixture::debian();
    fixture.remove("sys/fs/cgroup/unified/cgroup.controllers");
    let without_unified_and_pids: String = HYBRID_MOUNTINFO
        .lines()
        .filter(|l| !l.contains("cgroup2") && !l.contains("rw,pids"))
        .map(|l| format!("{l}\n"))
        .collect();
    fixture.write("proc/self/mountinfo", &without_unified_and_pids);
    let report = fixture.run();
    assert_eq!(report.facts.cgroups.version, CgroupVersion::V1);
    let controllers = finding(&report, "cgroup controllers");
    assert_eq!(controllers.severity, Severity::Warning);
    assert!(
        controllers
            .message
            .contains("missing cgroup controllers pids:"),
        "{}",
        controllers.message
    );
}

#[test]
fn no_cgroups_is_a_warning() {
    let fixture = Fixture::debian();
    fixture.remove("sys/fs/cgroup/unified/cgroup.controllers");
    fixture.write(
        "proc/self/mountinfo",
        "22 1 254:1 / / rw - ext4 /dev/vda rw\n",
    );
    let report = fixture.run();
    assert_eq!(report.facts.cgroups.version, CgroupVersion::Unknown);
    assert_eq!(severity(&report, "cgroup version"), Severity::Warning);
}

#[test]
fn non_linux_is_fatal() {
    let fixture = Fixture::debian();
    let mut probe = fixture.probe();
    probe.os = "macos".to_owned();
    let report = probe.run();
    assert!(report.is_fatal());
    let fatal = report.fatal();
    assert_eq!(fatal.len(), 1);
    assert_eq!(fatal[0].check, "os");
    assert!(fatal[0].message.contains("macos"));
}

#[test]
fn non_root_is_fatal() {
    let fixture = Fixture::debian();
    let mut probe = fixture.probe();
    probe.euid = 1000;
    let report = probe.run();
    assert_eq!(severity(&report, "privileges"), Severity::Fatal);
    assert!(finding(&report, "privileges").message.contains("1000"));
}

#[test]
fn arm64_is_supported() {
    let fixture = Fixture::debian();
    for arch in ["aarch64", "arm64"] {
        let mut probe = fixture.probe();
        probe.arch = arch.to_owned();
        let report = probe.run();
        assert!(!report.is_fatal(), "{arch}: {}", report.render());
        assert_eq!(report.facts.arch, "aarch64");
        assert_eq!(report.facts.goarch, "arm64");
        assert_eq!(finding(&report, "arch").message, "aarch64 (arm64)");
    }
}

#[test]
fn other_architectures_are_fatal() {
    let fixture = Fixture::debian();
    for arch in ["riscv64", "s390x"] {
        let mut probe = fixture.probe();
        probe.arch = arch.to_owned();
        let report = probe.run();
        assert_eq!(severity(&report, "arch"), Severity::Fatal, "{arch}");
        assert!(finding(&report, "arch").message.contains(arch));
    }
}

#[test]
fn kernel_versions() {
    let fixture = Fixture::debian();
    for (release, expected) in [
        ("3.7.0", Severity::Warning),
        ("3.8.0", Severity::Ok),
        ("5.10.0-28-amd64", Severity::Ok),
        ("not-a-kernel", Severity::Warning),
    ] {
        fixture.write("proc/sys/kernel/osrelease", &format!("{release}\n"));
        let report = fixture.run();
        assert_eq!(severity(&report, "kernel"), expected, "{release}");
        assert_eq!(report.facts.kernel.as_deref(), Some(release));
    }
    let version = fixture.run().facts.kernel_version;
    assert_eq!(version, None, "not-a-kernel is unparseable");

    fixture.write("proc/sys/kernel/osrelease", "5.10.0-28-amd64\n");
    let report = fixture.run();
    let version = report.facts.kernel_version.as_ref().expect("parsed");
    assert_eq!((version.major, version.minor, version.patch), (5, 10, 0));
    assert_eq!(version.flavor, "-28-amd64");
    assert_eq!(
        finding(&report, "kernel").message,
        "5.10.0-28-amd64 (>= 3.8)"
    );
}

#[test]
fn missing_overlay_is_a_warning() {
    let fixture = Fixture::debian();
    fixture.write("proc/filesystems", "nodev\tcgroup\n\text4\n");
    let report = fixture.run();
    assert_eq!(report.facts.overlay, Some(false));
    let overlay = finding(&report, "overlay");
    assert_eq!(overlay.severity, Severity::Warning);
    assert!(overlay.message.contains("vfs"));
}

#[test]
fn missing_bridge_nf_is_a_warning() {
    let fixture = Fixture::debian();
    fixture.remove("proc/sys/net/bridge/bridge-nf-call-iptables");
    let report = fixture.run();
    assert_eq!(report.facts.bridge_nf_iptables, None);
    let bridge = finding(&report, "bridge-nf-call-iptables");
    assert_eq!(bridge.severity, Severity::Warning);
    assert_eq!(bridge.message, "bridge-nf-call-iptables is disabled");

    fixture.write("proc/sys/net/bridge/bridge-nf-call-iptables", "0\n");
    assert_eq!(
        severity(&fixture.run(), "bridge-nf-call-iptables"),
        Severity::Warning
    );
}

#[test]
fn empty_root_reports_unknowns_without_panicking() {
    let empty = tempfile::tempdir().expect("create fixture dir");
    let report = Probe {
        root: empty.path().to_owned(),
        os: "linux".to_owned(),
        arch: "x86_64".to_owned(),
        euid: 0,
        data_root: None,
    }
    .run();
    assert!(!report.is_fatal());
    let facts = &report.facts;
    assert_eq!(
        (facts.kernel.as_ref(), facts.mem_total, facts.overlay),
        (None, None, None)
    );
    assert!(facts.ncpu >= 1);
    for check in [
        "kernel",
        "cgroup version",
        "overlay",
        "ip forwarding",
        "seccomp",
    ] {
        assert_eq!(severity(&report, check), Severity::Warning, "{check}");
    }
}

#[test]
fn data_root_filesystem_is_reported() {
    let fixture = Fixture::debian();
    let data = tempfile::tempdir().expect("create data root");
    let report = fixture.probe().with_data_root(data.path()).run();
    let fs = report.data_root.as_ref().expect("data root probed");
    assert_eq!(fs.probed, data.path());
    assert_eq!(severity(&report, "d_type"), Severity::Ok);
    let backing = finding(&report, "backing filesystem");
    assert!(
        backing.message.starts_with(&fs.backing_fs),
        "{}",
        backing.message
    );
}

#[test]
fn render_groups_by_section() {
    let fixture = Fixture::debian();
    fixture.remove("proc/sys/net/bridge/bridge-nf-call-iptables");
    let mut probe = fixture.probe();
    probe.euid = 1000;
    let text = probe.run().render();
    let headings: Vec<_> = text.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        headings,
        [
            "host:",
            "cgroups:",
            "storage:",
            "network:",
            "security:",
            "1 fatal, 1 warning"
        ]
    );
    assert!(
        text.contains("  [ok]      kernel: 6.1.0-18-amd64 (>= 3.8)\n"),
        "{text}"
    );
    assert!(text.contains("  [FATAL]   privileges: "), "{text}");
    assert!(
        text.contains("  [warning] bridge-nf-call-iptables: bridge-nf-call-iptables is disabled\n"),
        "{text}"
    );
}

#[test]
fn report_serializes() {
    let report = Fixture::debian().run();
    let json = serde_json::to_value(&report).expect("serialize report");
    assert_eq!(json["facts"]["cgroups"]["version"], "hybrid");
    assert_eq!(json["facts"]["ncpu"], 2);
    assert_eq!(json["findings"][0]["severity"], "ok");
    assert_eq!(json["findings"][0]["section"], "host");
}

#[test]
fn sections_cover_every_finding() {
    let report = Fixture::debian().run();
    for finding in &report.findings {
        assert!(Section::ALL.contains(&finding.section));
    }
}

#[test]
fn live_probe_runs() {
    let report = Probe::live().run();
    let kernel = report
        .facts
        .kernel
        .as_deref()
        .expect("live host has a kernel release");
    assert!(!kernel.is_empty());
    assert!(Path::new("/proc/sys/kernel/osrelease").exists());
}
