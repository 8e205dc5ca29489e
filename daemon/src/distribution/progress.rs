//! The jsonmessage lines of a pull or push, as dockerd's progress output writes them: a line
//! about a layer (`id` = the first 12 hex digits of its digest) always carries
//! `progressDetail` (`{}` without counters) and, with counters, the `progress` text; a line
//! about the whole pull (`Digest: …`, `Status: …`) carries neither.

use api::types::{JsonMessage, ProgressDetail};

/// The short form of a digest that names a layer in progress lines: 12 hex digits.
pub(crate) fn short_id(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}

/// `{"status": status, "progressDetail": {}, "id": id}`.
pub(crate) fn layer(status: &str, id: &str) -> JsonMessage {
    JsonMessage {
        status: Some(status.to_owned()),
        progress_detail: Some(ProgressDetail::default()),
        id: Some(id.to_owned()),
        ..JsonMessage::default()
    }
}

/// A layer's counters: `Downloading`, `Extracting`, `Pushing`.
pub(crate) fn counting(status: &str, id: &str, current: u64, total: u64) -> JsonMessage {
    let detail = ProgressDetail { current, total };
    let text = detail.text();
    JsonMessage {
        status: Some(status.to_owned()),
        progress: (!text.is_empty()).then_some(text),
        progress_detail: Some(detail),
        id: Some(id.to_owned()),
        ..JsonMessage::default()
    }
}

/// A status about the whole operation, with an `id` (`Pulling from …` names the tag).
pub(crate) fn status_of(status: &str, id: &str) -> JsonMessage {
    JsonMessage {
        status: Some(status.to_owned()),
        id: Some(id.to_owned()),
        ..JsonMessage::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(m: &JsonMessage) -> String {
        serde_json::to_string(m).expect("json")
    }

    #[test]
    fn lines_read_as_dockerd_writes_them() {
        let digest = format!("sha256:{}", "0123456789ab".repeat(5) + "cdef");
        assert_eq!(short_id(&digest), "0123456789ab");
        assert_eq!(
            line(&status_of("Pulling from library/busybox", "latest")),
            r#"{"status":"Pulling from library/busybox","id":"latest"}"#
        );
        assert_eq!(
            line(&layer("Pulling fs layer", "0123456789ab")),
            r#"{"status":"Pulling fs layer","progressDetail":{},"id":"0123456789ab"}"#
        );
        assert_eq!(
            line(&counting("Downloading", "0123456789ab", 1834, 1834)),
            format!(
                r#"{{"status":"Downloading","progressDetail":{{"current":1834,"total":1834}},"progress":"[{}>]  1.834kB/1.834kB","id":"0123456789ab"}}"#,
                "=".repeat(50)
            )
        );
    }
}
