//! The wire types of `docker diff` and `docker commit`.

use serde::{Deserialize, Serialize};

/// `FilesystemChange`: one entry of `GET /containers/{id}/changes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FilesystemChange {
    /// The path inside the container.
    #[serde(rename = "Path")]
    pub path: String,
    /// 0: modified, 1: added, 2: deleted.
    #[serde(rename = "Kind")]
    pub kind: u8,
}

/// `IdResponse`: the answer of `POST /commit` and of exec create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct IdResponse {
    /// The new object's ID (an image's `sha256:...`, an exec's hex).
    #[serde(rename = "Id")]
    pub id: String,
}
