//! Interrupted loads: the store stays consistent and a retry succeeds.
//!
//! `reader_failures_leave_no_trace` makes the input fail at many offsets in-process.
//! `sigkill_at_random_moments` re-runs this test binary as a child that loads an archive and
//! kills itself with SIGKILL after N bytes of input or at a named commit step, then reopens the
//! store in the parent.

use std::io::{self, Read};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use graph::DriverKind;

use crate::helpers::*;

fn archive() -> (Vec<u8>, graph::Digest) {
    let base = base_layer();
    let mut big = RawTar::new();
    for i in 0..40 {
        let data: Vec<u8> = (0..50_000u32).map(|j| ((i * 31 + j) % 251) as u8).collect();
        big.file(&format!("data/f{i:02}"), &data);
    }
    let big = big.finish();
    let top = RawTar::new()
        .file("etc/.wh.passwd", b"")
        .file("etc/new", b"n")
        .finish();
    let cfg = config(&[&base, &big, &top], "crash");
    let id = image_id(&cfg);
    (
        docker_archive(&[Img {
            config: cfg,
            layers: vec![&base, &big, &top],
            tags: vec!["crash:1"],
        }]),
        id,
    )
}

struct FailAt<'a> {
    data: &'a [u8],
    pos: usize,
    fail_at: usize,
}

impl Read for FailAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.fail_at {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "client went away",
            ));
        }
        let n = buf
            .len()
            .min(self.fail_at - self.pos)
            .min(self.data.len() - self.pos)
            .min(7000);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1
}

fn next(state: &mut u64) -> u64 {
    // xorshift64
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn assert_consistent_then_retry(
    root: &Path,
    driver: DriverKind,
    data: &[u8],
    id: &graph::Digest,
    ctx: &str,
) {
    let s = open(root, driver);
    assert_eq!(s.check().expect("check"), Vec::<String>::new(), "{ctx}");
    assert!(
        tree(&s.root().join("image").join(driver.name()).join("staging")).is_empty(),
        "{ctx}"
    );
    let n = s.image_count().expect("count");
    assert!(n <= 1, "{ctx}");
    if n == 1 {
        assert_eq!(&s.resolve("crash:1").expect(ctx), id, "{ctx}");
    }
    let loaded = s.load(&mut &data[..], &mut no_progress()).expect(ctx);
    assert_eq!(&loaded[0].id, id, "{ctx}");
    assert_eq!(s.check().expect("check"), Vec::<String>::new(), "{ctx}");
    let mut out = Vec::new();
    s.save(&["crash:1"], &mut out).expect(ctx);
}

#[test]
fn reader_failures_leave_no_trace() {
    let (data, id) = archive();
    let mut state = seed();
    for driver in BOTH {
        let dir = tempfile::tempdir().expect("tempdir");
        for _ in 0..6 {
            let at = (next(&mut state) % data.len() as u64) as usize;
            let s = open(dir.path(), driver);
            let mut r = FailAt {
                data: &data,
                pos: 0,
                fail_at: at,
            };
            let res = s.load(&mut r, &mut no_progress());
            assert!(
                res.is_err(),
                "seed {state}: load cut at {at} of {} succeeded",
                data.len()
            );
            assert_eq!(
                s.check().expect("check"),
                Vec::<String>::new(),
                "after failure at {at}"
            );
            drop(s);
            let s = open(dir.path(), driver);
            assert_eq!(s.image_count().expect("count"), 0);
        }
        assert_consistent_then_retry(dir.path(), driver, &data, &id, "after reader failures");
    }
}

const CHILD_ENV: &str = "WHARF_GRAPH_CRASH_CHILD";

/// The child side: runs only when the parent set the environment.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(4, ';');
    let (root, driver, archive, kill) = (
        parts.next().expect("root"),
        parts.next().expect("driver"),
        parts.next().expect("archive"),
        parts.next().expect("kill"),
    );
    let driver = if driver == "vfs" {
        DriverKind::Vfs
    } else {
        DriverKind::Overlay2
    };
    let data = std::fs::read(archive).expect("archive");
    let mut s = open(Path::new(root), driver);
    let limit = match kill.parse::<usize>() {
        Ok(n) => n,
        Err(_) => {
            let point = kill.to_string();
            s.set_fault_hook(Box::new(move |p| {
                if p == point {
                    kill_self();
                }
            }));
            usize::MAX
        }
    };
    struct KillAt<'a> {
        data: &'a [u8],
        pos: usize,
        at: usize,
    }
    impl Read for KillAt<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos >= self.at {
                kill_self();
            }
            let n = buf
                .len()
                .min(self.data.len() - self.pos)
                .min(self.at.saturating_sub(self.pos))
                .min(7000);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }
    let mut r = KillAt {
        data: &data,
        pos: 0,
        at: limit,
    };
    s.load(&mut r, &mut no_progress()).expect("child load");
    // A kill point after the commit: the load must have been durable.
    if kill == "after-load-returned" {
        kill_self();
    }
}

#[test]
fn sigkill_at_random_moments() {
    let (data, id) = archive();
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive_path = tmp.path().join("archive.tar");
    std::fs::write(&archive_path, &data).expect("write");
    let mut state = seed();
    for driver in BOTH {
        let mut kills: Vec<String> = (0..5)
            .map(|_| (next(&mut state) % data.len() as u64).to_string())
            .collect();
        kills.extend(COMMIT_STEPS.map(String::from));
        kills.push("after-load-returned".to_string());
        for kill in kills {
            let root = tmp.path().join(format!("root-{}-{kill}", driver.name()));
            let spec = format!(
                "{};{};{};{kill}",
                root.display(),
                driver.name(),
                archive_path.display()
            );
            run_killed_child("crash::crash_child", CHILD_ENV, &spec);
            let ctx = format!("{driver:?} killed at {kill} (seed {state})");
            if kill == "after-commit" || kill == "after-load-returned" {
                let s = open(&root, driver);
                assert_eq!(
                    s.image_count().expect("count"),
                    1,
                    "{ctx}: committed load lost"
                );
                drop(s);
            }
            assert_consistent_then_retry(&root, driver, &data, &id, &ctx);
        }
    }
}

/// The tar reader stops at the first of the two zero blocks that end an archive: an input
/// cut in the second fails all the same, as Go's reader (and so dockerd) fails it.
#[test]
fn a_cut_in_the_end_marker_fails() {
    let (data, _) = archive();
    for back in [1, 100, 511, 512, 1000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = open(dir.path(), DriverKind::Overlay2);
        let mut r = FailAt {
            data: &data,
            pos: 0,
            fail_at: data.len() - back,
        };
        assert!(
            s.load(&mut r, &mut no_progress()).is_err(),
            "cut {back} bytes before the end"
        );
        assert_eq!(s.image_count().expect("count"), 0);
    }
}
