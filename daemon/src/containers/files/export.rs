//! `docker export`: the container's root filesystem (without its volumes and binds, as
//! dockerd's `containerExport` mounts only the root) as a tar, streamed as it is written.

use api::backend::ByteStream;

use super::{Mounts, finished};
use crate::containers::Containers;
use crate::error::{Error, Result};
use crate::images::bridge;

impl Containers {
    /// `GET /containers/{id}/export`.
    pub(crate) async fn export(&self, name: &str) -> Result<ByteStream> {
        let c = self.get(name)?;
        if c.live().removed {
            return Err(Error::Conflict(format!(
                "You cannot export container {} which is being removed",
                c.id
            )));
        }
        let told = std::sync::Arc::clone(&c);
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (mut out, stream) = bridge::byte_channel();
        let done = self.with_fs(c, Mounts::RootOnly, move |root, _| {
            let _ = started_tx.send(());
            match root.export(&mut out) {
                Ok(()) => {
                    let _ = std::io::Write::flush(&mut out);
                }
                Err(e) => out.fail(std::io::Error::other(e.to_string())),
            }
            Ok(())
        });
        match started_rx.await {
            Ok(()) => {
                self.event(&told, "export", &[]);
                Ok(stream)
            }
            // Mounting the root failed: that is the answer, in dockerd's words.
            Err(_) => {
                let cause = finished(done).await.err().map_or_else(
                    || "the container fs work ended without an answer".to_owned(),
                    |e| e.to_string(),
                );
                Err(Error::System(format!(
                    "Error exporting container {name}: {cause}"
                )))
            }
        }
    }
}
