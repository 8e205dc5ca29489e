//! Storage drivers: how a layer's files sit on disk.
//!
//! Both drivers keep each layer in `<root>/<driver>/<cache id>/diff`. They differ in what that
//! directory holds and in how whiteouts are stored:
//!
//! - `overlay2`: only the layer's own changes; a deleted file is a character device 0/0 and an
//!   opaque directory carries `trusted.overlay.opaque=y`, which is what overlayfs reads when the
//!   layers are stacked as `lowerdir`s.
//! - `vfs`: a full copy of the parent's tree with the layer applied on top; whiteouts delete.

mod fsmagic;

use std::path::Path;

use crate::error::{Error, Result};

/// The storage drivers this store implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverKind {
    /// Layers stacked by overlayfs.
    Overlay2,
    /// Plain directory copies; works everywhere.
    Vfs,
}

/// How the extractor represents whiteouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhiteoutMode {
    /// Store them as overlayfs expects (char device 0/0, opaque xattr).
    Overlay,
    /// Apply them: delete from the copied parent tree.
    Delete,
}

/// The xattr that marks an opaque directory for overlayfs.
pub const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

impl DriverKind {
    /// Picks the driver as Docker does: the explicit name if given, else overlay2 when the host
    /// supports it, else vfs.
    pub fn choose(explicit: Option<&str>, overlay_supported: bool) -> Result<DriverKind> {
        match explicit {
            Some("overlay2") if overlay_supported => Ok(DriverKind::Overlay2),
            Some("overlay2") => Err(Error::Unsupported(
                "error initializing graphdriver: driver not supported: overlay2".to_string(),
            )),
            Some("vfs") => Ok(DriverKind::Vfs),
            Some(other) => Err(Error::Unsupported(format!(
                "unsupported storage driver: {other} (supported: overlay2, vfs)"
            ))),
            None if overlay_supported => Ok(DriverKind::Overlay2),
            None => Ok(DriverKind::Vfs),
        }
    }

    /// The driver's name, as `/info` shows it.
    pub fn name(self) -> &'static str {
        match self {
            DriverKind::Overlay2 => "overlay2",
            DriverKind::Vfs => "vfs",
        }
    }

    pub(crate) fn whiteouts(self) -> WhiteoutMode {
        match self {
            DriverKind::Overlay2 => WhiteoutMode::Overlay,
            DriverKind::Vfs => WhiteoutMode::Delete,
        }
    }

    /// True if a layer's directory is built on a copy of its parent's.
    pub(crate) fn copies_parent(self) -> bool {
        self == DriverKind::Vfs
    }

    /// `DriverStatus` pairs as Docker's `/info` shows them for this driver with its data under
    /// `root`.
    pub fn status(self, root: &Path) -> Vec<(String, String)> {
        match self {
            DriverKind::Vfs => Vec::new(),
            DriverKind::Overlay2 => vec![
                ("Backing Filesystem".to_string(), fsmagic::backing_fs(root)),
                (
                    "Supports d_type".to_string(),
                    fsmagic::supports_d_type(root).to_string(),
                ),
                // Layers are extracted straight into their diff directories, which is what
                // Docker calls a native diff.
                ("Native Overlay Diff".to_string(), "true".to_string()),
                ("userxattr".to_string(), "false".to_string()),
            ],
        }
    }
}
