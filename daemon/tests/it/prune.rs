//! `docker container/image/volume/network/system prune`, `docker system df`, `ps -s` and
//! `inspect -s` through the real CLI.

use crate::containers::Env;
use crate::events::{told_since, unix_now};

/// An untagged (dangling) image: a one-file tar imported without a name. Its ID.
fn dangling_image(env: &Env) -> String {
    let dir = env.d.dir().join("imported");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("hello"), b"hello\n").expect("file");
    let tar = env.d.dir().join("imported.tar");
    let status = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&dir)
        .arg(".")
        .status()
        .expect("tar");
    assert!(status.success());
    let out = env.d.docker_ok(&["import", tar.to_str().expect("utf-8")]);
    out.trim().to_owned()
}

#[test]
#[ignore = "privileged"]
fn prunes_remove_what_is_unused_as_dockerd() {
    let env = Env::new("prune", &[]);
    let t0 = unix_now() - 1;
    let ok = |args: &[&str]| env.d.docker_ok(args);
    let image_size: i64 = ok(&["image", "inspect", "-f", "{{.Size}}", "busybox"])
        .trim()
        .parse()
        .expect("size");

    // ps -s and inspect -s: what the container wrote, and that plus its image.
    ok(&[
        "run",
        "--name",
        "p1",
        "-l",
        "keep=no",
        "busybox",
        "sh",
        "-c",
        "head -c 1000 /dev/zero > /data.bin",
    ]);
    let sizes = ok(&["inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "p1"]);
    assert_eq!(sizes.trim(), format!("1000 {}", 1000 + image_size));
    let plain = ok(&["inspect", "-f", "{{.SizeRw}}", "p1"]);
    assert_eq!(plain.trim(), "<nil>");
    let ps = ok(&["ps", "-a", "-s", "--format", "{{.Names}} {{.Size}}"]);
    assert!(ps.starts_with("p1 1kB (virtual "), "{ps}");
    ok(&["run", "-d", "--name", "p2", "busybox", "sleep", "100"]);
    ok(&["run", "--name", "p3", "-l", "keep=yes", "busybox", "true"]);
    let p1 = ok(&["inspect", "-f", "{{.Id}}", "p1"]);

    // Containers: only stopped ones, only those the filter selects.
    let out = ok(&["container", "prune", "-f", "--filter", "label=keep=no"]);
    assert_eq!(
        out,
        format!(
            "Deleted Containers:\n{}\n\nTotal reclaimed space: 1kB\n",
            p1.trim()
        )
    );
    let out = ok(&["container", "prune", "-f", "--filter", "until=1h"]);
    assert_eq!(out, "Total reclaimed space: 0B\n", "nothing is an hour old");
    ok(&["container", "prune", "-f"]);
    let left = ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(left, "p2\n");

    // Images: the dangling one goes; busybox, in use, stays even with -a.
    let dangling = dangling_image(&env);
    let out = ok(&["image", "prune", "-f"]);
    assert!(
        out.starts_with(&format!(
            "Deleted Images:\ndeleted: {dangling}\ndeleted: sha256:"
        )),
        "{out}"
    );
    assert!(out.ends_with("Total reclaimed space: 6B\n"), "{out}");
    ok(&["image", "prune", "-a", "-f"]);
    assert_eq!(ok(&["images", "--format", "{{.Repository}}"]), "busybox\n");
    ok(&["rm", "-f", "p2"]);
    let out = ok(&["image", "prune", "-a", "-f"]);
    assert!(
        out.starts_with("Deleted Images:\nuntagged: busybox:latest\ndeleted: sha256:"),
        "{out}"
    );
    assert!(ok(&["images", "-q"]).is_empty());

    // Volumes: anonymous ones by default (API 1.42 and later), every unused one with -a.
    ok(&["volume", "create", "named"]);
    ok(&[
        "volume",
        "create",
        "--label",
        "com.docker.volume.anonymous",
        "anon",
    ]);
    let out = ok(&["volume", "prune", "-f"]);
    assert_eq!(out, "Deleted Volumes:\nanon\n\nTotal reclaimed space: 0B\n");
    std::fs::write(
        format!(
            "{}/f",
            ok(&["volume", "inspect", "-f", "{{.Mountpoint}}", "named"]).trim()
        ),
        [0u8; 2048],
    )
    .expect("volume file");
    let out = ok(&["volume", "prune", "-a", "-f"]);
    assert_eq!(
        out,
        "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 2.048kB\n"
    );

    // Networks: nothing of wharf's can go; system prune composes them all.
    assert_eq!(ok(&["network", "prune", "-f"]), "");
    let out = ok(&["system", "prune", "-f"]);
    assert!(out.ends_with("Total reclaimed space: 0B\n"), "{out}");

    // Each prune told its event.
    let format = "{{.Type}} {{.Actor.Attributes.reclaimed}}";
    let events = told_since(&env.d, t0, &["--filter", "event=prune", "--format", format]);
    let lines: Vec<&str> = events.lines().collect();
    assert_eq!(lines[0], "container 1000");
    assert!(lines.contains(&"volume 2048"), "{events}");
    assert!(lines.contains(&"network 0"), "{events}");
    assert!(lines.iter().any(|l| l.starts_with("image ")), "{events}");
}

#[test]
#[ignore = "privileged"]
fn system_df_counts_images_containers_and_volumes() {
    let env = Env::new("sysdf", &[]);
    let ok = |args: &[&str]| env.d.docker_ok(args);
    ok(&[
        "run", "-d", "--name", "d1", "-v", "dv:/d", "busybox", "sleep", "100",
    ]);
    ok(&[
        "run",
        "--name",
        "d2",
        "busybox",
        "sh",
        "-c",
        "head -c 3000 /dev/zero > /x",
    ]);
    ok(&["volume", "create", "idle"]);
    let rows = ok(&[
        "system",
        "df",
        "--format",
        "{{.Type}} {{.TotalCount}} {{.Active}} {{.Reclaimable}}",
    ]);
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(
        rows[0].split(' ').take(3).collect::<Vec<_>>(),
        ["Images", "1", "1"]
    );
    assert_eq!(rows[1], "Containers 2 1 3kB (100%)");
    assert_eq!(
        rows[2].split(' ').take(3).collect::<Vec<_>>(),
        ["Local", "Volumes", "2"]
    );
    let verbose = ok(&["system", "df", "-v"]);
    assert!(verbose.contains("Images space usage:"), "{verbose}");
    let d2 = verbose
        .lines()
        .find(|l| l.ends_with(" d2"))
        .expect("d2's line");
    assert!(d2.contains("3kB"), "{d2}");
    let dv = verbose
        .lines()
        .find(|l| l.starts_with("dv "))
        .expect("dv's line");
    assert_eq!(dv.split_whitespace().collect::<Vec<_>>(), ["dv", "1", "0B"]);
    ok(&["rm", "-f", "d1"]);
}

#[test]
#[ignore = "privileged"]
fn with_vfs_size_rw_is_what_the_container_changed() {
    let env = Env::new("sizevfs", &["--storage-driver", "vfs"]);
    let ok = |args: &[&str]| env.d.docker_ok(args);
    assert_eq!(ok(&["info", "-f", "{{.Driver}}"]).trim(), "vfs");
    ok(&["create", "--name", "fresh", "busybox", "true"]);
    // A copy of the image's tree that changed nothing wrote nothing.
    let fresh = ok(&["inspect", "-s", "-f", "{{.SizeRw}}", "fresh"]);
    assert_eq!(fresh.trim(), "0");
    ok(&[
        "run",
        "--name",
        "wrote",
        "busybox",
        "sh",
        "-c",
        "head -c 1200 /dev/zero > /new.bin && rm /bin/ls",
    ]);
    let wrote = ok(&["inspect", "-s", "-f", "{{.SizeRw}}", "wrote"]);
    assert_eq!(wrote.trim(), "1200");
}
