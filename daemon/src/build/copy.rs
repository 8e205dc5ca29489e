//! COPY and ADD: the sources gathered into one tar (from the context through
//! `graph::tree::Root`, or from another image's tree as `docker cp` reads it) with their
//! checksum, then placed: renamed to the destination, owner and mode set, and extracted into
//! the step's container as `docker cp` extracts (or into an empty directory on scratch).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use api::backend::{ByteStream, ExtractOptions};
use graph::tree::Root;
use nix::fcntl::OFlag;
use sha2::{Digest, Sha256};

use super::context::Files;
use super::steps::Failure;
use crate::blocking::blocking;
use crate::containers::Containers;
use crate::images::bridge;

/// Where the sources are read from.
pub(super) enum CopySource {
    /// The build context (its index, and its files once extracted).
    Context(Arc<Files>),
    /// The tree of a (never started) container of another stage or image.
    Container(Containers, String),
}

/// One source, as gathered.
#[derive(Debug, Clone)]
struct Item {
    /// Its last path element.
    base: String,
    /// A directory: its contents are copied.
    dir: bool,
    /// ADD of a local tar archive: its entries are extracted.
    archive: bool,
}

/// The gathered sources: a tar whose entries are `<index>/<path below the source>` (none
/// when only the checksum was asked for).
#[derive(Debug)]
pub(super) struct Gathered {
    tar: Option<TempFile>,
    items: Vec<Item>,
    /// `file:<sha256>`, `dir:<sha256>` or `multi:<sha256>`, as history shows it.
    pub(super) hash: String,
}

/// A file removed on drop.
#[derive(Debug)]
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// How gathered sources land.
#[derive(Debug, Clone)]
pub(super) struct Placement {
    /// The absolute destination; a trailing `/` makes it a directory.
    pub(super) dest: String,
    /// `--chown` (root when `None`).
    pub(super) owner: Option<(u32, u32)>,
    /// `--chmod`.
    pub(super) mode: Option<u32>,
}

/// `--chmod=NNN` (octal).
pub(super) fn parse_chmod(s: &str) -> Result<Option<u32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    u32::from_str_radix(s, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .map(Some)
        .ok_or_else(|| format!("invalid chmod parameter: {s}"))
}

/// Go's `filepath.Match` characters: a source with one is a pattern.
pub(super) fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// A shell pattern of one path element as a regular expression.
pub(super) fn glob(pattern: &str) -> Option<regex::Regex> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'^') || chars.peek() == Some(&'!') {
                    chars.next();
                    re.push('^');
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    if c == '\\' || c == '[' {
                        re.push('\\');
                    }
                    re.push(c);
                }
                re.push(']');
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    re.push_str(&regex::escape(&n.to_string()));
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).ok()
}

/// The context paths a pattern matches (in its last element), sorted.
fn expand(root: &Root, pattern: &str) -> Vec<String> {
    let clean = graph::tree::container_path(pattern);
    let (dir, last) = match clean.rsplit_once('/') {
        Some((d, l)) => (if d.is_empty() { "/" } else { d }, l),
        None => ("/", clean.as_str()),
    };
    let Some(re) = glob(last) else {
        return Vec::new();
    };
    let Ok(fd) = root.open_fd(dir, OFlag::O_RDONLY | OFlag::O_DIRECTORY) else {
        return Vec::new();
    };
    let Ok(mut d) = nix::dir::Dir::from_fd(fd) else {
        return Vec::new();
    };
    let mut out: Vec<String> = d
        .iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().ok().map(str::to_owned))
        .filter(|n| n != "." && n != ".." && re.is_match(n))
        .map(|n| format!("{}/{n}", dir.trim_end_matches('/')))
        .collect();
    out.sort();
    out
}

/// Gathers `sources` from `source` into one tar beside the context directory, or with
/// `write` false only computes their checksum (what the cache needs: a cached step copies
/// nothing), from the context's index when it can answer (no file read).
pub(super) async fn gather(
    source: &CopySource,
    sources: &[String],
    add: bool,
    name: &str,
    ctx_dir: &Path,
    write: bool,
) -> Result<Gathered, Failure> {
    if let (false, CopySource::Context(files)) = (write, source)
        && let Some(hash) = super::checksum::from_index(files, sources)
    {
        return Ok(Gathered {
            tar: None,
            items: Vec::new(),
            hash,
        });
    }
    let (tar, mut out) = if write {
        let id = crate::containers::random_hex_id()?;
        let path = ctx_dir.with_extension(format!("copy-{}.tar", &id[..12]));
        let file = std::fs::File::create(&path).map_err(|e| Failure::from(e.to_string()))?;
        (
            Some(TempFile(path)),
            Some(tar::Builder::new(std::io::BufWriter::new(file))),
        )
    } else {
        (None, None)
    };
    let mut hasher = Sha256::new();
    let mut items = Vec::new();
    match source {
        CopySource::Context(files) => {
            let root = &Arc::new(files.root()?);
            let mut paths = Vec::new();
            for s in sources {
                if is_pattern(s) {
                    paths.extend(expand(root, s));
                } else {
                    paths.push(graph::tree::container_path(s));
                }
            }
            if paths.is_empty() {
                return Err(Failure::from(format!(
                    "{name} failed: no source files were specified"
                )));
            }
            for (i, p) in paths.iter().enumerate() {
                let root = Arc::clone(root);
                let shown = p.trim_start_matches('/').to_owned();
                let (p, name) = (p.clone(), name.to_owned());
                let (mut o, mut h) = (out, hasher);
                let (item, o, h) = blocking(move || {
                    let item = root
                        .stat(&p)
                        .map_err(|_| {
                            Failure::from(format!(
                                "{name} failed: file not found in build context or excluded by .dockerignore: stat {shown}: file does not exist"
                            ))
                        })
                        .and_then(|stat| {
                            let (mut reader, mut writer) =
                                std::io::pipe().map_err(|e| Failure::from(e.to_string()))?;
                            let producer = std::thread::spawn(move || {
                                let mut w = std::io::BufWriter::new(&mut writer);
                                root.archive(&p, &stat, &mut w)
                            });
                            let item = append(&mut reader, i, add, o.as_mut(), &mut h);
                            // The reader goes first: a producer still writing then ends.
                            drop(reader);
                            let _ = producer.join();
                            item
                        });
                    (item, o, h)
                })
                .await?;
                out = o;
                hasher = h;
                items.push(item?);
            }
        }
        CopySource::Container(containers, id) => {
            for (i, s) in sources.iter().enumerate() {
                let (_, stream) = containers.archive_path(id, s).await.map_err(|_| {
                    Failure::from(format!("{name} failed: stat {s}: file does not exist"))
                })?;
                let mut reader = bridge::reader(stream);
                let (item, o, h) = {
                    let mut o = out;
                    let mut h = hasher;
                    blocking(move || {
                        let item = append(&mut reader, i, false, o.as_mut(), &mut h);
                        (item, o, h)
                    })
                    .await?
                };
                out = o;
                hasher = h;
                items.push(item?);
            }
        }
    }
    if let Some(mut out) = out {
        out.finish().map_err(|e| Failure::from(e.to_string()))?;
        out.into_inner()
            .map_err(|e| Failure::from(e.to_string()))?
            .flush()
            .map_err(|e| Failure::from(e.to_string()))?;
    }
    let kind = match items.as_slice() {
        [one] if one.dir => "dir",
        [_] => "file",
        _ => "multi",
    };
    let hash = format!("{kind}:{}", hex::encode(hasher.finalize()));
    Ok(Gathered { tar, items, hash })
}

/// The tar being gathered.
type Out = tar::Builder<std::io::BufWriter<std::fs::File>>;

/// A reader that hashes what passes through it.
struct Hashing<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Appends the `docker cp`-style tar `input` (entries named after the source's last element)
/// as source `index` to `out` (if any), hashing names, types, modes, links, sizes and contents
/// (not times or owners) as they stream through.
fn append(
    input: &mut dyn Read,
    index: usize,
    add: bool,
    mut out: Option<&mut Out>,
    hasher: &mut Sha256,
) -> Result<Item, Failure> {
    let bad = |e: std::io::Error| Failure::from(e.to_string());
    let mut archive = tar::Archive::new(input);
    let mut item: Option<Item> = None;
    let mut base = String::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let rest = match &item {
            None => {
                base = name.trim_end_matches('/').to_owned();
                let dir = entry.header().entry_type().is_dir();
                let last = base.rsplit('/').next().unwrap_or_default().to_owned();
                item = Some(Item {
                    base: last,
                    dir,
                    archive: false,
                });
                String::new()
            }
            Some(_) => name
                .strip_prefix(&base)
                .unwrap_or(&name)
                .trim_start_matches('/')
                .to_owned(),
        };
        let mut header = entry.header().clone();
        let link = entry.link_name_bytes().map(|l| l.into_owned());
        // The first bytes say whether ADD extracts the file.
        let mut head = Vec::new();
        if header.entry_type().is_file() {
            (&mut entry).take(512).read_to_end(&mut head).map_err(bad)?;
        }
        if rest.is_empty()
            && add
            && let Some(it) = item.as_mut()
            && !it.dir
            && is_archive(&head)
        {
            it.archive = true;
        }
        hasher.update(rest.as_bytes());
        hasher.update([0, header.entry_type().as_byte()]);
        hasher.update(header.mode().unwrap_or(0).to_le_bytes());
        hasher.update(link.as_deref().unwrap_or_default());
        hasher.update(header.size().unwrap_or(0).to_le_bytes());
        let mut data = Hashing {
            inner: head.as_slice().chain(&mut entry),
            hasher: &mut *hasher,
        };
        let path = if rest.is_empty() {
            format!("{index}")
        } else {
            format!("{index}/{rest}")
        };
        match out.as_deref_mut() {
            Some(out) => out
                .append_data(&mut header, &path, &mut data)
                .map_err(bad)?,
            None => {
                std::io::copy(&mut data, &mut std::io::sink()).map_err(bad)?;
            }
        }
    }
    item.ok_or_else(|| Failure::from("the source is empty"))
}

/// A plain or gzip-compressed tar (what ADD extracts).
fn is_archive(data: &[u8]) -> bool {
    if data.starts_with(&[0x1f, 0x8b]) {
        return true;
    }
    data.len() >= 262 && &data[257..262] == b"ustar"
}

/// Writes the placed tar: every entry renamed to its destination (relative to `/`).
fn place(
    g: &Gathered,
    spec: &Placement,
    dest_is_dir: bool,
    out_path: &Path,
) -> Result<(), Failure> {
    let bad = |e: std::io::Error| Failure::from(e.to_string());
    let tar = g
        .tar
        .as_ref()
        .ok_or_else(|| Failure::from("nothing was gathered"))?;
    let input = std::fs::File::open(&tar.0).map_err(bad)?;
    let out = std::fs::File::create(out_path).map_err(bad)?;
    let mut out = tar::Builder::new(std::io::BufWriter::new(out));
    let several = g.items.len() > 1;
    let dest = spec.dest.trim_end_matches('/');
    let dir_of =
        |it: &Item| it.dir || it.archive || several || dest_is_dir || spec.dest.ends_with('/');
    let (uid, gid) = spec.owner.unwrap_or((0, 0));
    let mut archive = tar::Archive::new(std::io::BufReader::new(input));
    let mut put = |header: &mut tar::Header, path: &str, data: &mut dyn Read, keep_owner: bool| {
        if !(keep_owner && spec.owner.is_none()) {
            header.set_uid(u64::from(uid));
            header.set_gid(u64::from(gid));
        }
        if let Some(m) = spec.mode {
            header.set_mode(m);
        }
        let rel = path.trim_start_matches('/');
        if rel.is_empty() {
            return Ok(());
        }
        if header.entry_type().is_symlink() || header.entry_type().is_hard_link() {
            let link = header.link_name().ok().flatten().map(|l| l.into_owned());
            if let Some(l) = link {
                return out.append_link(header, rel, l);
            }
        }
        out.append_data(header, rel, data)
    };
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let (idx, rest) = name.split_once('/').unwrap_or((&name, ""));
        let Some(item) = idx.parse::<usize>().ok().and_then(|i| g.items.get(i)) else {
            continue;
        };
        let mut header = entry.header().clone();
        if item.archive {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(bad)?;
            let plain: Box<dyn Read> = if data.starts_with(&[0x1f, 0x8b]) {
                Box::new(flate2::read::GzDecoder::new(std::io::Cursor::new(data)))
            } else {
                Box::new(std::io::Cursor::new(data))
            };
            let mut inner = tar::Archive::new(plain);
            for e in inner.entries().map_err(bad)? {
                let mut e = e.map_err(bad)?;
                let n = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                let mut h = e.header().clone();
                let path = format!("{dest}/{}", n.trim_start_matches("./"));
                put(&mut h, &path, &mut e, true).map_err(bad)?;
            }
            continue;
        }
        let path = match (item.dir, rest.is_empty()) {
            // The source directory itself: the destination directory, made with the owner.
            (true, true) => {
                if spec.owner.is_none() && spec.mode.is_none() {
                    continue;
                }
                header.set_mode(0o755);
                dest.to_owned()
            }
            (true, false) => format!("{dest}/{rest}"),
            (false, _) if dir_of(item) => format!("{dest}/{}", item.base),
            (false, _) => dest.to_owned(),
        };
        put(&mut header, &path, &mut entry, false).map_err(bad)?;
    }
    out.finish().map_err(bad)?;
    Ok(())
}

/// Where the placed tar of `g` is written.
fn placed_path(g: &Gathered) -> Result<PathBuf, Failure> {
    let tar = g
        .tar
        .as_ref()
        .ok_or_else(|| Failure::from("nothing was gathered"))?;
    Ok(tar.0.with_extension("placed.tar"))
}

/// Places the sources into `dir`, an empty layer directory (a step on scratch).
pub(super) async fn place_in_dir(
    g: &Gathered,
    spec: &Placement,
    dir: &Path,
) -> Result<(), Failure> {
    let placed = TempFile(placed_path(g)?);
    place(g, spec, false, &placed.0)?;
    let (path, dir) = (placed.0.clone(), dir.to_path_buf());
    blocking(move || {
        let root = Root::open(&dir).map_err(|e| Failure::from(e.to_string()))?;
        let mut f = std::fs::File::open(&path).map_err(|e| Failure::from(e.to_string()))?;
        let opts = graph::tree::ExtractOptions {
            no_overwrite_dir_non_dir: false,
            chown: None,
        };
        root.extract("/", &mut f, &opts)
            .map_err(|e| Failure::from(e.to_string()))
    })
    .await?
}

/// Places the sources into the container `id` (`docker cp`'s extraction into `/`).
pub(super) async fn place_in_container(
    g: &Gathered,
    spec: &Placement,
    containers: &Containers,
    id: &str,
) -> Result<(), Failure> {
    let dest_is_dir = match containers.stat_path(id, &spec.dest).await {
        Ok(st) => st.mode & (1 << 31) != 0,
        Err(_) => false,
    };
    let placed = TempFile(placed_path(g)?);
    place(g, spec, dest_is_dir, &placed.0)?;
    let body = file_stream(placed.0.clone()).map_err(|e| Failure::from(e.to_string()))?;
    let opts = ExtractOptions {
        path: "/".into(),
        no_overwrite_dir_non_dir: false,
        copy_uid_gid: false,
    };
    containers
        .extract_to_dir(id, opts, body)
        .await
        .map_err(|e| Failure::from(e.to_string()))?;
    drop(placed);
    Ok(())
}

/// A file as a request body, read in 1 MiB pieces on the blocking pool.
fn file_stream(path: PathBuf) -> std::io::Result<ByteStream> {
    let file = std::fs::File::open(path)?;
    let stream = futures::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; 1 << 20];
            let n = file.read(&mut buf);
            (
                n.map(|n| {
                    buf.truncate(n);
                    buf
                }),
                file,
            )
        })
        .await;
        match read {
            Ok((Ok(buf), _)) if buf.is_empty() => None,
            Ok((Ok(buf), file)) => Some((Ok(bytes::Bytes::from(buf)), Some(file))),
            Ok((Err(e), _)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    Ok(Box::pin(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_flags() {
        let re = glob("*.txt").expect("glob");
        assert!(re.is_match("a.txt") && !re.is_match("a.txz"));
        let re = glob("f[0-9]?").expect("glob");
        assert!(re.is_match("f1x") && !re.is_match("fax"));
        assert_eq!(parse_chmod("755"), Ok(Some(0o755)));
        assert!(parse_chmod("9").is_err());
    }
}
