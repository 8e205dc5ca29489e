//! The image store as the daemon uses it (backed by `graph`).

use hostcheck::Report;

use crate::dataroot::DataRoot;

/// The opened image store.
#[derive(Debug)]
pub struct ImageStore {
    driver: String,
    status: Vec<[String; 2]>,
}

impl ImageStore {
    /// Opens the store under the data root with the requested (or best supported) driver.
    pub fn open(_root: &DataRoot, driver: Option<&str>, host: &Report) -> anyhow::Result<Self> {
        let overlay = host.facts.overlay.unwrap_or(false)
            && host.data_root.as_ref().is_none_or(|fs| fs.d_type);
        let driver = driver.unwrap_or(if overlay { "overlay2" } else { "vfs" });
        let mut status = Vec::new();
        if let Some(fs) = &host.data_root {
            status.push(["Backing Filesystem".to_owned(), fs.backing_fs.clone()]);
            status.push(["Supports d_type".to_owned(), fs.d_type.to_string()]);
        }
        Ok(ImageStore {
            driver: driver.to_owned(),
            status,
        })
    }

    /// How many distinct images the store holds.
    pub fn count(&self) -> u64 {
        0
    }

    /// The storage driver's name.
    pub fn driver_name(&self) -> &str {
        &self.driver
    }

    /// The storage driver's details, as label/value pairs.
    pub fn driver_status(&self) -> Vec<[String; 2]> {
        self.status.clone()
    }
}
