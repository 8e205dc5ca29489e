//! What `docker cp`, `docker export`, `docker diff` and `docker commit` need from the daemon.
//!
//! As for [`super::ContainerBackend`], every `id` is the raw `{id}` segment (or the `container`
//! query value of `/commit`); resolving it is the daemon's.

use std::future::Future;

use jiff::Timestamp;
use serde::Serialize;

use super::ByteStream;
use crate::Error;
use crate::types::{ContainerConfig, FilesystemChange, IdResponse};

/// moby's `ContainerPathStat`, sent base64-encoded in the `X-Docker-Container-Path-Stat`
/// header (not a spec definition: a header's content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerPathStat {
    /// The last element of the path asked for.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Go's `os.FileMode` bits.
    pub mode: u32,
    /// Modification time (Go's `RFC3339Nano`).
    pub mtime: Timestamp,
    /// Where a symbolic link leads, inside the container.
    #[serde(rename = "linkTarget")]
    pub link_target: String,
}

/// What `PUT /containers/{id}/archive` asks for.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// The directory to extract into.
    pub path: String,
    /// Refuse to replace a directory with a non-directory and the other way round.
    pub no_overwrite_dir_non_dir: bool,
    /// Give every entry the container user's owner (`docker cp -a`).
    pub copy_uid_gid: bool,
}

/// What `POST /commit` asks for.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// The `container` query value.
    pub container: String,
    /// `repo`.
    pub repo: String,
    /// `tag`.
    pub tag: String,
    /// `comment` (`--message`).
    pub comment: String,
    /// `author`.
    pub author: String,
    /// `pause` (dockerd's default: true).
    pub pause: bool,
    /// `changes`, one Dockerfile instruction each.
    pub changes: Vec<String>,
    /// The body's config, if one was sent.
    pub config: Option<ContainerConfig>,
}

/// `/containers/{id}/archive`, `/export`, `/changes` and `/commit`.
pub trait ContainerFilesBackend {
    /// `HEAD /containers/{id}/archive?path=`.
    fn container_stat_path(
        &self,
        id: &str,
        path: &str,
    ) -> impl Future<Output = Result<ContainerPathStat, Error>> + Send;

    /// `GET /containers/{id}/archive?path=`: the stat and the tar; failures before the first
    /// byte are the answer's status.
    fn container_archive(
        &self,
        id: &str,
        path: &str,
    ) -> impl Future<Output = Result<(ContainerPathStat, ByteStream), Error>> + Send;

    /// `PUT /containers/{id}/archive?path=`: extracts the body into the directory `path`.
    fn container_extract(
        &self,
        id: &str,
        opts: ExtractOptions,
        body: ByteStream,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `GET /containers/{id}/export`: the container's root filesystem as a tar.
    fn container_export(&self, id: &str) -> impl Future<Output = Result<ByteStream, Error>> + Send;

    /// `GET /containers/{id}/changes`.
    fn container_changes(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Vec<FilesystemChange>, Error>> + Send;

    /// `POST /commit`.
    fn container_commit(
        &self,
        opts: CommitOptions,
    ) -> impl Future<Output = Result<IdResponse, Error>> + Send;
}
