//! Pulls killed at random moments (SIGKILL while a layer streams in, or at each step of the
//! commit): the store reopens with nothing or the whole image, and the same pull succeeds.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use graph::{Digest, DriverKind};

use crate::helpers::*;
use crate::remote::{Remote, pull, reference, stage_all, staging};

const CHILD_ENV: &str = "WHARF_GRAPH_PULL_CRASH_CHILD";

fn remote() -> Remote {
    Remote::three_layers("crash")
}

/// Reads `data`, killing the process once `at` bytes were read.
struct KillAt<'a> {
    data: &'a [u8],
    at: usize,
}

impl Read for KillAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == 0 {
            kill_self();
        }
        let n = buf.len().min(self.data.len()).min(self.at).min(7000);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.at -= n;
        Ok(n)
    }
}

/// The child side: runs only when the parent set the environment. `kill` is a commit step,
/// `after-pull-returned`, or `<layer>:<bytes>` (killed while that layer streams in, the
/// others staging beside it).
#[test]
fn pull_crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (root, rest) = spec.split_once(';').expect("root");
    let (driver, kill) = rest.split_once(';').expect("driver");
    let driver = match driver {
        "vfs" => DriverKind::Vfs,
        _ => DriverKind::Overlay2,
    };
    let remote = remote();
    let mut s = open(Path::new(root), driver);
    let point = kill.to_string();
    s.set_fault_hook(Box::new(move |p| {
        if p == point {
            kill_self();
        }
    }));
    let s = Arc::new(s);
    let p = s.begin_pull(&remote.config).expect("begin");
    if let Some((layer, at)) = kill.split_once(':') {
        let (layer, at): (usize, usize) = (layer.parse().expect("layer"), at.parse().expect("at"));
        std::thread::scope(|scope| {
            for i in p.missing() {
                let (p, blob) = (&p, &remote.blobs[i]);
                scope.spawn(move || {
                    let mut input = KillAt {
                        data: blob,
                        at: if i == layer { at } else { usize::MAX },
                    };
                    p.stage_layer(i, &mut input, &mut |_| {})
                });
            }
        });
    } else {
        stage_all(&p, &remote);
    }
    p.commit(
        &[reference("crash:1")],
        Some(&remote.digest_ref("crash")),
        &remote.sources(&reference("crash")),
    )
    .expect("commit");
    if kill == "after-pull-returned" {
        kill_self();
    }
}

fn assert_nothing_or_everything_then_retry(root: &Path, driver: DriverKind, ctx: &str) {
    let remote = remote();
    let s = Arc::new(open(root, driver));
    assert_eq!(s.check().expect("check"), Vec::<String>::new(), "{ctx}");
    assert!(staging(&s).is_empty(), "{ctx}");
    let n = s.image_count().expect("count");
    assert!(n <= 1, "{ctx}");
    // The metadata is committed with the image, in the same batch.
    let known = s
        .diff_id_for_blob(&Digest::of(&remote.blobs[2]))
        .expect("read");
    assert_eq!(known.is_some(), n == 1, "{ctx}");
    if n == 1 {
        assert_eq!(s.resolve("crash:1").expect(ctx), image_id(&remote.config));
        let digest = remote.digest_ref("crash").familiar();
        assert_eq!(
            s.list(false).expect("list")[0].repo_digests,
            [digest],
            "{ctx}"
        );
    }
    let pulled = pull(&s, &remote, "crash", "1");
    assert_eq!(pulled.id, image_id(&remote.config), "{ctx}");
    assert_eq!(s.check().expect("check"), Vec::<String>::new(), "{ctx}");
}

#[test]
fn sigkill_during_a_pull() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let remote = remote();
    for driver in BOTH {
        let mut kills: Vec<String> = (0..3)
            .map(|i| format!("{i}:{}", remote.blobs[i].len() / 2))
            .collect();
        kills.extend(COMMIT_STEPS.map(String::from));
        kills.push("after-pull-returned".to_string());
        for kill in kills {
            let root = tmp.path().join(format!("root-{}-{kill}", driver.name()));
            let spec = format!("{};{};{kill}", root.display(), driver.name());
            run_killed_child("pull_crash::pull_crash_child", CHILD_ENV, &spec);
            let ctx = format!("{driver:?} killed at {kill}");
            if kill == "after-commit" || kill == "after-pull-returned" {
                let s = open(&root, driver);
                assert_eq!(s.image_count().expect("count"), 1, "{ctx}: pull lost");
            }
            assert_nothing_or_everything_then_retry(&root, driver, &ctx);
        }
    }
}
