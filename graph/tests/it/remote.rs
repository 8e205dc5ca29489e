//! An image as a registry would serve it, and pulling it: shared by the pull, push and pull
//! crash tests.

use std::sync::Arc;
use std::sync::mpsc;

use graph::{BlobSource, Digest, DriverKind, ImageStore, Pull, Reference};

use crate::helpers::*;
use crate::roundtrip::rich_layer;

/// An image as a registry serves it: its config and its layers, each as a tar and as the
/// blob it is sent as.
pub struct Remote {
    pub config: Vec<u8>,
    pub tars: Vec<Vec<u8>>,
    pub blobs: Vec<Vec<u8>>,
}

impl Remote {
    /// `tars` sent as plain, gzip, zstd, plain, ... blobs.
    pub fn new(tars: Vec<Vec<u8>>, salt: &str) -> Remote {
        let refs: Vec<&[u8]> = tars.iter().map(Vec::as_slice).collect();
        let config = config(&refs, salt);
        let blobs = tars
            .iter()
            .enumerate()
            .map(|(i, t)| match i % 3 {
                0 => t.clone(),
                1 => gzip(t),
                _ => zstd::encode_all(t.as_slice(), 3).expect("zstd"),
            })
            .collect();
        Remote {
            config,
            tars,
            blobs,
        }
    }

    /// A base layer, a rich one (every entry kind, hostile-looking names) and one with
    /// whiteouts and an opaque directory.
    pub fn three_layers(salt: &str) -> Remote {
        let top = RawTar::new()
            .dir("etc/")
            .file("etc/.wh.passwd", b"")
            .file("etc/new", b"n")
            .dir("app/")
            .dir("app/data/")
            .file("app/data/.wh..wh..opq", b"")
            .file("app/data/fresh", b"fresh")
            .finish();
        Remote::new(vec![base_layer(), rich_layer(), top], salt)
    }

    pub fn archive(&self, tag: &str) -> Vec<u8> {
        docker_archive(&[Img {
            config: self.config.clone(),
            layers: self.tars.iter().map(Vec::as_slice).collect(),
            tags: vec![tag],
        }])
    }

    pub fn sources(&self, repo: &Reference) -> Vec<BlobSource> {
        self.blobs
            .iter()
            .map(|b| BlobSource::new(Digest::of(b), repo))
            .collect()
    }

    /// Stages layer `index` of `p` from this image's blob `blob`, without progress.
    pub fn stage_as(&self, p: &Pull, index: usize, blob: usize) -> graph::Result<()> {
        p.stage_layer(index, &mut self.blobs[blob].as_slice(), &mut |_| {})
    }

    /// Stages layer `index` of `p` from its blob.
    pub fn stage(&self, p: &Pull, index: usize) -> graph::Result<()> {
        self.stage_as(p, index, index)
    }

    /// The digest reference of a made-up manifest of this image in `repo`.
    pub fn digest_ref(&self, repo: &str) -> Reference {
        let manifest = Digest::of(&[self.config.as_slice(), b"manifest"].concat());
        reference(&format!("{repo}@{manifest}"))
    }
}

pub fn reference(s: &str) -> Reference {
    Reference::parse_normalized(s).expect(s)
}

pub fn arc_store(driver: DriverKind) -> (tempfile::TempDir, Arc<ImageStore>) {
    let (d, s) = store(driver);
    (d, Arc::new(s))
}

/// A fresh store and the three-layer image, its pull begun.
pub fn fresh_pull(
    driver: DriverKind,
    salt: &str,
) -> (tempfile::TempDir, Arc<ImageStore>, Remote, Pull) {
    let (d, s) = arc_store(driver);
    let remote = Remote::three_layers(salt);
    let p = s.begin_pull(&remote.config).expect("begin");
    (d, s, remote, p)
}

/// Stages every missing layer of `pull`, each on a thread of its own, top layer first.
pub fn stage_all(pull: &Pull, remote: &Remote) {
    std::thread::scope(|s| {
        let handles: Vec<_> = pull
            .missing()
            .into_iter()
            .rev()
            .map(|i| {
                let blob = &remote.blobs[i];
                s.spawn(move || pull.stage_layer(i, &mut blob.as_slice(), &mut |_| {}))
            })
            .collect();
        for h in handles {
            h.join().expect("no panic").expect("stage");
        }
    });
}

/// Pulls `remote` as `repo:tag` with its digest reference.
pub fn pull(s: &Arc<ImageStore>, remote: &Remote, repo: &str, tag: &str) -> graph::Pulled {
    let p = s.begin_pull(&remote.config).expect("begin");
    stage_all(&p, remote);
    let tag = reference(&format!("{repo}:{tag}"));
    p.commit(
        &[tag],
        Some(&remote.digest_ref(repo)),
        &remote.sources(&reference(repo)),
    )
    .expect("commit")
}

/// The store is consistent and nothing is left in staging.
pub fn assert_clean(s: &ImageStore) {
    assert_eq!(s.check().expect("check"), Vec::<String>::new());
    assert!(staging(s).is_empty(), "{:?}", staging(s));
}

pub fn staging(s: &ImageStore) -> Vec<String> {
    tree(&s.root().join("image").join(s.driver()).join("staging"))
}

pub fn diff_ids_of(remote: &Remote) -> Vec<Digest> {
    remote.tars.iter().map(|t| Digest::of(t)).collect()
}

/// A reader of the pieces sent on a channel, until the sender is gone.
pub struct Pieces {
    pub rx: mpsc::Receiver<Vec<u8>>,
    pub cur: std::io::Cursor<Vec<u8>>,
}

impl std::io::Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.cur.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            match self.rx.recv() {
                Ok(piece) => self.cur = std::io::Cursor::new(piece),
                Err(_) => return Ok(0),
            }
        }
    }
}
