//! From `graph`'s types to Docker's wire types.

use api::types::{
    ContainerConfig, DriverData, HistoryResponseItem, ImageDeleteResponseItem, ImageInspect,
    ImageMetadata, ImageSummary, RootFs,
};

/// The image's container config in Docker's wire shape (the same field names, so a JSON
/// round trip converts it).
fn container_config<T: serde::Serialize>(c: &T) -> Option<ContainerConfig> {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
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
        container_config: c.container_config.as_ref().and_then(container_config),
        docker_version: c.docker_version.clone().unwrap_or_default(),
        author: c.author.clone().unwrap_or_default(),
        config: c.config.as_ref().and_then(container_config),
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
