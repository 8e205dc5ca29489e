//! `--volumes-from` (issue 13): another container's volumes and binds, with `:ro`/`:rw`.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn volumes_from_another_container() {
    let env = Env::new("volfrom", &[]);
    env.ok(&[
        "run",
        "-d",
        "--name",
        "donor",
        "-v",
        "data:/data",
        "-v",
        "/anon",
        "busybox",
        "sleep",
        "1000",
    ]);
    env.ok(&[
        "exec",
        "donor",
        "sh",
        "-c",
        "echo named > /data/x; echo anon > /anon/y",
    ]);
    let out = env.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "donor",
        "busybox",
        "sh",
        "-c",
        "cat /data/x /anon/y; echo more > /anon/z",
    ]);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["named", "anon"]);
    assert_eq!(env.ok(&["exec", "donor", "cat", "/anon/z"]).trim(), "more");
    // `:ro` makes every mount read-only.
    let err = env.fails(&[
        "run",
        "--rm",
        "--volumes-from",
        "donor:ro",
        "busybox",
        "touch",
        "/data/new",
    ]);
    assert!(err.contains("Read-only file system"), "{err}");
    // A container's own mount wins at the same destination.
    let out = env.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "donor",
        "-v",
        "other:/data",
        "busybox",
        "ls",
        "/data",
    ]);
    assert_eq!(out.trim(), "");
    // Inspect shows what came from the donor; the mounts stay when the donor is gone.
    env.ok(&[
        "create",
        "--name",
        "taker",
        "--volumes-from",
        "donor",
        "busybox",
        "cat",
        "/data/x",
    ]);
    let mounts = env.ok(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Destination}}={{.Name}} {{end}}",
        "taker",
    ]);
    assert!(mounts.contains("/data=data"), "{mounts}");
    assert!(mounts.contains("/anon="), "{mounts}");
    env.ok(&["rm", "-f", "donor"]);
    assert_eq!(env.ok(&["start", "-a", "taker"]).trim(), "named");
    let err = env.fails(&["volume", "rm", "data"]);
    assert!(err.contains("volume is in use"), "{err}");

    // dockerd's refusals, as 400s (the CLI does not try to pull).
    let err = env.fails(&["run", "--rm", "--volumes-from", "nosuch", "busybox", "true"]);
    assert!(err.contains("No such container: nosuch"), "{err}");
    assert!(!err.contains("Unable to find image"), "{err}");
    let err = env.fails(&["create", "--volumes-from", "taker:bogus", "busybox"]);
    assert!(err.contains("invalid mode: bogus"), "{err}");
}
