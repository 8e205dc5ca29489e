//! Many hosts driven by a fleet tool (issue 16): three wharfd, each in a network namespace of
//! its own joined by a veth to a test bridge, each on TCP with mutual TLS; Ansible's
//! `community.docker` collection (pip `ansible`, in the venv `cargo xtask test` makes) loads an
//! image, starts a container and gathers `docker_host_info` on all three.

use std::path::Path;

use testkit::{NetNs, TestPki, Wharfd, require_privileged};

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

/// The variable that names the Ansible venv's `bin` directory (set by `cargo xtask test`).
const ANSIBLE_VAR: &str = "WHARF_ANSIBLE";

/// The test bridge's subnet: the hub is .254, engine `i` is `.i`.
const SUBNET: &str = "10.77.0";

/// One engine: its namespace and daemon (the daemon drops first).
struct Engine {
    d: Wharfd,
    _ns: NetNs,
}

/// Engine `i` in a namespace joined to `hub`'s bridge, serving `tcp://10.77.0.i:2376` with
/// mutual TLS.
fn engine(hub: &NetNs, i: u8, pki: &TestPki) -> Engine {
    let ns = NetNs::new(&format!("fleet{i}")).expect("netns");
    let hub_end = format!("fv{i}");
    hub.run(
        "ip",
        &[
            "link",
            "add",
            &hub_end,
            "type",
            "veth",
            "peer",
            "name",
            "eth1",
            "netns",
            ns.name(),
        ],
    )
    .expect("veth");
    hub.run("ip", &["link", "set", &hub_end, "master", "fbr0", "up"])
        .expect("veth on the bridge");
    let addr = format!("{SUBNET}.{i}");
    ns.run("ip", &["addr", "add", &format!("{addr}/24"), "dev", "eth1"])
        .expect("address");
    ns.run("ip", &["link", "set", "eth1", "up"]).expect("up");
    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let d = Wharfd::builder(BIN)
        .args([
            "-H".to_owned(),
            format!("tcp://{addr}:2376"),
            "--tlsverify".to_owned(),
            "--tlscacert".to_owned(),
            path(&pki.ca_cert),
            "--tlscert".to_owned(),
            path(&pki.server_cert),
            "--tlskey".to_owned(),
            path(&pki.server_key),
        ])
        .start(&ns)
        .expect("wharfd starts");
    Engine { d, _ns: ns }
}

#[test]
#[ignore = "privileged"]
fn ansible_community_docker_drives_three_engines_over_mutual_tls() {
    require_privileged();
    let ansible = std::env::var(ANSIBLE_VAR)
        .unwrap_or_else(|_| panic!("{ANSIBLE_VAR} is not set: run with `cargo xtask test`"));
    let hub = NetNs::new("fleethub").expect("hub netns");
    hub.run("ip", &["link", "add", "fbr0", "type", "bridge"])
        .expect("bridge");
    hub.run(
        "ip",
        &["addr", "add", &format!("{SUBNET}.254/24"), "dev", "fbr0"],
    )
    .expect("bridge address");
    hub.run("ip", &["link", "set", "fbr0", "up"]).expect("up");
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::create(dir.path()).expect("pki");
    let engines: Vec<Engine> = (1..=3).map(|i| engine(&hub, i, &pki)).collect();

    let archive = dir.path().join("busybox.tar");
    testkit::fixtures::busybox()
        .expect("busybox fixture")
        .write_docker_archive(&archive)
        .expect("write fixture");
    let hosts: String = (1..=3)
        .map(|i| format!("    e{i}:\n      docker_host: tcp://{SUBNET}.{i}:2376\n"))
        .collect();
    let inventory = dir.path().join("inventory.yml");
    std::fs::write(
        &inventory,
        format!("engines:\n  hosts:\n{hosts}  vars:\n    ansible_connection: local\n"),
    )
    .expect("inventory");
    let playbook = dir.path().join("fleet.yml");
    std::fs::write(
        &playbook,
        format!(
            r#"- hosts: engines
  gather_facts: false
  module_defaults:
    group/community.docker.docker:
      docker_host: "{{{{ docker_host }}}}"
      tls: true
      validate_certs: true
      tls_hostname: localhost
      ca_path: {ca}
      client_cert: {cert}
      client_key: {key}
  tasks:
    - name: load busybox
      community.docker.docker_image_load:
        path: {archive}
    - name: start a container
      community.docker.docker_container:
        name: fleet
        image: busybox:latest
        command: ["sleep", "1000"]
        state: started
    - name: gather the engine's facts
      community.docker.docker_host_info:
      register: info
    - name: show them
      ansible.builtin.debug:
        msg: "engine {{{{ inventory_hostname }}}} runs {{{{ info.host_info.ContainersRunning }}}} on {{{{ info.host_info.OSType }}}}"
"#,
            ca = pki.ca_cert.display(),
            cert = pki.client_cert.display(),
            key = pki.client_key.display(),
            archive = archive.display(),
        ),
    )
    .expect("playbook");
    let python = Path::new(&ansible).join("python");
    let out = hub
        .command(
            Path::new(&ansible)
                .join("ansible-playbook")
                .to_str()
                .expect("utf-8"),
            &[
                "-i",
                inventory.to_str().expect("utf-8"),
                playbook.to_str().expect("utf-8"),
            ],
        )
        .env("ANSIBLE_HOME", dir.path().join("ansible"))
        .env("ANSIBLE_LOCAL_TEMP", dir.path().join("ansible-tmp"))
        .env("ANSIBLE_PYTHON_INTERPRETER", &python)
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("LANG", "C.UTF-8")
        // requests would let these win over the module's CA.
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .env_remove("DOCKER_HOST")
        .output()
        .expect("ansible-playbook runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let logs: String = engines.iter().map(|e| e.d.log()).collect();
    assert!(
        out.status.success(),
        "{}{}\n--- wharfd logs:\n{logs}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    for i in 1..=3 {
        assert!(
            stdout.contains(&format!("engine e{i} runs 1 on linux")),
            "{stdout}"
        );
    }
    for e in &engines {
        let ps =
            e.d.docker_ok(&["ps", "--format", "{{.Names}} {{.Image}} {{.State}}"]);
        assert_eq!(ps.trim(), "fleet busybox:latest running");
        e.d.docker_ok(&["rm", "-f", "fleet"]);
    }
}
