//! Shared fixture of the privileged exec driver tests: a busybox rootfs, a private runc root,
//! a network namespace of the test's own, all removed on drop (also when the test fails).

// Test support: a failed setup step should panic with its location, as in the tests themselves.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use execdriver::{
    AttachConn, BindMount, ContainerDir, ContainerSpec, ExitStatus, Frame, LogEntry, LogFilter,
    MonitorCommand, Network, Prepared, Resources, Running, Runtime, State, Stream,
};
use testkit::NetNs;

/// How long a test waits for a container to exit.
pub const WAIT: Option<Duration> = Some(Duration::from_secs(20));

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

    /// A container running `args` in the fixture, to shape with [`Container`]'s builder
    /// methods and then drive.
    pub fn container(&self, tag: &str, args: &[&str]) -> Container<'_> {
        let (spec, dir) = self.spec(tag, args);
        Container {
            fx: self,
            spec,
            dir,
        }
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

/// One container of a test: its spec, its state directory and the fixture it runs in. The
/// builder methods shape the spec; the others start, wait, read and check, panicking with
/// the failure's location on any error a test does not expect.
pub struct Container<'a> {
    pub fx: &'a Fixture,
    pub spec: ContainerSpec,
    pub dir: ContainerDir,
}

impl Container<'_> {
    /// The same container (ID, state directory) running `args` instead.
    pub fn with_args(&self, args: &[&str]) -> Self {
        let mut spec = self.spec.clone();
        spec.args = args.iter().map(|s| (*s).to_owned()).collect();
        Container {
            fx: self.fx,
            spec,
            dir: self.dir.clone(),
        }
    }

    pub fn stdin(mut self) -> Self {
        self.spec.open_stdin = true;
        self
    }

    pub fn tty(mut self) -> Self {
        self.spec.tty = true;
        self
    }

    /// A network namespace of its own instead of the fixture's.
    pub fn isolated(mut self) -> Self {
        self.spec.network = Network::Isolated;
        self
    }

    pub fn hostname(mut self, name: &str) -> Self {
        self.spec.hostname = name.into();
        self
    }

    /// Runs as `user`, resolved in the fixture's rootfs.
    pub fn user(mut self, user: &str) -> Self {
        self.spec.user = execdriver::resolve_user(&self.fx.rootfs, user).unwrap();
        self
    }

    pub fn resources(mut self, resources: Resources) -> Self {
        self.spec.resources = resources;
        self
    }

    /// Bind-mounts a file holding `text` on `/etc/<name>`, as the daemon does `hosts` & co.
    pub fn etc_file(mut self, name: &str, text: &str) -> Self {
        let files = self.fx.tmp.path().join("files").join(&self.spec.id);
        std::fs::create_dir_all(&files).unwrap();
        self.spec.mounts.push(BindMount::new(
            write_file(&files, name, text),
            format!("/etc/{name}"),
        ));
        self
    }

    pub fn try_start(&self) -> execdriver::Result<Running> {
        execdriver::start(&self.spec, &self.dir, &self.fx.runtime, &Fixture::monitor())
    }

    pub fn start(&self) -> Running {
        self.try_start().unwrap()
    }

    pub fn prepare(&self) -> Prepared {
        execdriver::prepare(&self.spec, &self.dir, &self.fx.runtime, &Fixture::monitor()).unwrap()
    }

    /// The exit record, waiting up to [`WAIT`] for it.
    pub fn exit(&self) -> ExitStatus {
        execdriver::wait_exit(&self.dir, WAIT)
            .unwrap()
            .expect("the container exited")
    }

    /// Starts the container and waits for its exit.
    pub fn run(&self) -> ExitStatus {
        self.start();
        self.exit()
    }

    pub fn kill(&self, signal: &str) -> execdriver::Result<()> {
        execdriver::kill(&self.fx.runtime, &self.spec.id, signal)
    }

    pub fn state(&self) -> State {
        execdriver::state(&self.dir).unwrap()
    }

    pub fn log(&self) -> Vec<LogEntry> {
        log(&self.dir)
    }

    pub fn stdout(&self) -> String {
        log_text(&self.dir, Stream::Stdout)
    }

    pub fn stderr(&self) -> String {
        log_text(&self.dir, Stream::Stderr)
    }

    /// Waits for the monitor to end, then checks runc and the cgroups forgot the container.
    pub fn assert_cleaned(&self) {
        wait_monitor_gone(&self.dir);
        self.fx.assert_cleaned(&self.spec.id);
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

/// What an attachment receives until the exit frame: the output (all of it stdout) as text,
/// and the exit.
pub fn read_to_exit(conn: &mut AttachConn) -> (String, ExitStatus) {
    let mut out = Vec::new();
    let exit = loop {
        match conn.read_frame().unwrap() {
            Some(Frame::Stdout(b)) => out.extend(b),
            Some(Frame::Exit(e)) => break e,
            other => panic!("unexpected {other:?}"),
        }
    };
    (String::from_utf8(out).unwrap(), exit)
}

/// The arguments that run `script` with the rootfs' shell.
pub fn sh(script: &str) -> [&str; 3] {
    ["sh", "-c", script]
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
