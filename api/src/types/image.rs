//! The image endpoints' bodies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ContainerConfig;

/// `ImageSummary`: one entry of `GET /images/json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ImageSummary {
    /// `sha256:<hex>`.
    #[serde(rename = "Id")]
    pub id: String,
    /// The parent image's ID, or empty.
    #[serde(rename = "ParentId")]
    pub parent_id: String,
    /// `name:tag` references.
    #[serde(rename = "RepoTags")]
    pub repo_tags: Vec<String>,
    /// `name@sha256:...` references.
    #[serde(rename = "RepoDigests")]
    pub repo_digests: Vec<String>,
    /// Creation time, Unix seconds.
    #[serde(rename = "Created")]
    pub created: i64,
    /// Total size of the image's layers.
    #[serde(rename = "Size")]
    pub size: i64,
    /// Size shared with other images (-1 unless asked for).
    #[serde(rename = "SharedSize")]
    pub shared_size: i64,
    /// Same as `Size` (removed in API 1.44; older clients read it).
    #[serde(rename = "VirtualSize", skip_serializing_if = "Option::is_none")]
    pub virtual_size: Option<i64>,
    /// The image's labels.
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Containers using the image (-1 unless computed).
    #[serde(rename = "Containers")]
    pub containers: i64,
}

/// `ImageInspect`: `GET /images/{name}/json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ImageInspect {
    /// `sha256:<hex>`.
    #[serde(rename = "Id")]
    pub id: String,
    /// `name:tag` references.
    #[serde(rename = "RepoTags")]
    pub repo_tags: Vec<String>,
    /// `name@sha256:...` references.
    #[serde(rename = "RepoDigests")]
    pub repo_digests: Vec<String>,
    /// The parent image's ID, or empty.
    #[serde(rename = "Parent")]
    pub parent: String,
    /// The image's comment.
    #[serde(rename = "Comment")]
    pub comment: String,
    /// Creation time (RFC 3339 with nanoseconds).
    #[serde(rename = "Created")]
    pub created: String,
    /// The build container's ID (legacy).
    #[serde(rename = "Container", skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The build container's config (legacy).
    #[serde(rename = "ContainerConfig", skip_serializing_if = "Option::is_none")]
    pub container_config: Option<ContainerConfig>,
    /// The engine version that built it.
    #[serde(rename = "DockerVersion")]
    pub docker_version: String,
    /// The author.
    #[serde(rename = "Author")]
    pub author: String,
    /// The default container configuration.
    #[serde(rename = "Config")]
    pub config: Option<ContainerConfig>,
    /// CPU architecture.
    #[serde(rename = "Architecture")]
    pub architecture: String,
    /// Architecture variant.
    #[serde(rename = "Variant", skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Operating system.
    #[serde(rename = "Os")]
    pub os: String,
    /// OS version.
    #[serde(rename = "OsVersion", skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Total size of the layers.
    #[serde(rename = "Size")]
    pub size: i64,
    /// Same as `Size` (older clients read it).
    #[serde(rename = "VirtualSize", skip_serializing_if = "Option::is_none")]
    pub virtual_size: Option<i64>,
    /// Storage driver details.
    #[serde(rename = "GraphDriver")]
    pub graph_driver: DriverData,
    /// The layers.
    #[serde(rename = "RootFS")]
    pub root_fs: RootFs,
    /// Local metadata.
    #[serde(rename = "Metadata")]
    pub metadata: ImageMetadata,
}

/// `DriverData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct DriverData {
    /// The driver's name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Driver-specific paths.
    #[serde(rename = "Data")]
    pub data: BTreeMap<String, String>,
}

/// `ImageInspect.RootFS`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RootFs {
    /// `layers`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Diff IDs, bottom first.
    #[serde(rename = "Layers")]
    pub layers: Vec<String>,
}

/// `ImageInspect.Metadata`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ImageMetadata {
    /// When the image was last tagged (RFC 3339), or the zero time.
    #[serde(rename = "LastTagTime")]
    pub last_tag_time: String,
}

/// `HistoryResponseItem`: one entry of `GET /images/{name}/history`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct HistoryResponseItem {
    /// The image ID of this step, or `<missing>`.
    #[serde(rename = "Id")]
    pub id: String,
    /// Unix seconds.
    #[serde(rename = "Created")]
    pub created: i64,
    /// The instruction.
    #[serde(rename = "CreatedBy")]
    pub created_by: String,
    /// Tags of the image at this step.
    #[serde(rename = "Tags")]
    pub tags: Option<Vec<String>>,
    /// Size of the step's layer.
    #[serde(rename = "Size")]
    pub size: i64,
    /// The step's comment.
    #[serde(rename = "Comment")]
    pub comment: String,
}

/// `ImageDeleteResponseItem`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum ImageDeleteResponseItem {
    /// A reference was removed.
    Untagged(String),
    /// An image (`sha256:...`) was deleted.
    Deleted(String),
}

/// One line of a jsonmessage stream (load, import, pull, push), its fields in the order moby's
/// `JSONMessage` writes them.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct JsonMessage {
    /// Free text the CLI prints as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// A status line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Progress counters (`{}` on a status line about a layer).
    #[serde(rename = "progressDetail", skip_serializing_if = "Option::is_none")]
    pub progress_detail: Option<ProgressDetail>,
    /// The same progress as text (`[==>   ]  1.2MB/3.4MB`), for older clients.
    #[serde(rename = "progress", skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    /// The object the status is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// An in-band error (the stream's status code is already 200).
    #[serde(rename = "errorDetail", skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<ErrorDetail>,
    /// The same error as plain text (older clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Out-of-band data (a push's tag, digest and size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aux: Option<serde_json::Value>,
}

impl JsonMessage {
    /// `{"stream": text}`.
    pub fn stream(text: impl Into<String>) -> Self {
        JsonMessage {
            stream: Some(text.into()),
            ..Self::default()
        }
    }

    /// `{"status": text}`.
    pub fn status(text: impl Into<String>) -> Self {
        JsonMessage {
            status: Some(text.into()),
            ..Self::default()
        }
    }

    /// An in-band error.
    pub fn error(message: impl Into<String>) -> Self {
        let message = message.into();
        JsonMessage {
            error_detail: Some(ErrorDetail {
                code: None,
                message: message.clone(),
            }),
            error: Some(message),
            ..Self::default()
        }
    }
}

/// `ProgressDetail`: moby's `JSONProgress`, zero counters left out (so `{}` on a plain status).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ProgressDetail {
    /// Bytes done.
    #[serde(skip_serializing_if = "is_zero")]
    pub current: u64,
    /// Bytes in all.
    #[serde(skip_serializing_if = "is_zero")]
    pub total: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ProgressDetail {
    /// The text moby's `JSONProgress.String()` makes of it on the daemon's side (no terminal:
    /// 200 columns, so with the bar; no time left, as the daemon sets no start):
    /// `[=====>        ]  1.18MB/2.16MB`.
    pub fn text(&self) -> String {
        let (current, total) = (self.current, self.total);
        if current == 0 && total == 0 {
            return String::new();
        }
        if total == 0 {
            return format!("{:>8}", human_size(current));
        }
        let percentage = ((current as f64 / total as f64 * 100.0) as u64 / 2).min(50) as usize;
        let bar = format!(
            "[{}>{}] ",
            "=".repeat(percentage),
            " ".repeat(50 - percentage)
        );
        let numbers = if current > total {
            format!("{:>8}", human_size(current))
        } else {
            format!("{:>8}/{}", human_size(current), human_size(total))
        };
        bar + &numbers
    }
}

/// go-units' `HumanSize`: decimal units, four significant digits (`2.158MB`, `512B`).
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut size = n as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", go_g4(size), UNITS[unit])
}

/// Go's `%.4g` of a number below 1000 and at least 0: four significant digits, trailing zeros
/// (and a trailing dot) dropped.
fn go_g4(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = x.abs().log10().floor() as i32 + 1;
    let decimals = (4 - digits).max(0) as usize;
    let text = format!("{x:.decimals$}");
    // Rounding may carry into a fifth digit (999.95 -> 1000.0): Go's %g then goes on in
    // exponent form, which sizes below 1000 never reach after the division above.
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `ErrorDetail`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    /// The exit code of a failed build step's command (dockerd's `JSONError.Code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// The message.
    pub message: String,
}

#[cfg(test)]
mod progress_tests {
    use super::{ProgressDetail, human_size};

    #[test]
    fn sizes_and_bars_read_as_dockerds() {
        for (n, text) in [
            (0, "0B"),
            (512, "512B"),
            (999, "999B"),
            (1000, "1kB"),
            (1_180_000, "1.18MB"),
            (2_158_000, "2.158MB"),
            (104_857_600, "104.9MB"),
            (5_000_000_000, "5GB"),
        ] {
            assert_eq!(human_size(n), text, "{n}");
        }
        let p = ProgressDetail {
            current: 1_180_000,
            total: 2_158_000,
        };
        assert_eq!(
            p.text(),
            format!("[{}>{}]   1.18MB/2.158MB", "=".repeat(27), " ".repeat(23))
        );
        let done = ProgressDetail {
            current: 10,
            total: 10,
        };
        assert_eq!(done.text(), format!("[{}>]      10B/10B", "=".repeat(50)));
        assert_eq!(ProgressDetail::default().text(), "");
        assert_eq!(
            serde_json::to_string(&ProgressDetail::default()).expect("json"),
            "{}"
        );
    }
}
