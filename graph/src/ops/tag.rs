//! `docker tag`.

use crate::error::{Error, Result};
use crate::reference::Reference;
use crate::store::ImageStore;
use jiff::Timestamp;

impl ImageStore {
    /// Points `target` (`repo[:tag]`, `latest` by default) at the image `source` names,
    /// moving the tag if another image had it. Returns the tag set.
    pub fn tag(&self, source: &str, target: &str) -> Result<Reference> {
        let id = self.resolve(source)?;
        let r = Reference::parse_normalized(target)?;
        if r.digest().is_some() {
            return Err(Error::InvalidReference(
                "refusing to create a tag with a digest reference".to_string(),
            ));
        }
        if r.familiar_name() == "sha256" {
            return Err(Error::InvalidReference(
                "refusing to create an ambiguous tag using digest algorithm as name".to_string(),
            ));
        }
        let r = r.with_default_tag();
        let _guard = self.write_lock();
        let mut rec = self
            .catalog
            .image(&id)?
            .ok_or_else(|| Error::NotFound(source.to_string()))?;
        let mut txn = self.catalog.txn();
        match self.catalog.reference(&r)? {
            Some(old) if old == id => {}
            Some(old) => {
                txn.delete_ref(&r, &old);
                txn.set_ref(&r, &id);
            }
            None => txn.set_ref(&r, &id),
        }
        rec.last_tag_time = Some(Timestamp::now().to_string());
        txn.put_image(&id, &rec, None, false)?;
        txn.commit()?;
        Ok(r)
    }
}
