//! `ContainerConfig`: a container's portable configuration, also what an image's config holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `ContainerConfig` (the spec's definition); empty fields serialise as Docker shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ContainerConfig {
    /// The container's host name.
    #[serde(rename = "Hostname")]
    pub hostname: String,
    /// The container's domain name.
    #[serde(rename = "Domainname")]
    pub domainname: String,
    /// The user (`name`, `uid`, `uid:gid`).
    #[serde(rename = "User")]
    pub user: String,
    /// Attach stdin.
    #[serde(rename = "AttachStdin")]
    pub attach_stdin: bool,
    /// Attach stdout.
    #[serde(rename = "AttachStdout")]
    pub attach_stdout: bool,
    /// Attach stderr.
    #[serde(rename = "AttachStderr")]
    pub attach_stderr: bool,
    /// Exposed ports (`"80/tcp": {}`).
    #[serde(rename = "ExposedPorts", skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// Allocate a pseudo-terminal.
    #[serde(rename = "Tty")]
    pub tty: bool,
    /// Keep stdin open.
    #[serde(rename = "OpenStdin")]
    pub open_stdin: bool,
    /// Close stdin after the first attach ends.
    #[serde(rename = "StdinOnce")]
    pub stdin_once: bool,
    /// `KEY=value` environment.
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
    /// The command.
    #[serde(rename = "Cmd")]
    pub cmd: Option<Vec<String>>,
    /// A health check.
    #[serde(rename = "Healthcheck", skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<serde_json::Value>,
    /// Windows only.
    #[serde(rename = "ArgsEscaped", skip_serializing_if = "Option::is_none")]
    pub args_escaped: Option<bool>,
    /// The image name the container was created from.
    #[serde(rename = "Image")]
    pub image: String,
    /// Volume mount points (`"/data": {}`).
    #[serde(rename = "Volumes")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    /// The working directory.
    #[serde(rename = "WorkingDir")]
    pub working_dir: String,
    /// The entry point.
    #[serde(rename = "Entrypoint")]
    pub entrypoint: Option<Vec<String>>,
    /// Networking disabled.
    #[serde(rename = "NetworkDisabled", skip_serializing_if = "Option::is_none")]
    pub network_disabled: Option<bool>,
    /// MAC address (deprecated).
    #[serde(rename = "MacAddress", skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// `ONBUILD` triggers.
    #[serde(rename = "OnBuild")]
    pub on_build: Option<Vec<String>>,
    /// Labels.
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    /// The signal that stops the container.
    #[serde(rename = "StopSignal", skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Seconds to wait before killing on stop.
    #[serde(rename = "StopTimeout", skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    /// The shell for shell-form commands.
    #[serde(rename = "Shell", skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
}
