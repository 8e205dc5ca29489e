//! Pulls through `begin_pull` / `stage_layer` / `commit`: the same image as `load`, layers
//! staged concurrently, and nothing visible unless everything is.

use std::sync::Arc;
use std::sync::mpsc;

use graph::{Digest, DriverKind, ErrorKind, ImageStore, LayerProgress};

use crate::helpers::*;
use crate::remote::*;

fn saved(s: &ImageStore, name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    s.save(&[name], &mut out).expect("save");
    out
}

#[test]
fn a_concurrent_pull_stores_what_load_stores() {
    for driver in BOTH {
        let remote = Remote::three_layers("pull");
        let (_a, loaded_store) = store(driver);
        let loaded = loaded_store
            .load(&mut remote.archive("pull:1").as_slice(), &mut no_progress())
            .expect("load");

        let (_b, s) = arc_store(driver);
        let p = Arc::new(s.begin_pull(&remote.config).expect("begin"));
        assert_eq!(p.id(), &loaded[0].id, "image ID = digest of the config");
        assert_eq!(p.id(), &image_id(&remote.config));
        assert!(!p.image_exists());
        assert_eq!(p.missing(), [0, 1, 2]);
        assert_eq!(p.diff_ids().len(), 3);
        let (tx, rx) = mpsc::channel();
        let threads: Vec<_> = (0..3)
            .rev()
            .map(|i| {
                let (p, blob, tx) = (Arc::clone(&p), remote.blobs[i].clone(), tx.clone());
                std::thread::spawn(move || {
                    p.stage_layer(i, &mut blob.as_slice(), &mut |e| {
                        let _ = tx.send((i, e));
                    })
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no panic").expect("stage");
        }
        drop(tx);
        let events: Vec<(usize, LayerProgress)> = rx.into_iter().collect();
        for (i, blob) in remote.blobs.iter().enumerate() {
            let mut read = events.iter().filter_map(|(j, e)| match e {
                LayerProgress::Read(n) if *j == i => Some(*n),
                _ => None,
            });
            assert_eq!(
                read.next_back(),
                Some(blob.len() as u64),
                "{driver:?} layer {i}"
            );
        }
        let p = Arc::into_inner(p).expect("the threads are done");
        let repo = reference("pull");
        let digest_ref = remote.digest_ref("pull");
        let pulled = p
            .commit(
                &[reference("pull:1")],
                Some(&digest_ref),
                &remote.sources(&repo),
            )
            .expect("commit");
        assert_eq!(pulled.id, loaded[0].id);
        assert!(pulled.updated);

        // The same layers, file for file, and the same archive when saved.
        let dirs_loaded = loaded_store.inspect("pull:1").expect("inspect").layer_dirs;
        let dirs_pulled = s.inspect("pull:1").expect("inspect").layer_dirs;
        assert_eq!(dirs_pulled.len(), 3);
        for (a, b) in dirs_loaded.iter().zip(&dirs_pulled) {
            assert_eq!(snapshot(a), snapshot(b), "{driver:?}");
        }
        assert!(saved(&loaded_store, "pull:1") == saved(&s, "pull:1"));

        // The digest reference is listed as dockerd lists it.
        let familiar = digest_ref.familiar();
        assert!(familiar.starts_with("pull@sha256:"));
        let list = s.list(false).expect("list");
        assert_eq!(list[0].repo_tags, ["pull:1"]);
        assert_eq!(list[0].repo_digests, std::slice::from_ref(&familiar));
        let d = s.inspect("pull:1").expect("inspect");
        assert_eq!(d.repo_digests, std::slice::from_ref(&familiar));
        assert_eq!(d.last_tag_time, None, "a pull does not stamp tags");
        assert_eq!(s.resolve(&familiar).expect("by digest"), pulled.id);

        // Distribution metadata, for every layer.
        for (i, src) in remote.sources(&repo).iter().enumerate() {
            let diff = &diff_ids_of(&remote)[i];
            assert_eq!(
                s.diff_id_for_blob(&src.digest).expect("read").as_ref(),
                Some(diff)
            );
            assert_eq!(
                s.blobs_for_diff_id(diff).expect("read"),
                std::slice::from_ref(src)
            );
        }
        assert_clean(&s);
    }
}

#[test]
fn stored_layers_are_reported_and_not_fetched() {
    for driver in BOTH {
        let (_d, s) = arc_store(driver);
        let remote = Remote::three_layers("present");
        // A load brings the two lower layers (as another image).
        let lower = Remote::new(remote.tars[..2].to_vec(), "lower");
        s.load(&mut lower.archive("lower:1").as_slice(), &mut no_progress())
            .expect("load");
        let p = s.begin_pull(&remote.config).expect("begin");
        assert!(p.is_stored(0) && p.is_stored(1) && !p.is_stored(2));
        assert_eq!(p.missing(), [2]);
        let err = remote
            .stage(&p, 0)
            .expect_err("stored layers are not staged");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("already stored"), "{err}");
        let err = remote.stage_as(&p, 3, 0).expect_err("out of range");
        assert!(err.to_string().contains("out of range"), "{err}");
        stage_all(&p, &remote);
        let repo = reference("present");
        let pulled = p
            .commit(&[reference("present:1")], None, &remote.sources(&repo))
            .expect("commit");
        // Layers already there get their metadata too, as dockerd records them.
        let base_blob = Digest::of(&remote.blobs[0]);
        assert_eq!(
            s.diff_id_for_blob(&base_blob).expect("read"),
            Some(Digest::of(&remote.tars[0]))
        );
        assert!(
            s.has_layer(&graph::digest::chain_ids(&diff_ids_of(&remote))[2])
                .expect("has")
        );

        // Pulled again: nothing to fetch, the tag is already there.
        let p = s.begin_pull(&remote.config).expect("begin");
        assert!(p.image_exists());
        assert!(p.missing().is_empty());
        let again = p
            .commit(&[reference("present:1")], None, &remote.sources(&repo))
            .expect("commit");
        assert_eq!(again.id, pulled.id);
        assert!(!again.updated, "Image is up to date");
        // A new tag for it: updated.
        let p = s.begin_pull(&remote.config).expect("begin");
        let other = p
            .commit(&[reference("present:2")], None, &remote.sources(&repo))
            .expect("commit");
        assert!(other.updated);
        assert_eq!(s.image_count().expect("count"), 2);
        assert_clean(&s);
    }
}

#[test]
fn a_layer_that_does_not_match_its_diff_id_leaves_nothing() {
    for driver in BOTH {
        let (_d, s, remote, p) = fresh_pull(driver, "mismatch");
        remote.stage(&p, 0).expect("stage 0");
        // Layer 2's bytes sent as layer 1.
        let err = remote.stage_as(&p, 1, 2).expect_err("wrong layer");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            err.to_string(),
            "layers from manifest don't match image configuration"
        );
        // Only layer 0 is left in staging; the commit refuses the unstaged layers.
        assert!(!staging(&s).is_empty());
        let err = p
            .commit(
                &[reference("mismatch:1")],
                None,
                &remote.sources(&reference("mismatch")),
            )
            .expect_err("layers missing");
        assert!(err.to_string().contains("was not staged"), "{err}");
        assert!(staging(&s).is_empty(), "dropped with the pull");
        assert_eq!(s.image_count().expect("count"), 0);
        assert!(s.list(false).expect("list").is_empty());
        assert_eq!(
            s.diff_id_for_blob(&Digest::of(&remote.blobs[0]))
                .expect("read"),
            None
        );

        // A layer may be staged again after a failure; a blob that is not what the commit
        // says it is refused there.
        let p = s.begin_pull(&remote.config).expect("begin");
        // (Layer 0 first: with vfs, layer 1 would wait for it.)
        remote.stage(&p, 0).expect("stage 0");
        let err = p
            .stage_layer(1, &mut &remote.blobs[1][..100], &mut |_| {})
            .expect_err("cut short");
        assert_ne!(err.kind(), ErrorKind::NotFound);
        for i in 1..3 {
            remote.stage(&p, i).expect("stage");
        }
        let mut sources = remote.sources(&reference("mismatch"));
        sources[1].digest = Digest::of(b"another blob");
        let err = p
            .commit(&[reference("mismatch:1")], None, &sources)
            .expect_err("blob mismatch");
        assert!(err.to_string().contains("does not match"), "{err}");
        assert_eq!(s.image_count().expect("count"), 0);
        assert_clean(&s);
    }
}

#[test]
fn dropping_a_pull_removes_what_it_staged() {
    for driver in BOTH {
        let (_d, s, remote, p) = fresh_pull(driver, "drop");
        for i in 0..2 {
            remote.stage(&p, i).expect("stage");
        }
        assert!(!staging(&s).is_empty());
        drop(p);
        assert_clean(&s);
    }
}

#[test]
fn vfs_layers_wait_for_their_parent_and_cancel_ends_the_wait() {
    let (_d, s) = arc_store(DriverKind::Vfs);
    let remote = Remote::three_layers("wait");
    let p = Arc::new(s.begin_pull(&remote.config).expect("begin"));
    let (tx, rx) = mpsc::channel();
    let top = {
        let (p, blob) = (Arc::clone(&p), remote.blobs[2].clone());
        std::thread::spawn(move || {
            p.stage_layer(2, &mut blob.as_slice(), &mut |e| {
                let _ = tx.send(e);
            })
        })
    };
    // The top layer is read whole, then waits.
    let waiting = rx
        .iter()
        .find(|e| *e == LayerProgress::WaitingForParent)
        .is_some();
    assert!(waiting);
    for i in 0..2 {
        remote.stage(&p, i).expect("stage");
    }
    top.join().expect("no panic").expect("stage 2");
    let extracted = rx.iter().last();
    assert_eq!(
        extracted,
        Some(LayerProgress::Extracted(remote.blobs[2].len() as u64))
    );
    let p = Arc::into_inner(p).expect("done");
    let pulled = p
        .commit(
            &[reference("wait:1")],
            None,
            &remote.sources(&reference("wait")),
        )
        .expect("commit");
    let (_a, loaded_store) = store(DriverKind::Vfs);
    loaded_store
        .load(&mut remote.archive("wait:1").as_slice(), &mut no_progress())
        .expect("load");
    let a = loaded_store.inspect("wait:1").expect("inspect").layer_dirs;
    let b = s.inspect(pulled.id.as_str()).expect("inspect").layer_dirs;
    assert_eq!(
        snapshot(&a[0]),
        snapshot(&b[0]),
        "the top layer's full tree"
    );

    // Layer 1's parent is staged while layer 1 streams in: no wait, the same tree.
    let (_d, s2) = arc_store(DriverKind::Vfs);
    let p = Arc::new(s2.begin_pull(&remote.config).expect("begin"));
    let (feed, pieces) = mpsc::sync_channel::<Vec<u8>>(0);
    let (tx, rx) = mpsc::channel();
    let middle = {
        let p = Arc::clone(&p);
        std::thread::spawn(move || {
            let mut input = Pieces {
                rx: pieces,
                cur: std::io::Cursor::new(Vec::new()),
            };
            p.stage_layer(1, &mut input, &mut |e| {
                let _ = tx.send(e);
            })
        })
    };
    let half = remote.blobs[1].len() / 2;
    feed.send(remote.blobs[1][..half].to_vec()).expect("send");
    remote.stage(&p, 0).expect("stage 0");
    // One piece goes to the file with the first half; the next ones straight to extraction.
    for piece in remote.blobs[1][half..].chunks(1000) {
        feed.send(piece.to_vec()).expect("send");
    }
    drop(feed);
    middle.join().expect("no panic").expect("stage 1");
    let events: Vec<LayerProgress> = rx.iter().collect();
    assert!(
        !events.contains(&LayerProgress::WaitingForParent),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&LayerProgress::Read(remote.blobs[1].len() as u64))
    );
    remote.stage(&p, 2).expect("stage 2");
    let p = Arc::into_inner(p).expect("done");
    let pulled = p
        .commit(
            &[reference("wait:1")],
            None,
            &remote.sources(&reference("wait")),
        )
        .expect("commit");
    let c = s2.inspect(pulled.id.as_str()).expect("inspect").layer_dirs;
    for (a, c) in a.iter().zip(&c) {
        assert_eq!(snapshot(a), snapshot(c));
    }

    // Layer 1 waits for layer 0, which never comes: cancel ends the wait.
    let (_d, s) = arc_store(DriverKind::Vfs);
    let p = Arc::new(s.begin_pull(&remote.config).expect("begin"));
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let (p, blob) = (Arc::clone(&p), remote.blobs[1].clone());
        std::thread::spawn(move || {
            p.stage_layer(1, &mut blob.as_slice(), &mut |e| {
                let _ = tx.send(e);
            })
        })
    };
    assert!(rx.iter().any(|e| e == LayerProgress::WaitingForParent));
    p.cancel();
    let err = waiter.join().expect("no panic").expect_err("cancelled");
    assert!(err.to_string().contains("cancelled"), "{err}");
    let err = remote.stage(&p, 0).expect_err("cancelled");
    assert!(err.to_string().contains("cancelled"), "{err}");
    drop(p);
    assert!(staging(&s).is_empty());
}

#[test]
fn tags_move_and_digest_references_stay() {
    let (_d, s) = arc_store(DriverKind::Overlay2);
    let one = Remote::new(vec![base_layer()], "one");
    let two = Remote::new(vec![base_layer()], "two");
    let first = pull(&s, &one, "app", "latest");
    // The same digest reference, claimed by another image: kept by the first. The tag moves.
    let p = s.begin_pull(&two.config).expect("begin");
    let second = p
        .commit(
            &[reference("app:latest")],
            Some(&one.digest_ref("app")),
            &two.sources(&reference("app")),
        )
        .expect("commit");
    assert_ne!(first.id, second.id);
    assert_eq!(s.resolve("app:latest").expect("tag"), second.id);
    assert_eq!(
        s.resolve(&one.digest_ref("app").familiar())
            .expect("digest"),
        first.id
    );
    // A pull by digest forces its reference (dockerd's `AddDigest(…, true)`).
    let p = s.begin_pull(&two.config).expect("begin");
    p.commit(
        &[one.digest_ref("app")],
        None,
        &two.sources(&reference("app")),
    )
    .expect("commit");
    assert_eq!(
        s.resolve(&one.digest_ref("app").familiar())
            .expect("digest"),
        second.id
    );
    // References without tag or digest, a digest_ref without digest: refused.
    let p = s.begin_pull(&two.config).expect("begin");
    assert!(
        p.commit(&[reference("app")], None, &two.sources(&reference("app")))
            .is_err()
    );
    assert_clean(&s);
}
