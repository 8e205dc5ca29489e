//! From `graph`'s types to Docker's wire types.

use api::types::{
    ContainerConfig, DriverData, HistoryResponseItem, ImageDeleteResponseItem, ImageInspect,
    ImageMetadata, ImageSummary, RootFs,
};

/// An image's container config (`config`, `container_config`) in Docker's wire shape, field
/// by field: what the image leaves out is the wire type's default.
fn container_config(c: &graph::config::ContainerConfig) -> ContainerConfig {
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let flag = |b: Option<bool>| b.unwrap_or_default();
    ContainerConfig {
        hostname: text(&c.hostname),
        domainname: text(&c.domainname),
        user: text(&c.user),
        attach_stdin: flag(c.attach_stdin),
        attach_stdout: flag(c.attach_stdout),
        attach_stderr: flag(c.attach_stderr),
        exposed_ports: c.exposed_ports.clone(),
        tty: flag(c.tty),
        open_stdin: flag(c.open_stdin),
        stdin_once: flag(c.stdin_once),
        env: c.env.clone(),
        cmd: c.cmd.clone(),
        healthcheck: c.healthcheck.as_ref().map(health_config),
        args_escaped: c.args_escaped,
        image: text(&c.image),
        volumes: c.volumes.clone(),
        working_dir: text(&c.working_dir),
        entrypoint: c.entrypoint.clone(),
        network_disabled: c.network_disabled,
        mac_address: c.mac_address.clone(),
        on_build: c.on_build.clone(),
        labels: c.labels.clone(),
        stop_signal: c.stop_signal.clone(),
        stop_timeout: c.stop_timeout,
        shell: c.shell.clone(),
    }
}

/// An image's `Healthcheck` as the wire's `HealthConfig` object: the fields it has. (A JSON
/// object's keys come out sorted, as they always have here; dockerd writes Go's field order.)
fn health_config(h: &graph::config::HealthConfig) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(test) = &h.test {
        out.insert("Test".into(), test.clone().into());
    }
    let durations = [
        ("Interval", h.interval),
        ("Timeout", h.timeout),
        ("StartPeriod", h.start_period),
        ("StartInterval", h.start_interval),
        ("Retries", h.retries),
    ];
    for (key, value) in durations {
        if let Some(v) = value {
            out.insert(key.into(), v.into());
        }
    }
    out.into()
}

/// `GET /images/json` entry.
pub fn summary(s: graph::ImageSummary) -> ImageSummary {
    ImageSummary {
        id: s.id.to_string(),
        parent_id: s.parent.map(|p| p.to_string()).unwrap_or_default(),
        repo_tags: s.repo_tags,
        repo_digests: s.repo_digests,
        created: s.created.map_or(0, graph::go_unix),
        size: s.size as i64,
        shared_size: s.shared_size.map_or(-1, |n| n as i64),
        virtual_size: None,
        labels: s.labels,
        containers: s.containers,
    }
}

/// `GET /images/{name}/json`.
pub fn inspect(d: graph::ImageDetails) -> ImageInspect {
    let c = &d.config;
    ImageInspect {
        id: d.id.to_string(),
        repo_tags: d.repo_tags,
        repo_digests: d.repo_digests,
        parent: d.parent.map(|p| p.to_string()).unwrap_or_default(),
        comment: c.comment.clone().unwrap_or_default(),
        created: c.created_text(),
        container: c.container.clone(),
        container_config: c.container_config.as_ref().map(container_config),
        docker_version: c.docker_version.clone().unwrap_or_default(),
        author: c.author.clone().unwrap_or_default(),
        config: c.config.as_ref().map(container_config),
        architecture: c.architecture.clone().unwrap_or_default(),
        variant: c.variant.clone(),
        os: c.os.clone().unwrap_or_default(),
        os_version: c.os_version.clone(),
        size: d.size as i64,
        virtual_size: None,
        graph_driver: DriverData {
            name: d.driver,
            data: d.driver_data,
        },
        root_fs: RootFs {
            kind: "layers".into(),
            layers: d.layers.iter().map(ToString::to_string).collect(),
        },
        metadata: ImageMetadata {
            last_tag_time: d
                .last_tag_time
                .unwrap_or_else(|| mobyport::time::ZERO.into()),
        },
    }
}

/// `GET /images/{name}/history` entry.
pub fn history(h: graph::HistoryEntry) -> HistoryResponseItem {
    HistoryResponseItem {
        id: h.id.map_or_else(|| "<missing>".into(), |i| i.to_string()),
        created: h.created,
        created_by: h.created_by,
        tags: (!h.tags.is_empty()).then_some(h.tags),
        size: h.size as i64,
        comment: h.comment,
    }
}

/// `DELETE /images/{name}` entry.
pub fn removed(r: graph::Removed) -> ImageDeleteResponseItem {
    match r {
        graph::Removed::Untagged(s) => ImageDeleteResponseItem::Untagged(s),
        graph::Removed::Deleted(s) => ImageDeleteResponseItem::Deleted(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversion gives what a JSON round trip through the same field names gave.
    #[test]
    fn container_configs_convert_field_by_field() {
        let full = r#"{"Hostname":"h","Domainname":"d","User":"u","AttachStdin":true,
            "AttachStdout":true,"AttachStderr":false,"ExposedPorts":{"80/tcp":{}},"Tty":true,
            "OpenStdin":true,"StdinOnce":true,"Env":["A=b"],"Cmd":"sh","Healthcheck":{
            "Test":["CMD","true"],"Interval":1000000,"Timeout":2,"StartPeriod":3,
            "StartInterval":4,"Retries":5},"ArgsEscaped":true,"Image":"sha256:ab",
            "Volumes":{"/data":{}},"WorkingDir":"/w","Entrypoint":["/e"],
            "NetworkDisabled":false,"MacAddress":"02:42:ac:11:00:02","OnBuild":["RUN x"],
            "Labels":{"a":"b"},"StopSignal":"SIGINT","StopTimeout":3,"Shell":["/bin/sh","-c"]}"#;
        for json in [full, "{}", r#"{"Healthcheck":{"Test":["NONE"]}}"#] {
            let image: graph::config::ContainerConfig = serde_json::from_str(json).expect(json);
            let value = serde_json::to_value(&image).expect("serialises");
            let round_trip: ContainerConfig = serde_json::from_value(value).expect("reads");
            assert_eq!(container_config(&image), round_trip, "{json}");
        }
        // Serialised, the health check's keys are sorted (serde_json's map).
        let image: graph::config::ContainerConfig = serde_json::from_str(full).expect("full");
        assert_eq!(
            serde_json::to_string(&container_config(&image).healthcheck).expect("json"),
            r#"{"Interval":1000000,"Retries":5,"StartInterval":4,"StartPeriod":3,"Test":["CMD","true"],"Timeout":2}"#
        );
    }
}
