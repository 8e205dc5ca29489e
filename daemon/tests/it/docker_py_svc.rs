//! docker-py 7.2 over TCP with mutual TLS (`docker.tls.TLSConfig`), as fleet tools built on it
//! (Ansible's `community.docker`) connect to a remote engine.

use testkit::{DOCKER_PY_VAR, NetNs, TestPki, require_privileged};

use crate::service::tls_daemon;

/// Runs `script` with docker-py inside `ns` (where the daemon's 127.0.0.1 is).
fn docker_py_in(ns: &NetNs, script: &str) -> std::process::Output {
    let python = std::env::var(DOCKER_PY_VAR)
        .unwrap_or_else(|_| panic!("{DOCKER_PY_VAR} is not set: run with `cargo xtask test`"));
    ns.command(&python, &["-c", script])
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        // requests lets these win over the session's CA (`TLSConfig`'s `ca_cert`).
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .expect("docker-py runs")
}

/// `TLSConfig` with the client's certificate: version, a container's output, and an exec
/// (a hijacked connection) over TLS; without the certificate the client is refused.
#[test]
#[ignore = "privileged"]
fn docker_py_connects_with_tls_config_and_only_with_a_client_certificate() {
    require_privileged();
    let ns = NetNs::new("dpytls").expect("netns");
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::create(dir.path()).expect("pki");
    let d = tls_daemon(&ns, &pki);
    let script = format!(
        r#"
import docker
tls = docker.tls.TLSConfig(client_cert=("{cert}", "{key}"), ca_cert="{ca}", verify=True)
c = docker.DockerClient(base_url="https://127.0.0.1:2376", tls=tls)
print(c.version()["ApiVersion"])
print(c.containers.run("busybox", ["echo", "py over tls"], remove=True).decode().strip())
ctr = c.containers.run("busybox", ["sleep", "100"], detach=True)
code, out = ctr.exec_run(["sh", "-c", "echo exec over tls"])
print(code, out.decode().strip())
ctr.remove(force=True)
"#,
        cert = pki.client_cert.display(),
        key = pki.client_key.display(),
        ca = pki.ca_cert.display(),
    );
    let out = docker_py_in(&ns, &script);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        out.status.success(),
        "{}{}\n{}",
        text(&out.stdout),
        text(&out.stderr),
        d.log()
    );
    assert_eq!(text(&out.stdout), "1.47\npy over tls\n0 exec over tls\n");

    let script = format!(
        r#"
import docker
tls = docker.tls.TLSConfig(ca_cert="{ca}", verify=True)
try:
    docker.DockerClient(base_url="https://127.0.0.1:2376", tls=tls).version()
except docker.errors.DockerException as e:
    print("refused:", "CERTIFICATE_REQUIRED" in str(e))
else:
    print("got in")
"#,
        ca = pki.ca_cert.display(),
    );
    let out = docker_py_in(&ns, &script);
    // At the handshake: TLS 1.3's "certificate required" alert.
    assert_eq!(
        text(&out.stdout),
        "refused: True\n",
        "{}",
        text(&out.stderr)
    );
}
