//! Where the bench writes: a fresh ext4 file system of its own (journalled, `mkfs.ext4`'s
//! defaults, as on a stock Debian host), loop-mounted for the run and removed afterwards, also
//! on failure or Ctrl-C. Every daemon's state, the fixtures, the seeded store and the `tar -x`
//! trees are made in it ([`tempdir`]); the helper programs get it as `TMPDIR`.
//!
//! Why: this machine kind's root file system is ext4 without a journal, where ext4 checks each
//! inode it hands out for a recent deletion (`recently_deleted`), a slow buffer-cache lookup
//! here. Creating files costs up to 10x more right after other files were deleted, so a load or
//! a `tar -x` of the same layer varied 4-fold with what the previous run (or anyone on the
//! machine) had just removed. On a journalled file system the check is off, and the same `tar
//! -x` takes the same time run after run. `--no-scratch-fs` writes to `$TMPDIR` instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};
use tempfile::{NamedTempFile, TempDir};

use crate::run_checked;

/// The scratch file system's size (a sparse file: only what is written takes space).
const SIZE: u64 = 16 << 30;
/// Where the image file goes (the root file system, beside `/tmp`).
const IMAGE_DIR: &str = "/var/tmp";

static BASE: OnceLock<PathBuf> = OnceLock::new();

/// A temp dir for the bench, in the scratch file system when there is one (removed on drop).
pub fn tempdir(prefix: &str) -> Result<TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    Ok(match BASE.get() {
        Some(base) => b.tempdir_in(base)?,
        None => b.tempdir()?,
    })
}

/// The directory temp dirs go to, for helper programs' `TMPDIR`.
pub fn base() -> PathBuf {
    BASE.get().cloned().unwrap_or_else(std::env::temp_dir)
}

/// The mounted scratch file system; unmounted and deleted on drop.
pub struct ScratchFs {
    mountpoint: TempDir,
    mounted: bool,
    /// Dropped after the unmount: deleting the image file.
    _image: NamedTempFile,
}

impl ScratchFs {
    /// Makes the file system, mounts it on a temp dir, and sends [`tempdir`] there.
    pub fn mount() -> Result<ScratchFs> {
        let image = tempfile::Builder::new()
            .prefix("wharf-bench-fs-")
            .suffix(".img")
            .tempfile_in(IMAGE_DIR)
            .with_context(|| format!("creating the scratch file system's image in {IMAGE_DIR}"))?;
        image.as_file().set_len(SIZE)?;
        // Inode tables and journal written now, not by a kernel thread during the runs.
        run_checked(
            Command::new("mkfs.ext4")
                .args(["-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0"])
                .arg(image.path()),
        )?;
        let mountpoint = tempfile::Builder::new()
            .prefix("wharf-bench-fs-")
            .tempdir()?;
        let mut fs = ScratchFs {
            mountpoint,
            mounted: false,
            _image: image,
        };
        // `-o loop` sets the loop device to detach itself when unmounted.
        run_checked(
            Command::new("mount")
                .args(["-t", "ext4", "-o", "loop"])
                .arg(fs._image.path())
                .arg(fs.mountpoint.path()),
        )?;
        fs.mounted = true;
        let _ = BASE.set(fs.mountpoint.path().to_path_buf());
        Ok(fs)
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.mountpoint.path()
    }
}

impl Drop for ScratchFs {
    fn drop(&mut self) {
        if !self.mounted {
            return;
        }
        let path = self.mountpoint.path();
        for _ in 0..50 {
            let ok = Command::new("umount")
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "xtask bench: {} is still busy after 5 s; detaching it lazily",
            path.display()
        );
        let _ = Command::new("umount").arg("-l").arg(path).status();
    }
}
