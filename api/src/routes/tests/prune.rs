//! The prune routes and `GET /system/df` against the fake backend: the filter keys each
//! accepts, and what reaches the backend.

use axum::http::StatusCode;

use super::{Fake, call, passed};
use crate::Error;
use crate::backend::PruneBackend;
use crate::filters::Filters;
use crate::types::{
    BuildPruneResponse, ContainerPruneResponse, ImagePruneResponse, NetworkPruneResponse,
    SystemDataUsageResponse, VolumePruneResponse,
};

/// Each prune "deletes" one object per filter value it was given.
impl PruneBackend for Fake {
    async fn container_prune(&self, f: Filters) -> Result<ContainerPruneResponse, Error> {
        let keys = ["label", "label!", "until"];
        Ok(ContainerPruneResponse {
            containers_deleted: Some(passed(&f, &keys)),
            space_reclaimed: 7,
        })
    }

    async fn image_prune(&self, f: Filters) -> Result<ImagePruneResponse, Error> {
        let keys = ["dangling", "label", "until"];
        Ok(ImagePruneResponse {
            images_deleted: Some(
                passed(&f, &keys)
                    .into_iter()
                    .map(crate::types::ImageDeleteResponseItem::Deleted)
                    .collect(),
            ),
            space_reclaimed: 0,
        })
    }

    async fn volume_prune(&self, f: Filters, every: bool) -> Result<VolumePruneResponse, Error> {
        let mut deleted = passed(&f, &["all", "label"]);
        deleted.push(format!("every={every}"));
        Ok(VolumePruneResponse {
            volumes_deleted: Some(deleted),
            space_reclaimed: 0,
        })
    }

    async fn network_prune(&self, _: Filters) -> Result<NetworkPruneResponse, Error> {
        Ok(NetworkPruneResponse::default())
    }

    async fn build_prune(
        &self,
        _: Filters,
        keep: Option<u64>,
    ) -> Result<BuildPruneResponse, Error> {
        Ok(BuildPruneResponse {
            space_reclaimed: keep.unwrap_or(0),
            ..BuildPruneResponse::default()
        })
    }

    async fn system_df(&self) -> Result<SystemDataUsageResponse, Error> {
        Ok(SystemDataUsageResponse {
            layers_size: 3,
            ..SystemDataUsageResponse::default()
        })
    }
}

#[tokio::test]
async fn prunes_check_their_filters_and_answer_as_dockerd() {
    let f = |json: &str| {
        json.replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
    };
    let uri = format!("/containers/prune?filters={}", f(r#"{"until":["10m"]}"#));
    let (s, _, body) = call("POST", &uri).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        r#"{"ContainersDeleted":["until=10m"],"SpaceReclaimed":7}"#
    );
    let uri = format!(
        "/containers/prune?filters={}",
        f(r#"{"dangling":["true"]}"#)
    );
    let (s, _, body) = call("POST", &uri).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body, r#"{"message":"invalid filter 'dangling'"}"#);
    // `/images/prune` is not an image named `prune`.
    let uri = format!(
        "/v1.47/images/prune?filters={}",
        f(r#"{"dangling":["false"]}"#)
    );
    let (s, _, body) = call("POST", &uri).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        r#"{"ImagesDeleted":[{"Deleted":"dangling=false"}],"SpaceReclaimed":0}"#
    );
    // Volumes: `all` is a key; below API 1.42 every volume counts.
    let uri = format!("/v1.47/volumes/prune?filters={}", f(r#"{"all":["true"]}"#));
    let (_, _, body) = call("POST", &uri).await;
    assert_eq!(
        body,
        r#"{"VolumesDeleted":["all=true","every=false"],"SpaceReclaimed":0}"#
    );
    let (_, _, body) = call("POST", "/v1.41/volumes/prune").await;
    assert!(body.contains(r#"["every=true"]"#), "{body}");
    let (s, _, body) = call("POST", "/networks/prune").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body, r#"{"NetworksDeleted":null}"#);
    let (_, _, body) = call("POST", "/build/prune?all=1").await;
    assert_eq!(body, r#"{"CachesDeleted":null,"SpaceReclaimed":0}"#);
    let (s, _, body) = call("GET", "/v1.47/system/df").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body,
        r#"{"LayersSize":3,"Images":[],"Containers":[],"Volumes":[],"BuildCache":null}"#
    );
}

#[tokio::test]
async fn build_prune_reads_keep_storage() {
    let (status, _, body) = super::call_with("POST", "/build/prune?keep-storage=2048", "").await;
    assert_eq!(status, axum::http::StatusCode::OK);
    assert!(body.contains(r#""SpaceReclaimed":2048"#), "{body}");
    let (status, _, body) = super::call_with("POST", "/build/prune?keep-storage=-1", "").await;
    assert_eq!(status, axum::http::StatusCode::BAD_REQUEST);
    assert!(body.contains("invalid keep-storage value: -1"), "{body}");
}
