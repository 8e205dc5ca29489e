//! `api::backend::ContainerFilesBackend` for the daemon: one call each.

use api::Error;
use api::backend::{
    ByteStream, CommitOptions, ContainerFilesBackend, ContainerPathStat, ExtractOptions,
};
use api::types::{FilesystemChange, IdResponse};

use crate::containers::Containers;
use crate::daemon::Daemon;

impl ContainerFilesBackend for Daemon {
    async fn container_stat_path(&self, id: &str, path: &str) -> Result<ContainerPathStat, Error> {
        Ok(self.containers.stat_path(id, path).await?)
    }

    async fn container_archive(
        &self,
        id: &str,
        path: &str,
    ) -> Result<(ContainerPathStat, ByteStream), Error> {
        Ok(self.containers.archive_path(id, path).await?)
    }

    async fn container_extract(
        &self,
        id: &str,
        opts: ExtractOptions,
        body: ByteStream,
    ) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(async move { c.extract_to_dir(&id, opts, body).await }).await?)
    }

    async fn container_export(&self, id: &str) -> Result<ByteStream, Error> {
        Ok(self.containers.export(id).await?)
    }

    async fn container_changes(&self, id: &str) -> Result<Vec<FilesystemChange>, Error> {
        Ok(self.containers.changes(id).await?)
    }

    async fn container_commit(&self, opts: CommitOptions) -> Result<IdResponse, Error> {
        let (c, images) = (self.containers.clone(), self.images.clone());
        Ok(Containers::detached(async move { c.commit(&images, opts).await }).await?)
    }
}
