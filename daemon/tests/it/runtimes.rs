//! Privileged test: `--add-runtime` / `--default-runtime` and `docker run --runtime`, with the
//! real CLI against `wharfd` in a namespace of the test's.

use testkit::{NetNs, Wharfd, fixtures, require_privileged};

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

fn out(d: &Wharfd, args: &[&str]) -> (bool, String, String) {
    let o = d.docker(args).expect("docker runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
#[ignore = "privileged"]
fn added_runtimes_are_listed_chosen_by_default_and_by_name() {
    require_privileged();
    let ns = NetNs::new("rt").expect("netns");
    let d = Wharfd::builder(BIN)
        .args([
            "--bridge=none",
            "--add-runtime",
            "alt=/usr/sbin/runc",
            "--default-runtime",
            "alt",
        ])
        .start(&ns)
        .expect("wharfd");
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive = fixtures::busybox()
        .expect("fixture")
        .write_docker_archive(&tmp.path().join("busybox.tar"))
        .expect("write");
    let (ok, _, err) = out(&d, &["load", "-i", archive.to_str().expect("utf-8")]);
    assert!(ok, "{err}");

    let (_, info, _) = out(
        &d,
        &[
            "info",
            "--format",
            "{{.DefaultRuntime}} {{range $k, $v := .Runtimes}}{{$k}}={{$v.Path}} {{end}}",
        ],
    );
    assert_eq!(info.trim(), "alt alt=/usr/sbin/runc runc=runc");

    // The default runtime runs containers, and is recorded in HostConfig.Runtime.
    let (ok, stdout, err) = out(
        &d,
        &[
            "run",
            "--name",
            "via-alt",
            "--network",
            "none",
            "busybox",
            "echo",
            "hi",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(stdout.trim(), "hi");
    let (_, rt, _) = out(
        &d,
        &["inspect", "--format", "{{.HostConfig.Runtime}}", "via-alt"],
    );
    assert_eq!(rt.trim(), "alt");
    let (ok, stdout, err) = out(
        &d,
        &[
            "run",
            "--rm",
            "--runtime",
            "runc",
            "--network",
            "none",
            "busybox",
            "echo",
            "ok",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(stdout.trim(), "ok");
    let (ok, _, err) = out(
        &d,
        &["run", "--rm", "--runtime", "nosuch", "busybox", "true"],
    );
    assert!(!ok);
    assert!(err.contains("Unknown runtime specified nosuch"), "{err}");
    let (ok, _, err) = out(&d, &["rm", "via-alt"]);
    assert!(ok, "{err}");
}
