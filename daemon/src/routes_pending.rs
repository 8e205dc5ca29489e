//! Backend traits whose stores are being wired in: answers in Docker's shape until then.

use api::backend::{ByteStream, ImageBackend, ImageListOptions, ImportOptions, MessageStream};
use api::types::{HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImageSummary};
use api::{Error, ErrorKind};

use crate::daemon::Daemon;

fn no_such_image(name: &str) -> Error {
    Error::not_found(format!("No such image: {name}"))
}

fn pending(what: &str) -> Error {
    Error::new(
        ErrorKind::NotImplemented,
        format!("{what} is not implemented yet"),
    )
}

impl ImageBackend for Daemon {
    async fn image_list(&self, _: ImageListOptions) -> Result<Vec<ImageSummary>, Error> {
        Ok(Vec::new())
    }

    async fn image_inspect(&self, name: &str) -> Result<ImageInspect, Error> {
        Err(no_such_image(name))
    }

    async fn image_history(&self, name: &str) -> Result<Vec<HistoryResponseItem>, Error> {
        Err(no_such_image(name))
    }

    async fn image_tag(&self, name: &str, _: &str, _: Option<&str>) -> Result<(), Error> {
        Err(no_such_image(name))
    }

    async fn image_delete(
        &self,
        name: &str,
        _: bool,
        _: bool,
    ) -> Result<Vec<ImageDeleteResponseItem>, Error> {
        Err(no_such_image(name))
    }

    async fn image_load(&self, _: ByteStream, _: bool) -> Result<MessageStream, Error> {
        Err(pending("image load"))
    }

    async fn image_save(&self, _: Vec<String>) -> Result<ByteStream, Error> {
        Err(pending("image save"))
    }

    async fn image_import(&self, _: ByteStream, _: ImportOptions) -> Result<MessageStream, Error> {
        Err(pending("image import"))
    }
}
