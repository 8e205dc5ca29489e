//! Writing a tree as a tar the way moby's `pkg/archive` (`TarWithOptions`, `addTarFile`) does:
//! entries in lexical order, directories named with a trailing `/`, the type bits in the mode
//! (`fillGo18FileTypeBits`), owners numeric without names, a regular file seen again through
//! another hard link written as a link to the first name, sockets left out. With
//! [`Whiteouts::Overlay`], overlayfs's whiteouts and opaque directories become the `.wh.` files
//! of a layer tar, as moby's `overlayWhiteoutConverter` writes them.
//!
//! Below the directory the walk starts from, everything is reached with `*at` calls that never
//! follow a final symbolic link, so a link in the tree is written as a link and never leads
//! the walk elsewhere.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::fcntl::{AtFlags, OFlag, openat, readlinkat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, fstatat, major, minor};

use crate::error::{Error, Result};

/// How overlayfs's whiteouts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Whiteouts {
    /// As what they are (a 0/0 character device): `docker cp`, `docker export`.
    Keep,
    /// As `.wh.<name>` and `.wh..wh..opq` files: a layer's tar.
    Overlay,
}

/// The `.wh.` prefix of a whiteout file.
pub(crate) const WHITEOUT_PREFIX: &str = ".wh.";
/// The one extended attribute moby writes into a tar.
const CAPABILITY: &str = "security.capability";

/// The file that marks an opaque directory.
pub(crate) const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// A tar being written from a tree.
pub(crate) struct TarWalker<'a> {
    tar: tar::Builder<&'a mut dyn Write>,
    /// The first name of each regular file with more than one link, by device and inode.
    seen: HashMap<(u64, u64), String>,
    whiteouts: Whiteouts,
    /// Entries left out, by tar name (`etc/hosts`).
    skip: &'static [&'static str],
}

fn write_err(e: io::Error) -> Error {
    Error::io("write tar", e)
}

/// moby's `fillGo18FileTypeBits`: the file type in the tar mode field, with the permission
/// and special bits.
fn tar_mode(st: &FileStat) -> u32 {
    let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
    let bits = match kind {
        SFlag::S_IFDIR => 0o040000,
        SFlag::S_IFLNK => 0o120000,
        SFlag::S_IFBLK => 0o060000,
        SFlag::S_IFCHR => 0o020000,
        SFlag::S_IFIFO => 0o010000,
        _ => 0o100000,
    };
    (st.st_mode & 0o7777) | bits
}

fn kind_of(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT
}

fn base_header(st: &FileStat) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_mode(tar_mode(st));
    h.set_uid(u64::from(st.st_uid));
    h.set_gid(u64::from(st.st_gid));
    h.set_mtime(u64::try_from(st.st_mtime).unwrap_or(0));
    h.set_size(0);
    h
}

impl<'a> TarWalker<'a> {
    /// A walker writing to `out` (its whiteouts kept as they are).
    pub(crate) fn new(out: &'a mut dyn Write) -> Self {
        TarWalker {
            tar: tar::Builder::new(out),
            seen: HashMap::new(),
            whiteouts: Whiteouts::Keep,
            skip: &[],
        }
    }

    /// A walker that writes overlayfs's whiteouts as a layer tar's `.wh.` files.
    /// Entries named in `skip` (tar names) are left out.
    pub(crate) fn for_layer(out: &'a mut dyn Write, skip: &'static [&'static str]) -> Self {
        TarWalker {
            whiteouts: Whiteouts::Overlay,
            skip,
            ..TarWalker::new(out)
        }
    }

    /// Writes the directory `dir` itself as `name` (`foo` becomes `foo/`), then everything below
    /// it as `name/...`.
    pub(crate) fn dir_tree(&mut self, dir: File, name: &str) -> Result<()> {
        let st = fstat(dir.as_fd()).map_err(|e| Error::io(format!("stat {name}"), e.into()))?;
        self.append(&st, name, None, io::empty())?;
        let prefix = if name.ends_with('/') {
            name.to_owned()
        } else {
            format!("{name}/")
        };
        self.children(dir, &prefix)
    }

    /// Writes every entry below `dir`, each named `prefix` + its path.
    pub(crate) fn children(&mut self, dir: File, prefix: &str) -> Result<()> {
        let fd = OwnedFd::from(dir);
        let listing = fd
            .try_clone()
            .map_err(|e| Error::io(format!("read {prefix}"), e))?;
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut d = nix::dir::Dir::from_fd(listing)
            .map_err(|e| Error::io(format!("read {prefix}"), e.into()))?;
        for entry in d.iter() {
            let entry = entry.map_err(|e| Error::io(format!("read {prefix}"), e.into()))?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(name.to_vec());
            }
        }
        drop(d);
        names.sort();
        for name in names {
            let tar_name = format!("{prefix}{}", String::from_utf8_lossy(&name));
            self.entry(fd.as_fd(), &name, &tar_name, true)?;
        }
        Ok(())
    }

    /// Writes `name` under `dir` as `tar_name`, and with `recurse` what is below it.
    pub(crate) fn entry(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        tar_name: &str,
        recurse: bool,
    ) -> Result<()> {
        if self.skip.contains(&tar_name) {
            return Ok(());
        }
        let what = |e: nix::Error| Error::io(format!("lstat {tar_name}"), e.into());
        let st = fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW).map_err(what)?;
        let open = |flags: OFlag| {
            openat(
                dir,
                name,
                flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map(File::from)
            .map_err(|e| Error::io(format!("open {tar_name}"), e.into()))
        };
        match kind_of(&st) {
            SFlag::S_IFSOCK => Ok(()),
            SFlag::S_IFDIR => {
                let d = open(OFlag::O_RDONLY | OFlag::O_DIRECTORY)?;
                self.append(&st, tar_name, None, io::empty())?;
                if self.whiteouts == Whiteouts::Overlay && is_opaque(&d) {
                    let mut h = tar::Header::new_ustar();
                    h.set_mode(st.st_mode & 0o777);
                    h.set_uid(u64::from(st.st_uid));
                    h.set_gid(u64::from(st.st_gid));
                    h.set_mtime(0);
                    h.set_size(0);
                    h.set_entry_type(tar::EntryType::Regular);
                    let path = format!("{tar_name}/{OPAQUE_MARKER}");
                    self.raw(&mut h, &path, None, io::empty())?;
                }
                if recurse {
                    self.children(d, &format!("{tar_name}/"))?;
                }
                Ok(())
            }
            SFlag::S_IFLNK => {
                let target = readlinkat(dir, name).map_err(what)?;
                self.append(&st, tar_name, Some(target.as_bytes()), io::empty())
            }
            SFlag::S_IFREG => {
                let key = (st.st_dev, st.st_ino);
                if st.st_nlink > 1 {
                    if let Some(first) = self.seen.get(&key).cloned() {
                        let mut h = base_header(&st);
                        h.set_entry_type(tar::EntryType::Link);
                        return self.raw(&mut h, tar_name, Some(first.as_bytes()), io::empty());
                    }
                    self.seen.insert(key, tar_name.to_owned());
                }
                let f = open(OFlag::O_RDONLY)?;
                // moby's `addTarFile` keeps a file's capabilities (`ping`'s `cap_net_raw`).
                if let Ok(Some(cap)) = xattr::FileExt::get_xattr(&f, CAPABILITY) {
                    let key = format!("SCHILY.xattr.{CAPABILITY}");
                    self.tar
                        .append_pax_extensions([(key.as_str(), cap.as_slice())])
                        .map_err(write_err)?;
                }
                let size = u64::try_from(st.st_size).unwrap_or(0);
                // A file that shrinks while it is read is padded, one that grows cut: the tar
                // stays well formed whatever the container does meanwhile.
                let data = f.take(size).chain(io::repeat(0)).take(size);
                self.append(&st, tar_name, None, data)
            }
            SFlag::S_IFCHR
                if self.whiteouts == Whiteouts::Overlay
                    && major(st.st_rdev) == 0
                    && minor(st.st_rdev) == 0 =>
            {
                let mut h = tar::Header::new_ustar();
                h.set_mode(0o600);
                h.set_uid(u64::from(st.st_uid));
                h.set_gid(u64::from(st.st_gid));
                h.set_mtime(u64::try_from(st.st_mtime).unwrap_or(0));
                h.set_size(0);
                h.set_entry_type(tar::EntryType::Regular);
                let (parent, base) = super::path::go_split(tar_name);
                let path = format!("{parent}{WHITEOUT_PREFIX}{base}");
                self.raw(&mut h, &path, None, io::empty())
            }
            _ => self.append(&st, tar_name, None, io::empty()),
        }
    }

    /// A whiteout entry for a deleted path (moby's `ExportChanges`).
    pub(crate) fn whiteout(&mut self, deleted: &str) -> Result<()> {
        let (parent, base) = super::path::go_split(deleted);
        let mut h = tar::Header::new_ustar();
        h.set_mode(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Regular);
        let now = jiff::Timestamp::now().as_second();
        h.set_mtime(u64::try_from(now).unwrap_or(0));
        let path = format!("{parent}{WHITEOUT_PREFIX}{base}");
        self.raw(&mut h, &path, None, io::empty())
    }

    fn append(
        &mut self,
        st: &FileStat,
        name: &str,
        link: Option<&[u8]>,
        data: impl Read,
    ) -> Result<()> {
        let mut h = base_header(st);
        let kind = kind_of(st);
        let entry_type = match kind {
            SFlag::S_IFDIR => tar::EntryType::Directory,
            SFlag::S_IFLNK => tar::EntryType::Symlink,
            SFlag::S_IFBLK => tar::EntryType::Block,
            SFlag::S_IFCHR => tar::EntryType::Char,
            SFlag::S_IFIFO => tar::EntryType::Fifo,
            _ => tar::EntryType::Regular,
        };
        h.set_entry_type(entry_type);
        if matches!(kind, SFlag::S_IFBLK | SFlag::S_IFCHR) {
            let dev = |n: u64| u32::try_from(n).unwrap_or(0);
            h.set_device_major(dev(major(st.st_rdev)))
                .and_then(|()| h.set_device_minor(dev(minor(st.st_rdev))))
                .map_err(write_err)?;
        }
        let mut name = name.to_owned();
        if kind == SFlag::S_IFDIR && !name.ends_with('/') {
            name.push('/');
        }
        if link.is_none() && kind == SFlag::S_IFREG {
            h.set_size(u64::try_from(st.st_size).unwrap_or(0));
        }
        self.raw(&mut h, &name, link, data)
    }

    /// Appends `h` named `name` exactly as given (moby's names may start with `./` or `/`,
    /// which the `tar` crate's path setters would rewrite), with GNU long-name records when
    /// the name or link does not fit the header, as Go's reader and every client read them.
    fn raw(
        &mut self,
        h: &mut tar::Header,
        name: &str,
        link: Option<&[u8]>,
        data: impl Read,
    ) -> Result<()> {
        let long = |tar: &mut tar::Builder<&mut dyn Write>, kind: u8, value: &[u8]| {
            let mut l = tar::Header::new_gnu();
            put(&mut l.as_old_mut().name, b"././@LongLink");
            l.set_mode(0o644);
            l.set_uid(0);
            l.set_gid(0);
            l.set_mtime(0);
            l.set_size(value.len() as u64 + 1);
            l.set_entry_type(tar::EntryType::new(kind));
            l.set_cksum();
            tar.append(&l, value.chain(&[0u8][..])).map_err(write_err)
        };
        let old = h.as_old_mut();
        if name.len() > old.name.len() {
            long(&mut self.tar, b'L', name.as_bytes())?;
        }
        put(&mut h.as_old_mut().name, name.as_bytes());
        if let Some(target) = link {
            if target.len() > h.as_old().linkname.len() {
                long(&mut self.tar, b'K', target)?;
            }
            put(&mut h.as_old_mut().linkname, target);
        }
        h.set_cksum();
        self.tar.append(h, data).map_err(write_err)
    }

    /// Writes the end of the archive.
    pub(crate) fn finish(self) -> Result<()> {
        let out = self.tar.into_inner().map_err(write_err)?;
        out.flush().map_err(write_err)
    }
}

/// Copies as much of `value` as fits into a header field (the rest is in a long-name record).
fn put(field: &mut [u8], value: &[u8]) {
    let n = value.len().min(field.len());
    field.fill(0);
    field[..n].copy_from_slice(&value[..n]);
}

/// True if `dir` is an opaque directory of an overlay upper layer.
pub(crate) fn is_opaque(dir: &File) -> bool {
    matches!(
        xattr::FileExt::get_xattr(dir, "trusted.overlay.opaque"),
        Ok(Some(v)) if v == b"y"
    )
}
