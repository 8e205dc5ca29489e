//! `rename`: the new name is reserved in the index (moby's `reserveName`) and the old one
//! released under one lock, so no other create or rename can take either in between; the
//! record is then saved with the new name (and the index put back if that fails).

use super::{Containers, names};
use crate::error::Error;

impl Containers {
    /// Renames the container `term` names to `new` (with or without its `/`), with moby's
    /// `ContainerRename` checks and words.
    pub(crate) async fn rename(self, term: String, new: String) -> Result<(), Error> {
        if term.is_empty() || new.is_empty() {
            return Err(Error::Invalid(
                "Neither old nor new names may be empty".into(),
            ));
        }
        let new = match new.starts_with('/') {
            true => new,
            false => format!("/{new}"),
        };
        let c = self.get(&term)?;
        let _op = c.op.lock().await;
        let old = c.live().record.name.clone();
        if old == new {
            return Err(Error::Invalid(
                "Renaming a container with the same name as its current name".into(),
            ));
        }
        let allocating = |e: Error| match e {
            Error::Conflict(m) => Error::Conflict(format!("Error when allocating new name: {m}")),
            Error::Invalid(m) => Error::Invalid(format!("Error when allocating new name: {m}")),
            other => other,
        };
        names::validate(&new).map_err(allocating)?;
        {
            let mut ix = self.index();
            ix.reserve(&new, &c.id).map_err(allocating)?;
            ix.release(&old, &c.id);
        }
        c.live().record.name.clone_from(&new);
        if let Err(e) = c.save().await {
            c.live().record.name.clone_from(&old);
            let mut ix = self.index();
            ix.release(&new, &c.id);
            if let Err(taken) = ix.reserve(&old, &c.id) {
                tracing::warn!(container = %c.id, error = %taken, "cannot give the old name back");
            }
            return Err(e);
        }
        // The embedded DNS answers to the new name from now on, as moby's rename updates the
        // sandbox's records.
        let (rec, endpoints) = {
            let l = c.live();
            let eps = l
                .run
                .as_ref()
                .map(|r| r.endpoints.clone())
                .unwrap_or_default();
            (l.record.clone(), eps)
        };
        self.dns_names(&rec, &endpoints);
        // moby's `ContainerRename`: after the save, with the old name (its `/` kept).
        self.event(&c, "rename", &[("oldName", old)]);
        Ok(())
    }
}
