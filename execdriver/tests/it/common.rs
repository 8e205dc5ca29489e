//! Shared fixture of the privileged exec driver tests: a busybox rootfs, a private runc root,
//! a network namespace of the test's own, all removed on drop (also when the test fails).

// Test support: a failed setup step should panic with its location, as in the tests themselves.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use execdriver::{
    ContainerDir, ContainerSpec, LogEntry, LogFilter, MonitorCommand, Network, Runtime, Stream,
};
use testkit::NetNs;

const APPLETS: &[&str] = &[
    "sh", "echo", "sleep", "cat", "true", "false", "ls", "id", "hostname", "tty", "test", "stty",
    "dd", "kill",
];

pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub rootfs: PathBuf,
    pub runtime: Runtime,
    pub netns: NetNs,
    /// A cgroup parent of this fixture's own, removed on drop, so no test leaves a cgroup.
    pub cgroup_parent: String,
    ids: RefCell<Vec<String>>,
}

impl Fixture {
    pub fn new(tag: &str) -> Self {
        testkit::require_privileged();
        let tmp = tempfile::Builder::new()
            .prefix("wharf-exec-")
            .tempdir()
            .expect("temp dir");
        let rootfs = tmp.path().join("rootfs");
        for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "root"] {
            std::fs::create_dir_all(rootfs.join(d)).unwrap();
        }
        std::fs::copy("/bin/busybox", rootfs.join("bin/busybox"))
            .expect("busybox-static installed");
        for a in APPLETS {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(a)).unwrap();
        }
        std::fs::write(
            rootfs.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
        )
        .unwrap();
        std::fs::write(rootfs.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
        let runtime = Runtime::runc(tmp.path().join("runc"));
        Fixture {
            netns: NetNs::new(tag).expect("test network namespace"),
            rootfs,
            runtime,
            tmp,
            cgroup_parent: format!("/wharf-test-{}-{tag}", std::process::id()),
            ids: RefCell::new(Vec::new()),
        }
    }

    /// A spec for `args` in the fixture's network namespace, and its state directory.
    pub fn spec(&self, tag: &str, args: &[&str]) -> (ContainerSpec, ContainerDir) {
        let id = format!("wt{}-{tag}", std::process::id());
        self.ids.borrow_mut().push(id.clone());
        let mut spec = ContainerSpec::new(
            &id,
            &self.rootfs,
            args.iter().map(|s| (*s).to_owned()).collect(),
        );
        spec.network = Network::Join(self.netns.path());
        spec.cgroup_parent = Some(self.cgroup_parent.clone());
        let dir = ContainerDir::new(&id, self.tmp.path().join("containers").join(&id));
        (spec, dir)
    }

    pub fn monitor() -> MonitorCommand {
        MonitorCommand {
            program: env!("CARGO_BIN_EXE_wharf-monitor-test").into(),
            args: vec!["monitor".into()],
        }
    }

    /// Everything runc and the kernel should have forgotten about a finished container.
    pub fn assert_cleaned(&self, id: &str) {
        assert!(
            !self.runtime.root.join(id).exists(),
            "runc state of {id} left behind"
        );
        for hierarchy in std::fs::read_dir("/sys/fs/cgroup").unwrap() {
            let cg = hierarchy
                .unwrap()
                .path()
                .join(self.cgroup_parent.trim_start_matches('/'))
                .join(id);
            assert!(!cg.exists(), "cgroup {} left behind", cg.display());
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for id in self.ids.borrow().iter() {
            let _ = execdriver::delete(&self.runtime, id, true);
            let dir = ContainerDir::new(id, self.tmp.path().join("containers").join(id));
            // Let the monitor record the end before its directory goes away.
            let _ = execdriver::wait_exit(&dir, Some(Duration::from_secs(5)));
        }
        // runc removes each container's cgroup but not the parent it created for them.
        if let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") {
            for h in hierarchies.flatten() {
                let _ =
                    std::fs::remove_dir(h.path().join(self.cgroup_parent.trim_start_matches('/')));
            }
        }
    }
}

pub fn log(dir: &ContainerDir) -> Vec<LogEntry> {
    execdriver::read_log(&dir.log(), &LogFilter::default()).unwrap()
}

pub fn log_text(dir: &ContainerDir, stream: Stream) -> String {
    log(dir)
        .into_iter()
        .filter(|e| e.stream == stream)
        .map(|e| e.log)
        .collect()
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Waits until the monitor released its lock (it exits right after the exit record).
pub fn wait_monitor_gone(dir: &ContainerDir) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while execdriver::monitor_alive(dir).unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "monitor of {} still alive",
            dir.id()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
