//! One row per refused value with dockerd's message, the warnings of limits a host lacks, and
//! the edge values dockerd accepts. Every message of a row marked (peer) was read from the
//! reference dockerd 20.10 answering the same body on a host like [`reference_host`].

use api::types::ContainerCreateRequest;

use super::*;

/// The reference machine: cgroup v1 with every limit but the block IO weights, two CPUs, one
/// memory node, kernel 6.x knowing 41 capabilities, forwarding on, a bridge.
fn reference_host() -> HostFacts {
    HostFacts {
        limits: hostcheck::Limits {
            memory: true,
            swap: true,
            memory_reservation: true,
            oom_kill_disable: true,
            memory_swappiness: true,
            kernel_memory: true,
            kernel_memory_tcp: true,
            cpu_shares: true,
            cpu_cfs: true,
            cpu_realtime: true,
            cpuset: true,
            cpus: "0-1".into(),
            mems: "0".into(),
            pids: true,
            blkio_weight: false,
            blkio_weight_device: false,
            blkio_read_bps: true,
            blkio_write_bps: true,
            blkio_read_iops: true,
            blkio_write_iops: true,
            cgroup_namespaces: true,
        },
        ncpu: 2,
        cap_last_cap: Some(40),
        cgroup_v2: false,
        ipv4_forwarding: true,
        default_is_bridge: true,
    }
}

/// A cgroup v2 host: no swappiness, kernel memory, OOM-killer switch or real-time CPU.
fn v2_host() -> HostFacts {
    let mut facts = reference_host();
    let l = &mut facts.limits;
    (l.oom_kill_disable, l.memory_swappiness, l.kernel_memory) = (false, false, false);
    (l.kernel_memory_tcp, l.cpu_realtime) = (false, false);
    (l.blkio_weight, l.blkio_weight_device) = (true, true);
    facts.cgroup_v2 = true;
    facts
}

/// `verify` on a create body given as JSON (with `Image` and `Cmd` added), as create calls it.
fn run(body: &str, facts: &HostFacts) -> (Result<Vec<String>, Error>, HostConfig) {
    let mut value: serde_json::Value = serde_json::from_str(body).expect("json");
    value["Image"] = "busybox".into();
    value["Cmd"] = serde_json::json!(["true"]);
    let req: ContainerCreateRequest = serde_json::from_value(value).expect("request");
    let mut hc = req.host_config;
    if hc.runtime.is_empty() {
        hc.runtime = "runc".into();
    }
    let known = |rt: &str| rt == "runc";
    let out = verify(&req.config, &mut hc, &req.networking_config, facts, &known);
    (out, hc)
}

fn refusal(body: &str, facts: &HostFacts) -> String {
    match run(body, facts).0 {
        Ok(w) => panic!("{body}: accepted (warnings {w:?})"),
        Err(e) => {
            let e = api::Error::from(e);
            assert_eq!(e.kind, api::ErrorKind::InvalidParameter, "{body}");
            e.message
        }
    }
}

fn warnings(body: &str, facts: &HostFacts) -> Vec<String> {
    run(body, facts)
        .0
        .unwrap_or_else(|e| panic!("{body}: refused: {e}"))
}

#[test]
fn refused_values_get_dockerds_messages() {
    let long_period = r#""HostConfig":{"CpuRealtimePeriod":1000,"CpuRealtimeRuntime":2000}"#;
    let rows: &[(&str, &str)] = &[
        // The router's decode checks (peer: 500 there, 400 here).
        (
            r#""HostConfig":{"NetworkMode":"container:"}"#,
            "Invalid network mode: invalid container format container:<name|id>",
        ),
        (
            r#""HostConfig":{"NetworkMode":"container"}"#,
            "Invalid network mode: invalid container format container:<name|id>",
        ),
        (
            r#""Hostname":"h","HostConfig":{"NetworkMode":"container:x"}"#,
            "conflicting options: hostname and the network mode",
        ),
        (
            r#""HostConfig":{"NetworkMode":"container:x","Links":["a:b"]}"#,
            "conflicting options: container type network can't be used with links. This would \
             result in undefined behavior",
        ),
        (
            r#""HostConfig":{"NetworkMode":"container:x","Dns":["1.1.1.1"]}"#,
            "conflicting options: dns and the network mode",
        ),
        (
            r#""HostConfig":{"NetworkMode":"container:x","ExtraHosts":["a:1.1.1.1"]}"#,
            "conflicting options: custom host-to-IP mapping and the network mode",
        ),
        (
            r#""MacAddress":"02:42:ac:11:00:02","HostConfig":{"NetworkMode":"host"}"#,
            "conflicting options: mac-address and the network mode",
        ),
        (
            r#""HostConfig":{"NetworkMode":"container:x","PublishAllPorts":true}"#,
            "conflicting options: port publishing and the container type network mode",
        ),
        (
            r#""ExposedPorts":{"80/tcp":{}},"HostConfig":{"NetworkMode":"container:x"}"#,
            "conflicting options: port exposing and the container type network mode",
        ),
        (
            r#""Hostname":"h","HostConfig":{"UTSMode":"host"}"#,
            "conflicting options: hostname and the UTS mode",
        ),
        (
            r#""HostConfig":{"NetworkMode":"host","Links":["a:b"]}"#,
            "conflicting options: host type networking can't be used with links. This would \
             result in undefined behavior",
        ),
        (
            r#""HostConfig":{"Isolation":"hyperv"}"#,
            "Invalid isolation: \"hyperv\" - linux only supports 'default'",
        ),
        (
            r#""HostConfig":{"IOMaximumBandwidth":1}"#,
            "Invalid QoS settings: linux does not support configuration of maximum bandwidth",
        ),
        (
            r#""HostConfig":{"IOMaximumIOps":1}"#,
            "Invalid QoS settings: linux does not support configuration of maximum IOPs",
        ),
        (
            long_period,
            "cpu real-time runtime cannot be higher than cpu real-time period",
        ),
        // validateContainerConfig.
        (
            r#""WorkingDir":"rel""#,
            "the working directory 'rel' is invalid, it needs to be an absolute path",
        ),
        (r#""StopSignal":"SIGBOGUS""#, "invalid signal: SIGBOGUS"),
        (r#""StopSignal":"0""#, "invalid signal: 0"),
        (r#""StopSignal":"RTMIN+16""#, "invalid signal: RTMIN+16"),
        (r#""Env":["=x"]"#, "invalid environment variable: =x"),
        (r#""Env":["A=1",""]"#, "invalid environment variable: "),
        (
            r#""Healthcheck":{"Interval":1}"#,
            "Interval in Healthcheck cannot be less than 1ms",
        ),
        (
            r#""Healthcheck":{"Interval":-5}"#,
            "Interval in Healthcheck cannot be less than 1ms",
        ),
        (
            r#""Healthcheck":{"Timeout":999999}"#,
            "Timeout in Healthcheck cannot be less than 1ms",
        ),
        (
            r#""Healthcheck":{"Retries":-1}"#,
            "Retries in Healthcheck cannot be negative",
        ),
        (
            r#""Healthcheck":{"StartPeriod":1}"#,
            "StartPeriod in Healthcheck cannot be less than 1ms",
        ),
        // validateHostConfig.
        (
            r#""HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}"#,
            "can't create 'AutoRemove' container with restart policy",
        ),
        (
            r#""HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"sometimes"}}"#,
            "can't create 'AutoRemove' container with restart policy",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"bind","Source":"rel","Target":"/x"}]}"#,
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must \
             be absolute",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"bind","Source":"/nonexistent/wharf","Target":"/x"}]}"#,
            "invalid mount config for type \"bind\": bind source path does not exist: \
             /nonexistent/wharf",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["bad"]}"#,
            "bad format for add-host: \"bad\"",
        ),
        (
            r#""HostConfig":{"ExtraHosts":[":1.2.3.4"]}"#,
            "bad format for add-host: \":1.2.3.4\"",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["a:"]}"#,
            "invalid IP address in add-host: \"\"",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["a:01.2.3.4"]}"#,
            "invalid IP address in add-host: \"01.2.3.4\"",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["a:fe80::1%eth0"]}"#,
            "invalid IP address in add-host: \"fe80::1%eth0\"",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["a:[::1]"]}"#,
            "invalid IP address in add-host: \"[::1]\"",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["a:b:1.2.3.4"]}"#,
            "invalid IP address in add-host: \"b:1.2.3.4\"",
        ),
        (
            r#""HostConfig":{"PortBindings":{"abc/tcp":[{"HostPort":"80"}]}}"#,
            "invalid port specification: \"abc\"",
        ),
        (
            r#""HostConfig":{"PortBindings":{"70000/tcp":[]}}"#,
            "invalid port specification: \"70000\"",
        ),
        (
            r#""HostConfig":{"PortBindings":{"80-81/tcp":[]}}"#,
            "invalid port specification: \"80-81\"",
        ),
        (
            r#""HostConfig":{"PortBindings":{"+80/tcp":[]}}"#,
            "invalid port specification: \"+80\"",
        ),
        (
            r#""HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"abc"}]}}"#,
            "invalid port specification: \"abc\"",
        ),
        (
            r#""HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"81-80"}]}}"#,
            "invalid port specification: \"81-80\"",
        ),
        (
            r#""HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":2}}"#,
            "maximum retry count cannot be used with restart policy 'always'",
        ),
        (
            r#""HostConfig":{"RestartPolicy":{"Name":"no","MaximumRetryCount":2}}"#,
            "maximum retry count cannot be used with restart policy 'no'",
        ),
        (
            r#""HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1}}"#,
            "maximum retry count cannot be negative",
        ),
        (
            r#""HostConfig":{"RestartPolicy":{"Name":"sometimes"}}"#,
            "invalid restart policy 'sometimes'",
        ),
        (
            r#""HostConfig":{"CapAdd":["FOO"]}"#,
            "invalid CapAdd: unknown capability: \"CAP_FOO\"",
        ),
        (
            r#""HostConfig":{"CapAdd":["bpf"]}"#,
            "invalid CapAdd: unknown capability: \"CAP_BPF\"",
        ),
        (
            r#""HostConfig":{"CapDrop":["cap_foo"]}"#,
            "invalid CapDrop: unknown capability: \"CAP_FOO\"",
        ),
        // verifyPlatformContainerResources.
        (
            r#""HostConfig":{"Memory":1}"#,
            "Minimum memory limit allowed is 6MB",
        ),
        (
            r#""HostConfig":{"Memory":-1}"#,
            "Minimum memory limit allowed is 6MB",
        ),
        (
            r#""HostConfig":{"Memory":6291455}"#,
            "Minimum memory limit allowed is 6MB",
        ),
        (
            r#""HostConfig":{"Memory":10000000,"MemorySwap":5000000}"#,
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ),
        (
            r#""HostConfig":{"MemorySwap":20000000}"#,
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        ),
        (
            r#""HostConfig":{"MemorySwappiness":500}"#,
            "Invalid value: 500, valid memory swappiness range is 0-100",
        ),
        (
            r#""HostConfig":{"MemorySwappiness":-2}"#,
            "Invalid value: -2, valid memory swappiness range is 0-100",
        ),
        (
            r#""HostConfig":{"MemoryReservation":1}"#,
            "Minimum memory reservation allowed is 6MB",
        ),
        (
            r#""HostConfig":{"Memory":10000000,"MemoryReservation":20000000}"#,
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        ),
        (
            r#""HostConfig":{"KernelMemory":1}"#,
            "Minimum kernel memory limit allowed is 6MB",
        ),
        (
            r#""HostConfig":{"NanoCpus":1000000000,"CpuPeriod":100000}"#,
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ),
        (
            r#""HostConfig":{"NanoCpus":1000000000,"CpuQuota":100000}"#,
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
        ),
        (
            r#""HostConfig":{"NanoCpus":2000000001}"#,
            "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available",
        ),
        (
            r#""HostConfig":{"NanoCpus":-1}"#,
            "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available",
        ),
        (
            r#""HostConfig":{"CpuPeriod":1}"#,
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. \
             1000000)",
        ),
        (
            r#""HostConfig":{"CpuPeriod":1000001}"#,
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. \
             1000000)",
        ),
        (
            r#""HostConfig":{"CpuQuota":1}"#,
            "CPU cfs quota can not be less than 1ms (i.e. 1000)",
        ),
        (
            r#""HostConfig":{"CpusetCpus":"999"}"#,
            "Requested CPUs are not available - requested 999, available: 0-1",
        ),
        (
            r#""HostConfig":{"CpusetCpus":"03"}"#,
            "Requested CPUs are not available - requested 03, available: 0-1",
        ),
        (
            r#""HostConfig":{"CpusetCpus":"100000"}"#,
            "Invalid value 100000 for cpuset cpus: value of out range, maximum is 8192",
        ),
        (
            r#""HostConfig":{"CpusetCpus":"0-100000"}"#,
            "Invalid value 0-100000 for cpuset cpus: value of out range, maximum is 8192",
        ),
        (
            r#""HostConfig":{"CpusetCpus":"1-0"}"#,
            "Invalid value 1-0 for cpuset cpus: invalid format: 1-0",
        ),
        (
            r#""HostConfig":{"CpusetCpus":"-1"}"#,
            "Invalid value -1 for cpuset cpus: invalid format: -1",
        ),
        (
            r#""HostConfig":{"CpusetCpus":" 1"}"#,
            "Invalid value  1 for cpuset cpus: invalid format:  1",
        ),
        (
            r#""HostConfig":{"CpusetMems":"1"}"#,
            "Requested memory nodes are not available - requested 1, available: 0",
        ),
        (
            r#""HostConfig":{"CpusetMems":"x"}"#,
            "Invalid value x for cpuset mems: invalid format: x",
        ),
        // The rest of verifyPlatformContainerSettings.
        (
            r#""HostConfig":{"ShmSize":-1}"#,
            "SHM size can not be less than 0",
        ),
        (
            r#""HostConfig":{"OomScoreAdj":-5000}"#,
            "Invalid value -5000, range for oom score adj is [-1000, 1000]",
        ),
        (
            r#""HostConfig":{"OomScoreAdj":1001}"#,
            "Invalid value 1001, range for oom score adj is [-1000, 1000]",
        ),
        (
            r#""HostConfig":{"Runtime":"bogus"}"#,
            "Unknown runtime specified bogus",
        ),
        (
            r#""HostConfig":{"Tmpfs":{"rel":""}}"#,
            "invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            r#""HostConfig":{"Tmpfs":{"/x/..":""}}"#,
            "invalid specification: destination can't be '/'",
        ),
        (
            r#""HostConfig":{"CgroupnsMode":"bogus"}"#,
            "invalid cgroup namespace mode: bogus",
        ),
        // verifyNetworkingConfig.
        (
            r#""NetworkingConfig":{"EndpointsConfig":{"b":{},"a":{}}}"#,
            "Container cannot be connected to network endpoints: a, b",
        ),
        (
            r#""NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv4Address":"::1"}}}}"#,
            "invalid IPv4 address: ::1",
        ),
        (
            r#""NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv6Address":"1.2.3.4"}}}}"#,
            "invalid IPv6 address: 1.2.3.4",
        ),
        (
            r#""NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv6Address":"::ffff:1.2.3.4"}}}}"#,
            "invalid IPv6 address: ::ffff:1.2.3.4",
        ),
        (
            r#""HostConfig":{"IpcMode":"bogus"}"#,
            "invalid IPC mode: bogus",
        ),
        (
            r#""HostConfig":{"PidMode":"bogus"}"#,
            "invalid PID mode: bogus",
        ),
        (
            r#""HostConfig":{"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu","compute"]]}]}"#,
            "could not select device driver \"nvidia\" with capabilities: [[gpu compute]]",
        ),
        (
            r#""HostConfig":{"StorageOpt":{"size":"1G"}}"#,
            "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
        ),
        (
            r#""HostConfig":{"VolumeDriver":"foo"}"#,
            "error looking up volume plugin foo: plugin \"foo\" not found",
        ),
        (
            r#""HostConfig":{"UsernsMode":"private"}"#,
            "invalid user namespace mode: private (only \"host\" is supported: the daemon has no \
             --userns-remap)",
        ),
        (
            r#""HostConfig":{"IpcMode":"container:"}"#,
            "invalid IPC mode: container:",
        ),
        (
            r#""HostConfig":{"PidMode":"container:"}"#,
            "invalid PID mode: container:",
        ),
    ];
    let host = reference_host();
    for (fields, want) in rows {
        let body = format!("{{{fields}}}");
        assert_eq!(refusal(&body, &host), *want, "{body}");
    }
}

#[test]
fn the_first_failing_check_is_the_one_dockerd_reports() {
    // Pairs the peer answered, the earlier check's message first.
    let rows: &[(&str, &str)] = &[
        (
            r#""WorkingDir":"rel","HostConfig":{"NetworkMode":"container:","Memory":1}"#,
            "Invalid network mode: invalid container format container:<name|id>",
        ),
        (
            r#""HostConfig":{"Isolation":"x","IOMaximumIOps":1}"#,
            "Invalid isolation: \"x\" - linux only supports 'default'",
        ),
        (
            r#""WorkingDir":"rel","HostConfig":{"CpuRealtimePeriod":1,"CpuRealtimeRuntime":2}"#,
            "cpu real-time runtime cannot be higher than cpu real-time period",
        ),
        (
            r#""WorkingDir":"rel","StopSignal":"x","Env":["=x"]"#,
            "the working directory 'rel' is invalid, it needs to be an absolute path",
        ),
        (
            r#""StopSignal":"BOGUS","Env":["=x"]"#,
            "invalid signal: BOGUS",
        ),
        (
            r#""Env":["=x"],"Healthcheck":{"Retries":-1}"#,
            "invalid environment variable: =x",
        ),
        (
            r#""Healthcheck":{"Retries":-1,"Timeout":1}"#,
            "Timeout in Healthcheck cannot be less than 1ms",
        ),
        (
            r#""Healthcheck":{"Retries":-1,"StartPeriod":1}"#,
            "Retries in Healthcheck cannot be negative",
        ),
        (
            r#""HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"},"Mounts":[{"Type":"bind","Source":"rel","Target":"/x"}]}"#,
            "can't create 'AutoRemove' container with restart policy",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["bad"],"Mounts":[{"Type":"bind","Source":"rel","Target":"/x"}]}"#,
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must \
             be absolute",
        ),
        (
            r#""HostConfig":{"ExtraHosts":["bad"],"PortBindings":{"x/tcp":[]}}"#,
            "bad format for add-host: \"bad\"",
        ),
        (
            r#""HostConfig":{"RestartPolicy":{"Name":"x"},"PortBindings":{"x/tcp":[]}}"#,
            "invalid port specification: \"x\"",
        ),
        (
            r#""HostConfig":{"RestartPolicy":{"Name":"x"},"CapAdd":["foo"]}"#,
            "invalid restart policy 'x'",
        ),
        (
            r#""HostConfig":{"CapDrop":["foo"],"CapAdd":["bar"]}"#,
            "invalid CapAdd: unknown capability: \"CAP_BAR\"",
        ),
        (
            r#""HostConfig":{"Memory":1,"CapAdd":["bar"]}"#,
            "invalid CapAdd: unknown capability: \"CAP_BAR\"",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"bind","Source":"/nonexistent","Target":"/x"}],"Memory":1}"#,
            "invalid mount config for type \"bind\": bind source path does not exist: \
             /nonexistent",
        ),
        (
            r#""HostConfig":{"Memory":1,"MemorySwappiness":500,"ShmSize":-1}"#,
            "Minimum memory limit allowed is 6MB",
        ),
        (
            r#""HostConfig":{"NanoCpus":-1,"CpuShares":-1,"CpuPeriod":5}"#,
            "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available",
        ),
        (
            r#""HostConfig":{"CpuPeriod":5,"CpuQuota":5}"#,
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. \
             1000000)",
        ),
        (
            r#""HostConfig":{"CpuQuota":5,"CpusetCpus":"9"}"#,
            "CPU cfs quota can not be less than 1ms (i.e. 1000)",
        ),
        (
            r#""HostConfig":{"CpusetMems":"9","CpusetCpus":"9"}"#,
            "Requested CPUs are not available - requested 9, available: 0-1",
        ),
        (
            r#""HostConfig":{"CpusetMems":"9","ShmSize":-1}"#,
            "Requested memory nodes are not available - requested 9, available: 0",
        ),
        (
            r#""HostConfig":{"OomScoreAdj":-1001,"ShmSize":-1}"#,
            "SHM size can not be less than 0",
        ),
        (
            r#""HostConfig":{"OomScoreAdj":-1001,"Runtime":"x"}"#,
            "Invalid value -1001, range for oom score adj is [-1000, 1000]",
        ),
        (
            r#""HostConfig":{"Tmpfs":{"rel":""},"Runtime":"x"}"#,
            "Unknown runtime specified x",
        ),
        (
            r#""HostConfig":{"Tmpfs":{"rel":""},"CgroupnsMode":"x"}"#,
            "invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            r#""HostConfig":{"CgroupnsMode":"x"},"NetworkingConfig":{"EndpointsConfig":{"a":{},"b":{}}}"#,
            "invalid cgroup namespace mode: x",
        ),
        (
            r#""HostConfig":{"Memory":1},"NetworkingConfig":{"EndpointsConfig":{"a":{},"b":{}}}"#,
            "Minimum memory limit allowed is 6MB",
        ),
    ];
    let host = reference_host();
    for (fields, want) in rows {
        let body = format!("{{{fields}}}");
        assert_eq!(refusal(&body, &host), *want, "{body}");
    }
}

#[test]
fn edge_values_dockerd_accepts() {
    let rows = [
        r#""HostConfig":{"Memory":6291456,"MemorySwap":-1}"#,
        r#""HostConfig":{"Memory":10000000,"MemorySwap":10000000,"MemoryReservation":6291456}"#,
        r#""HostConfig":{"Memory":10000000,"MemorySwap":-5}"#,
        r#""HostConfig":{"MemorySwap":-1,"MemoryReservation":-1,"KernelMemory":-1}"#,
        r#""HostConfig":{"MemorySwappiness":-1}"#,
        r#""HostConfig":{"MemorySwappiness":0}"#,
        r#""HostConfig":{"MemorySwappiness":100,"OomKillDisable":false,"PidsLimit":-5}"#,
        r#""HostConfig":{"OomScoreAdj":-1000}"#,
        r#""HostConfig":{"OomScoreAdj":1000,"ShmSize":0}"#,
        r#""HostConfig":{"CpuShares":-1,"CpuQuota":-5}"#,
        r#""HostConfig":{"CpuPeriod":1000,"CpuQuota":1000}"#,
        r#""HostConfig":{"CpuPeriod":1000000}"#,
        r#""HostConfig":{"NanoCpus":1}"#,
        r#""HostConfig":{"NanoCpus":2000000000}"#,
        r#""HostConfig":{"CpuRealtimePeriod":1000,"CpuRealtimeRuntime":1000}"#,
        r#""HostConfig":{"CpuRealtimeRuntime":5}"#,
        r#""HostConfig":{"CpusetCpus":"0,1","CpusetMems":"0"}"#,
        r#""HostConfig":{"CpusetCpus":"0-1,1"}"#,
        r#""HostConfig":{"CpusetCpus":"+1"}"#,
        r#""HostConfig":{"BlkioDeviceReadBps":[{"Path":"/dev/nonexistent","Rate":300}]}"#,
        r#""HostConfig":{"Isolation":"Default"}"#,
        r#""HostConfig":{"RestartPolicy":{"Name":"","MaximumRetryCount":3}}"#,
        r#""HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}"#,
        r#""HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"no"}}"#,
        r#""HostConfig":{"CapAdd":["ALL","net_admin","CAP_AUDIT_READ"],"CapDrop":["all"]}"#,
        r#""HostConfig":{"ExtraHosts":["a:1.2.3.4","b:::1","c:host-gateway","d: 1.2.3.4 ","e:::ffff:1.2.3.4"]}"#,
        r#""HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080-8081"}],"/tcp":[],"0/bogus":[{"HostPort":"80/udp"}],"81/":[{"HostPort":""}]}}"#,
        r#""HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/x"}]}"#,
        r#""HostConfig":{"Tmpfs":{"/run":"size=1m"},"CgroupnsMode":"private"}"#,
        r#""HostConfig":{"UTSMode":"bogus","UsernsMode":"host","IpcMode":"shareable"}"#,
        r#""HostConfig":{"NetworkMode":"host","Dns":["1.1.1.1"],"ExtraHosts":["a:1.1.1.1"]},"Hostname":"h""#,
        r#""HostConfig":{"NetworkMode":"container:x"}"#,
        r#""WorkingDir":"/","StopSignal":"65","Env":["A","A B=1","\u0000=x"]"#,
        r#""StopSignal":"SIGRTMIN+15","Healthcheck":{"Interval":1000000,"StartInterval":1}"#,
        r#""MacAddress":"bad","Hostname":"a-hostname-longer-than-the-kernel-allows-is-refused-at-start-as-by-dockerd-xxxxxxxxxxxxxxxx""#,
        r#""NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv4Address":"::ffff:172.17.0.5","IPv6Address":"fd00::5"}}}}"#,
    ];
    let host = reference_host();
    for fields in rows {
        let body = format!("{{{fields}}}");
        assert_eq!(warnings(&body, &host), Vec::<String>::new(), "{body}");
    }
}

#[test]
fn limits_the_host_lacks_are_discarded_with_dockerds_warnings() {
    let reference = reference_host();
    // (peer) On the reference machine.
    assert_eq!(
        warnings(r#"{"HostConfig":{"BlkioWeight":300}}"#, &reference),
        [
            "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight \
          discarded."
        ]
    );
    assert_eq!(
        warnings(r#"{"HostConfig":{"BlkioWeight":5}}"#, &reference),
        [
            "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight \
          discarded."
        ]
    );
    assert_eq!(
        warnings(
            r#"{"HostConfig":{"BlkioWeightDevice":[{"Path":"/dev/sda","Weight":300}]}}"#,
            &reference
        ),
        [
            "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. \
          Weight-device discarded."
        ]
    );
    assert_eq!(
        refusal(r#"{"HostConfig":{"KernelMemory":10000000}}"#, &reference),
        "Kernel memory limit is not supported: the runtime ignores kernel memory limits \
         (deprecated by Linux since 5.4); use --memory instead"
    );
    assert_eq!(
        warnings(r#"{"HostConfig":{"CpuCount":2}}"#, &reference),
        ["linux does not support CPU count. Count discarded."]
    );
    assert_eq!(
        warnings(r#"{"HostConfig":{"OomKillDisable":true}}"#, &reference),
        [
            "OOM killer is disabled for the container, but no memory limit is set, this can result \
          in the system running out of resources."
        ]
    );
    assert_eq!(
        warnings(r#"{"HostConfig":{"CpuPercent":10}}"#, &reference),
        ["linux does not support CPU percent. Percent discarded."]
    );
    assert_eq!(
        warnings(
            r#"{"HostConfig":{"NetworkMode":"host","PortBindings":{"80/tcp":[{"HostPort":"80"}]}}}"#,
            &reference
        ),
        ["Published ports are discarded when using host network mode"]
    );

    // cgroup v2: the CLI's defaults (swappiness -1, OOM killer on) say nothing.
    let v2 = v2_host();
    let cli = r#"{"HostConfig":{"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0}}"#;
    assert_eq!(warnings(cli, &v2), Vec::<String>::new());
    assert_eq!(
        warnings(
            r#"{"HostConfig":{"MemorySwappiness":10,"OomKillDisable":true,"Memory":10000000}}"#,
            &v2
        ),
        [
            "Your kernel does not support memory swappiness capabilities or the cgroup is not \
             mounted. Memory swappiness discarded.",
            "Your kernel does not support OomKillDisable. OomKillDisable discarded.",
        ]
    );
    assert_eq!(
        warnings(r#"{"HostConfig":{"KernelMemory":10000000}}"#, &v2),
        [
            "Specifying a kernel memory limit is deprecated and will be removed in a future \
             release.",
            "Your kernel does not support kernel memory limit capabilities or the cgroup is not \
             mounted. Limitation discarded.",
        ]
    );
    assert_eq!(
        refusal(r#"{"HostConfig":{"CpuRealtimeRuntime":5}}"#, &v2),
        "Your kernel does not support CPU real-time scheduler"
    );

    // A host with no controllers at all, forwarding off and no cgroup namespaces.
    let bare = HostFacts {
        limits: hostcheck::Limits::default(),
        ipv4_forwarding: false,
        ..reference_host()
    };
    let all = r#"{"HostConfig":{"Memory":10000000,"MemoryReservation":7000000,
        "MemorySwappiness":10,"PidsLimit":5,"CpuShares":512,"CpuPeriod":100000,
        "CpusetCpus":"0","BlkioDeviceReadBps":[{"Path":"/dev/sda","Rate":1}],
        "BlkioDeviceWriteBps":[{"Path":"/dev/sda","Rate":1}],
        "BlkioDeviceReadIOps":[{"Path":"/dev/sda","Rate":1}],
        "BlkioDeviceWriteIOps":[{"Path":"/dev/sda","Rate":1}],"CgroupnsMode":"private"}}"#;
    let (out, hc) = run(all, &bare);
    assert_eq!(
        out.expect("accepted"),
        [
            "Your kernel does not support memory limit capabilities or the cgroup is not \
             mounted. Limitation discarded.",
            "Your kernel does not support memory swappiness capabilities or the cgroup is not \
             mounted. Memory swappiness discarded.",
            "Your kernel does not support memory soft limit capabilities or the cgroup is not \
             mounted. Limitation discarded.",
            "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. \
             PIDs limit discarded.",
            "Your kernel does not support CPU shares or the cgroup is not mounted. Shares \
             discarded.",
            "Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.",
            "Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.",
            "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. \
             Block I/O BPS read limit discarded.",
            "Your kernel does not support BPS Block I/O write limit or the cgroup is not \
             mounted. Block I/O BPS write limit discarded.",
            "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. \
             Block I/O IOPS read limit discarded.",
            "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. \
             Block I/O IOPS write limit discarded.",
            "IPv4 forwarding is disabled. Networking will not work.",
            "Your kernel does not support cgroup namespaces.  Cgroup namespace setting \
             discarded.",
        ]
    );
    assert_eq!(
        (hc.memory, hc.memory_swap, hc.memory_reservation),
        (0, -1, 0)
    );
    assert_eq!((hc.cpu_shares, hc.cpu_period, hc.pids_limit), (0, 0, None));
    assert_eq!((hc.cpuset_cpus.as_str(), hc.memory_swappiness), ("", None));
    assert_eq!(hc.blkio_device_read_bps, Some(vec![]));
    assert_eq!(
        refusal(r#"{"HostConfig":{"NanoCpus":1000000000}}"#, &bare),
        "NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the \
         cgroup is not mounted"
    );
    // Forwarding matters only to a container on the bridge.
    let no_bridge = HostFacts {
        default_is_bridge: false,
        ..bare.clone()
    };
    assert_eq!(warnings("{}", &no_bridge), Vec::<String>::new());
    assert_eq!(
        warnings(r#"{"HostConfig":{"NetworkMode":"host"}}"#, &bare),
        Vec::<String>::new()
    );
    // No swap accounting: the memory is limited without swap.
    let mut no_swap = reference_host();
    no_swap.limits.swap = false;
    let (out, hc) = run(r#"{"HostConfig":{"Memory":10000000}}"#, &no_swap);
    assert_eq!(
        out.expect("accepted"),
        [
            "Your kernel does not support swap limit capabilities or the cgroup is not mounted. \
          Memory limited without swap."
        ]
    );
    assert_eq!(hc.memory_swap, -1);
}

#[test]
fn recorded_as_dockerd_records_it() {
    let host = reference_host();
    // (peer) Swap twice the memory, the OOM killer on, swappiness -1 as none.
    let (out, hc) = run(
        r#"{"HostConfig":{"Memory":10000000,"MemorySwappiness":-1}}"#,
        &host,
    );
    assert!(out.expect("accepted").is_empty());
    assert_eq!(
        (hc.memory_swap, hc.oom_kill_disable, hc.memory_swappiness),
        (20_000_000, Some(false), None)
    );
    // An explicit swap, or none at all, is kept.
    let (_, hc) = run(
        r#"{"HostConfig":{"Memory":10000000,"MemorySwap":-1,"OomKillDisable":true}}"#,
        &host,
    );
    assert_eq!((hc.memory_swap, hc.oom_kill_disable), (-1, Some(true)));
}

#[test]
fn capabilities_stop_where_the_kernel_and_dockerd_20_10_do() {
    let mut host = reference_host();
    host.cap_last_cap = Some(35);
    assert_eq!(
        refusal(r#"{"HostConfig":{"CapAdd":["BLOCK_SUSPEND"]}}"#, &host),
        "invalid CapAdd: unknown capability: \"CAP_BLOCK_SUSPEND\""
    );
    assert!(
        run(r#"{"HostConfig":{"CapAdd":["WAKE_ALARM"]}}"#, &host)
            .0
            .is_ok()
    );
    host.cap_last_cap = None;
    assert!(
        run(r#"{"HostConfig":{"CapAdd":["AUDIT_READ"]}}"#, &host)
            .0
            .is_ok()
    );
}

#[test]
fn go_quoting_and_numbers() {
    assert_eq!(quote("a\"b\\c\n\u{1b}é"), "\"a\\\"b\\\\c\\n\\x1bé\"");
    assert_eq!(atoi("+12"), Some(12));
    assert_eq!(atoi("-3"), Some(-3));
    for bad in ["", "+", "1 ", "0x1", "99999999999999999999"] {
        assert_eq!(atoi(bad), None, "{bad}");
    }
    assert_eq!(upper("straße"), "STRAßE");
}
