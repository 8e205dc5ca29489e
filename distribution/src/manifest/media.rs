//! Media types of manifests, configs and layers, and the checks dockerd makes on them.

/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker schema 1, signed (refused).
pub const SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// Docker schema 1, unsigned (refused).
pub const SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker layer (gzip).
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker foreign layer (Windows base layers): on Linux dockerd fetches it from the
/// registry by digest like any layer, ignoring its `urls`.
pub const DOCKER_FOREIGN_LAYER: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/// OCI layer, uncompressed.
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI layer, gzip.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI layer, zstd.
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// The `Accept` values of a manifest request, as dockerd sends them (schema 1 included, so a
/// schema 1 image is recognised and refused with dockerd's message rather than a 404).
pub const MANIFEST_ACCEPT: &[&str] = &[
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_MANIFEST,
    OCI_INDEX,
    SCHEMA1_SIGNED,
    SCHEMA1,
];

/// The media type prefixes (and old odd values) dockerd accepts for a config or layer
/// (moby's `supportedMediaTypes`): anything else fails the pull with "unsupported media type".
const SUPPORTED_PREFIXES: &[&str] = &["application/vnd.oci.image", "application/vnd.docker"];
const SUPPORTED_EXACT: &[&str] = &[
    "application/octet-stream",
    "application/json",
    "text/html",
    "",
];

/// moby's `checkSupportedMediaType`: an exact match, or a prefix followed by a `.`.
pub fn is_supported_blob_type(media_type: &str) -> bool {
    let lower = media_type.to_ascii_lowercase();
    SUPPORTED_EXACT.contains(&lower.as_str())
        || SUPPORTED_PREFIXES
            .iter()
            .any(|p| lower == *p || lower.starts_with(&format!("{p}.")))
}

/// Whether a layer of this type is non-distributable (a foreign layer), which a push leaves
/// out unless the registry allows it.
pub fn is_foreign_layer(media_type: &str) -> bool {
    media_type == DOCKER_FOREIGN_LAYER || media_type.contains(".nondistributable.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_types_checked_as_dockerd() {
        for ok in [
            DOCKER_LAYER,
            OCI_LAYER_ZSTD,
            DOCKER_FOREIGN_LAYER,
            "",
            "application/json",
        ] {
            assert!(is_supported_blob_type(ok), "{ok}");
        }
        for bad in [
            "application/vnd.oci.images_are_fun",
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
            "application/vnd.docker.ai.model",
        ] {
            assert_eq!(
                is_supported_blob_type(bad),
                bad.starts_with("application/vnd.docker."),
                "{bad}"
            );
        }
        assert!(is_foreign_layer(DOCKER_FOREIGN_LAYER));
        assert!(is_foreign_layer(
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        ));
        assert!(!is_foreign_layer(OCI_LAYER));
    }
}
