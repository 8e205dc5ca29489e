//! `--mount` options beyond source and target (issue 13): read-only binds recursive where the
//! kernel allows (`bind-recursive=`), non-recursive binds, `volume-subpath`, `volume-label`,
//! and `volume-opt`.

use std::path::{Path, PathBuf};

use crate::containers::Env;

/// A tmpfs mounted on a directory of the test's temp dir, unmounted when dropped.
struct TmpfsOn(PathBuf);

impl TmpfsOn {
    fn mount(path: &Path) -> TmpfsOn {
        std::fs::create_dir_all(path).expect("mount point");
        nix::mount::mount(
            Some("tmpfs"),
            path,
            Some("tmpfs"),
            nix::mount::MsFlags::empty(),
            Some("size=1m"),
        )
        .expect("tmpfs");
        TmpfsOn(path.to_owned())
    }
}

impl Drop for TmpfsOn {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
    }
}

#[test]
#[ignore = "privileged"]
fn bind_recursion_and_volume_options() {
    let env = Env::new("mountopts", &[]);
    let host = env.d.dir().join("tree");
    let _sub = TmpfsOn::mount(&host.join("sub"));
    let bind = |extra: &str| format!("type=bind,src={},dst=/x{extra}", host.display());
    // Read-only reaches the mount below the bind (rro) ...
    let err = env.fails(&[
        "run",
        "--rm",
        "--mount",
        &bind(",readonly"),
        "busybox",
        "touch",
        "/x/sub/f",
    ]);
    assert!(err.contains("Read-only file system"), "{err}");
    // ... unless asked not to: then only the bind itself is read-only.
    let writable = bind(",readonly,bind-recursive=writable");
    env.ok(&[
        "run", "--rm", "--mount", &writable, "busybox", "touch", "/x/sub/f",
    ]);
    let err = env.fails(&[
        "run", "--rm", "--mount", &writable, "busybox", "touch", "/x/g",
    ]);
    assert!(err.contains("Read-only file system"), "{err}");
    let forced = bind(",readonly,bind-recursive=readonly,bind-propagation=rprivate");
    let err = env.fails(&[
        "run", "--rm", "--mount", &forced, "busybox", "touch", "/x/sub/h",
    ]);
    assert!(err.contains("Read-only file system"), "{err}");
    // A non-recursive bind does not bring the tmpfs: its file is not there.
    let out = env.ok(&[
        "run",
        "--rm",
        "--mount",
        &bind(",bind-recursive=disabled"),
        "busybox",
        "ls",
        "/x/sub",
    ]);
    assert_eq!(out.trim(), "");
    let out = env.ok(&[
        "run",
        "--rm",
        "--mount",
        &bind(""),
        "busybox",
        "ls",
        "/x/sub",
    ]);
    assert_eq!(out.trim(), "f");

    // A directory inside a volume; a link in it never leads out of the volume.
    env.ok(&[
        "run",
        "--rm",
        "-v",
        "vol:/v",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /v/a/b && echo deep > /v/a/b/f && ln -s / /v/escape && ln -s ../../.. /v/up",
    ]);
    let sub = |p: &str| format!("type=volume,src=vol,dst=/m,volume-subpath={p}");
    let out = env.ok(&[
        "run",
        "--rm",
        "--mount",
        &sub("a/b"),
        "busybox",
        "cat",
        "/m/f",
    ]);
    assert_eq!(out.trim(), "deep");
    for link in ["escape", "up"] {
        let out = env.ok(&["run", "--rm", "--mount", &sub(link), "busybox", "ls", "/m"]);
        let names: Vec<&str> = out.lines().collect();
        assert_eq!(
            names,
            ["a", "escape", "up"],
            "{link} resolved outside the volume"
        );
    }
    let err = env.fails(&["run", "--rm", "--mount", &sub("nosuch"), "busybox", "true"]);
    assert!(err.contains("cannot access volume subpath"), "{err}");
    let err = env.fails(&["create", "--mount", &sub("../x"), "busybox"]);
    assert!(
        err.contains("must be relative and stay inside the volume"),
        "{err}"
    );

    // Labels given to the volume the mount creates.
    env.ok(&[
        "create",
        "--mount",
        "type=volume,src=labelled,dst=/l,volume-label=team=blue",
        "busybox",
    ]);
    let label = env.ok(&["volume", "inspect", "-f", "{{.Labels.team}}", "labelled"]);
    assert_eq!(label.trim(), "blue");
    // Driver options make the new volume a mount of a device.
    let out = env.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=volume,src=fresh,dst=/n,volume-opt=type=tmpfs,volume-opt=device=tmpfs",
        "busybox",
        "grep",
        " /n ",
        "/proc/mounts",
    ]);
    assert!(out.starts_with("tmpfs /n tmpfs"), "{out}");
    let err = env.fails(&[
        "create",
        "--mount",
        "type=volume,src=half,dst=/n,volume-opt=type=tmpfs",
        "busybox",
    ]);
    assert!(err.contains("missing required option: \"device\""), "{err}");
}
