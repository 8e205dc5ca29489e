//! Privileged tests of what create refuses (issue 10.5): through the real API, every value
//! dockerd refuses at create is a 400 with dockerd's message and leaves nothing behind, and a
//! container with edge values dockerd accepts is created and runs.

use serde_json::{Value, json};

use crate::api_env::Env;

/// `fields` merged into a create body for busybox running `true`.
fn body(fields: Value) -> Value {
    let mut b = json!({"Image": "busybox", "Cmd": ["true"]});
    for (k, v) in fields.as_object().expect("fields") {
        b[k] = v.clone();
    }
    b
}

/// Every value dockerd refuses at create (the examples first), with its message; the
/// ones that depend on what the host supports only where it does.
fn refused(host: &hostcheck::Facts) -> Vec<(Value, String)> {
    let l = &host.limits;
    let ncpu = host.ncpu;
    let mut rows: Vec<(Value, String)> = vec![
        (
            json!({"HostConfig": {"Memory": 1}}),
            "Minimum memory limit allowed is 6MB".into(),
        ),
        (
            json!({"HostConfig": {"Memory": -1}}),
            "Minimum memory limit allowed is 6MB".into(),
        ),
        (
            json!({"Env": ["=x"]}),
            "invalid environment variable: =x".into(),
        ),
        (
            json!({"WorkingDir": "rel"}),
            "the working directory 'rel' is invalid, it needs to be an absolute path".into(),
        ),
        (
            json!({"HostConfig": {"ShmSize": -1}}),
            "SHM size can not be less than 0".into(),
        ),
        (
            json!({"HostConfig": {"OomScoreAdj": -5000}}),
            "Invalid value -5000, range for oom score adj is [-1000, 1000]".into(),
        ),
        (
            json!({"HostConfig": {"NanoCpus": -1}}),
            format!(
                "Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs available"
            ),
        ),
        (
            json!({"HostConfig": {"ExtraHosts": ["bad"]}}),
            "bad format for add-host: \"bad\"".into(),
        ),
        (
            json!({"StopSignal": "SIGBOGUS"}),
            "invalid signal: SIGBOGUS".into(),
        ),
        // A sample of the other checks, in the order dockerd makes them.
        (
            json!({"Hostname": "h", "HostConfig": {"NetworkMode": "container:x"}}),
            "conflicting options: hostname and the network mode".into(),
        ),
        (
            json!({"HostConfig": {"Isolation": "hyperv"}}),
            "Invalid isolation: \"hyperv\" - linux only supports 'default'".into(),
        ),
        (
            json!({"HostConfig": {"IOMaximumBandwidth": 1}}),
            "Invalid QoS settings: linux does not support configuration of maximum bandwidth"
                .into(),
        ),
        (
            json!({"Healthcheck": {"Retries": -1}}),
            "Retries in Healthcheck cannot be negative".into(),
        ),
        (
            json!({"HostConfig": {"AutoRemove": true, "RestartPolicy": {"Name": "always"}}}),
            "can't create 'AutoRemove' container with restart policy".into(),
        ),
        (
            json!({"HostConfig": {"Mounts": [{"Type": "bind", "Source": "/nonexistent/wharf", "Target": "/x"}]}}),
            "invalid mount config for type \"bind\": bind source path does not exist: \
             /nonexistent/wharf"
                .into(),
        ),
        (
            json!({"HostConfig": {"ExtraHosts": ["a:01.2.3.4"]}}),
            "invalid IP address in add-host: \"01.2.3.4\"".into(),
        ),
        (
            json!({"HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": "81-80"}]}}}),
            "invalid port specification: \"81-80\"".into(),
        ),
        (
            json!({"HostConfig": {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 2}}}),
            "maximum retry count cannot be used with restart policy 'always'".into(),
        ),
        (
            json!({"HostConfig": {"RestartPolicy": {"Name": "sometimes"}}}),
            "invalid restart policy 'sometimes'".into(),
        ),
        (
            json!({"HostConfig": {"CapAdd": ["FOO"]}}),
            "invalid CapAdd: unknown capability: \"CAP_FOO\"".into(),
        ),
        (
            json!({"HostConfig": {"MemorySwap": 20_000_000}}),
            "You should always set the Memory limit when using Memoryswap limit, see usage".into(),
        ),
        (
            json!({"HostConfig": {"MemoryReservation": 1}}),
            "Minimum memory reservation allowed is 6MB".into(),
        ),
        (
            json!({"HostConfig": {"CpusetCpus": "1-0"}}),
            "Invalid value 1-0 for cpuset cpus: invalid format: 1-0".into(),
        ),
        (
            json!({"HostConfig": {"Runtime": "bogus"}}),
            "Unknown runtime specified bogus".into(),
        ),
        (
            json!({"HostConfig": {"Tmpfs": {"rel": ""}}}),
            "invalid mount path: 'rel' mount path must be absolute".into(),
        ),
        (
            json!({"HostConfig": {"CgroupnsMode": "bogus"}}),
            "invalid cgroup namespace mode: bogus".into(),
        ),
        (
            json!({"NetworkingConfig": {"EndpointsConfig": {"a": {}, "b": {}}}}),
            "Container cannot be connected to network endpoints: a, b".into(),
        ),
        // Before the name, the image and the command are looked at.
        (
            json!({"Image": "nosuchimage", "HostConfig": {"Memory": 1}}),
            "Minimum memory limit allowed is 6MB".into(),
        ),
    ];
    if l.memory && l.swap {
        rows.push((
            json!({"HostConfig": {"Memory": 10_000_000, "MemorySwap": 5_000_000}}),
            "Minimum memoryswap limit should be larger than memory limit, see usage".into(),
        ));
    }
    if l.cpu_cfs {
        rows.extend([
            (
                json!({"HostConfig": {"CpuQuota": 1}}),
                "CPU cfs quota can not be less than 1ms (i.e. 1000)".into(),
            ),
            (
                json!({"HostConfig": {"CpuPeriod": 1}}),
                "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. \
                 1000000)"
                    .into(),
            ),
            (
                json!({"HostConfig": {"NanoCpus": (ncpu as i64 + 1) * 1_000_000_000}}),
                format!(
                    "Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs \
                     available"
                ),
            ),
        ]);
    }
    if l.kernel_memory {
        // runc ignores it: refused rather than accepted without effect.
        rows.push((
            json!({"HostConfig": {"KernelMemory": 10_485_760}}),
            "Kernel memory limit is not supported: the runtime ignores kernel memory limits \
             (deprecated by Linux since 5.4); use --memory instead"
                .into(),
        ));
    }
    rows.push((
        json!({"HostConfig": {"UsernsMode": "private"}}),
        "invalid user namespace mode: private (only \"host\" is supported: the daemon has no \
         --userns-remap)"
            .into(),
    ));
    if l.memory_swappiness {
        rows.push((
            json!({"HostConfig": {"MemorySwappiness": 500}}),
            "Invalid value: 500, valid memory swappiness range is 0-100".into(),
        ));
    }
    if l.cpuset {
        rows.push((
            json!({"HostConfig": {"CpusetCpus": "999"}}),
            format!(
                "Requested CPUs are not available - requested 999, available: {}",
                l.cpus
            ),
        ));
    }
    rows
}

/// Every refused value is a 400 in dockerd's words, through the API and the CLI, and none
/// leaves a container (or a name) behind.
#[test]
#[ignore = "privileged"]
fn refused_values_are_bad_requests_in_dockerds_words() {
    let env = Env::new("refuse");
    let host = hostcheck::Probe::live().run().facts;
    for (fields, message) in refused(&host) {
        let b = body(fields);
        let r = env.request("POST", "/containers/create?name=refused", Some(&b));
        assert_eq!(r.status, 400, "{b}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"), "{b}");
        assert_eq!(r.json().expect("json")["message"], message.as_str(), "{b}");
    }
    // The CLI shows the message as dockerd's.
    let out = env
        .d
        .docker(&["create", "--memory", "1b", "busybox", "true"])
        .expect("docker runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("Error response from daemon: Minimum memory limit allowed is 6MB"),
        "{err}"
    );
    assert_eq!(env.d.docker_ok(&["ps", "-aq"]), "");
    let left: Vec<_> = std::fs::read_dir(env.d.paths.data_root.join("containers"))
        .expect("containers dir")
        .collect();
    assert!(left.is_empty(), "container directories left: {left:?}");
    // The name was never taken.
    env.create_warned(&body(json!({})));
}

/// Edge values dockerd accepts: the container is created (with dockerd's recorded defaults)
/// and runs.
#[test]
#[ignore = "privileged"]
fn edge_values_are_accepted_and_run() {
    let env = Env::new("edges");
    let host = hostcheck::Probe::live().run().facts;
    let hostname = format!("h{}", "0123456789".repeat(7))[..64].to_owned();
    let mut hc = json!({
        "Memory": 6_291_456,
        "MemorySwap": -1,
        "MemoryReservation": 6_291_456,
        "MemorySwappiness": 100,
        "OomScoreAdj": 1000,
        "ShmSize": 0,
        "PidsLimit": 100,
        "CpuShares": 2,
        "KernelMemory": -1,
        "ExtraHosts": ["a:1.2.3.4", "b:::1", "c: 10.0.0.1 "],
        "PortBindings": {"80/tcp": [{"HostPort": ""}]},
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "CapAdd": ["ALL"],
        "Isolation": "default",
        "Tmpfs": {},
        "CgroupnsMode": "host",
    });
    if host.limits.cpu_cfs {
        hc["NanoCpus"] = json!(100_000_000);
    }
    if host.limits.cpuset {
        hc["CpusetCpus"] = json!(host.limits.cpus.clone());
        hc["CpusetMems"] = json!(host.limits.mems.clone());
    }
    let (id, warnings) = env.create_warned(&body(json!({
        "Cmd": ["sh", "-c", "test \"$(hostname)\" = \"$0\" && grep -q 1.2.3.4 /etc/hosts && pwd", hostname],
        "Hostname": hostname,
        "WorkingDir": "/",
        "Env": ["A", "B="],
        "StopSignal": "SIGRTMIN+15",
        "Healthcheck": {"Interval": 1_000_000, "Retries": 0},
        "HostConfig": hc,
    })));
    // Only what wharf itself does not do yet is warned about.
    assert!(
        warnings
            .iter()
            .all(|w| w.ends_with("is not supported by wharf and was ignored")),
        "{warnings:?}"
    );
    assert_eq!(env.run(&id), 0, "{}", env.d.log());
    assert_eq!(env.d.docker_ok(&["logs", &id]), "/\n");

    // What dockerd records: swap twice the memory (where swap is accounted), the OOM killer
    // on, swappiness -1 as none.
    let (id, _) = env.create_warned(&body(json!({
        "HostConfig": {"Memory": 16_777_216, "MemorySwappiness": -1},
    })));
    let r = env.request("GET", &format!("/containers/{id}/json"), None);
    let hc = &r.json().expect("json")["HostConfig"];
    let swap = if host.limits.swap { 33_554_432 } else { -1 };
    assert_eq!(hc["MemorySwap"], swap, "{hc}");
    assert_eq!(hc["OomKillDisable"], false);
    assert_eq!(hc["MemorySwappiness"], Value::Null);
    assert_eq!(env.run(&id), 0, "{}", env.d.log());
}

/// A hostname longer than the kernel's 64 bytes is accepted at create and fails at start, as
/// with dockerd (its runtime's `sethostname` refuses it).
#[test]
#[ignore = "privileged"]
fn an_overlong_hostname_fails_at_start_as_with_dockerd() {
    let env = Env::new("hostname");
    let (id, _) = env.create_warned(&body(json!({"Hostname": "h".repeat(300)})));
    let r = env.request("POST", &format!("/containers/{id}/start"), None);
    assert_eq!(r.status, 500, "{}", r.text());
    let message = r.json().expect("json")["message"].to_string();
    assert!(
        message.contains("sethostname: invalid argument"),
        "{message}"
    );
}
