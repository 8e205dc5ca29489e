//! Anonymous volumes (issue 13): the image's `VOLUME`s, `-v /dst` and `--mount type=volume`
//! without a source get volumes of their own, filled from the image when empty (not with
//! `nocopy`), and removed by `rm -v` and `--rm`.

use testkit::fixtures;

use crate::containers::Env;

fn load(env: &Env, image: &fixtures::Image, file: &str) {
    let archive = env.d.dir().join(file);
    image.write_docker_archive(&archive).expect("archive");
    env.ok(&["load", "-i", archive.to_str().expect("utf-8")]);
}

fn volumes(env: &Env) -> Vec<String> {
    env.ok(&["volume", "ls", "-q"])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
#[ignore = "privileged"]
fn image_volumes_are_anonymous_volumes_with_the_images_content() {
    let env = Env::new("anonvol", &[]);
    load(
        &env,
        &fixtures::with_volume(false).expect("fixture"),
        "vol.tar",
    );

    // The image's VOLUME: a fresh volume holding the image's /data, owner and mode kept.
    env.ok(&[
        "create",
        "--name",
        "v1",
        "volume:1",
        "sh",
        "-c",
        "stat -c '%u %a' /data/hello; cat /data/hello; echo changed > /data/hello",
    ]);
    let names = volumes(&env);
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(names[0].len(), 64, "{names:?}");
    let mounts = env.ok(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}",
        "v1",
    ]);
    assert_eq!(mounts.trim(), format!("volume {} /data", names[0]));
    let out = env.ok(&["start", "-a", "v1"]);
    assert_eq!(out, "65534 640\nhello from the image\n");
    // What the container wrote stays in the volume across runs; no second copy-up.
    let out = env.ok(&["start", "-a", "v1"]);
    assert!(out.ends_with("changed\n"), "{out}");
    // rm -v takes the anonymous volume with it.
    env.ok(&["rm", "-v", "v1"]);
    assert!(volumes(&env).is_empty());

    // A named volume is filled the same way; rm -v leaves it.
    env.ok(&[
        "run",
        "--name",
        "v2",
        "-v",
        "named:/data",
        "volume:1",
        "true",
    ]);
    env.ok(&["rm", "-v", "v2"]);
    let out = env.ok(&[
        "run", "--rm", "-v", "named:/x", "busybox", "cat", "/x/hello",
    ]);
    assert_eq!(out, "hello from the image\n");
    assert_eq!(volumes(&env), ["named"]);

    // nocopy: an empty volume.
    let out = env.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=volume,destination=/data,volume-nocopy",
        "volume:1",
        "ls",
        "-A",
        "/data",
    ]);
    assert_eq!(out, "");
    // --rm removed those anonymous volumes; -v /dst makes one too.
    assert_eq!(volumes(&env), ["named"]);
    env.ok(&[
        "run",
        "--name",
        "v3",
        "-v",
        "/scratch",
        "busybox",
        "touch",
        "/scratch/x",
    ]);
    assert_eq!(volumes(&env).len(), 2);
    // Without -v the volume outlives its container, as with dockerd.
    env.ok(&["rm", "v3"]);
    assert_eq!(volumes(&env).len(), 2);
}

#[test]
#[ignore = "privileged"]
fn a_volume_over_a_link_out_of_the_root_copies_nothing_of_the_host() {
    let env = Env::new("anonlink", &[]);
    load(
        &env,
        &fixtures::with_volume(true).expect("fixture"),
        "link.tar",
    );
    // /data is a link to /etc: the copy-up reads the image's /etc, never the host's.
    let out = env.ok(&["run", "--rm", "-v", "linked:/data", "volume-link:1", "true"]);
    assert_eq!(out, "");
    // The image's two files (and the /etc files runc mounted into the volume through the link,
    // as with dockerd), none of the host's (os-release, shadow, ...).
    let listed = env.ok(&["run", "--rm", "-v", "linked:/x", "busybox", "ls", "/x"]);
    let files: Vec<&str> = listed.lines().collect();
    let allowed = ["group", "hostname", "hosts", "passwd", "resolv.conf"];
    assert!(files.iter().all(|f| allowed.contains(f)), "{listed}");
    let passwd = env.ok(&[
        "run",
        "--rm",
        "-v",
        "linked:/x",
        "busybox",
        "cat",
        "/x/passwd",
    ]);
    assert_eq!(
        passwd.lines().count(),
        2,
        "the image's passwd, not the host's: {passwd}"
    );
}

#[test]
#[ignore = "privileged"]
fn volume_prune_takes_unused_anonymous_volumes_only() {
    let env = Env::new("anonprune", &[]);
    env.ok(&["run", "--name", "an", "-v", "/scratch", "busybox", "true"]);
    env.ok(&["volume", "create", "keep"]);
    env.ok(&["rm", "an"]);
    assert_eq!(volumes(&env).len(), 2);
    env.ok(&["volume", "prune", "-f"]);
    assert_eq!(volumes(&env), ["keep"]);
}

#[test]
#[ignore = "privileged"]
fn cp_sees_anonymous_volumes_and_volumes_from_shares_them() {
    let env = Env::new("anoncp", &[]);
    env.ok(&[
        "run",
        "--name",
        "cv",
        "-v",
        "/data",
        "busybox",
        "sh",
        "-c",
        "echo in-volume > /data/f",
    ]);
    // The volume's own file, not the volume store's directory mounted in its place.
    let dest = env.d.dir().join("f.copy");
    env.ok(&["cp", "cv:/data/f", dest.to_str().expect("utf-8")]);
    assert_eq!(
        std::fs::read_to_string(&dest).expect("copied"),
        "in-volume\n"
    );
    // A container with its volumes from `cv` sees the anonymous volume's content.
    let out = env.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "cv",
        "busybox",
        "cat",
        "/data/f",
    ]);
    assert_eq!(out.trim(), "in-volume");
}
