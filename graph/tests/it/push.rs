//! What a push reads from the store: the plan, each layer's exact tar, the distribution
//! metadata and the references it records.

use graph::{BlobSource, Digest, ErrorKind};

use crate::helpers::*;
use crate::remote::*;

#[test]
fn push_plan_gives_each_layer_byte_for_byte() {
    for driver in BOTH {
        let (_d, s) = arc_store(driver);
        let remote = Remote::three_layers("push");
        let pulled = pull(&s, &remote, "localhost:5000/push", "v1");
        let plan = s.push_plan("localhost:5000/push:v1").expect("plan");
        assert_eq!(plan.id, pulled.id);
        assert_eq!(plan.config, remote.config);
        assert_eq!(plan.layers.len(), 3);
        let repo = reference("localhost:5000/push");
        for (i, layer) in plan.layers.iter().enumerate() {
            assert_eq!(layer.diff_id, Digest::of(&remote.tars[i]));
            assert_eq!(layer.tar_size, remote.tars[i].len() as u64);
            assert_eq!(layer.known_blobs, [remote.sources(&repo)[i].clone()]);
            let mut out = Vec::new();
            s.write_layer_tar(&layer.chain_id, &mut out).expect("tar");
            assert!(out == remote.tars[i], "{driver:?} layer {i}");
        }
        assert!(plan.layers[1].size > 300_000);

        // After an upload as another blob to another repository: both known, newest last.
        let other = reference("localhost:5000/other");
        let pushed = BlobSource::new(Digest::of(b"recompressed"), &other);
        let diff = &plan.layers[0].diff_id;
        s.record_pushed(diff, &pushed).expect("record");
        assert_eq!(
            s.blobs_for_diff_id(diff).expect("read"),
            [remote.sources(&repo)[0].clone(), pushed.clone()]
        );
        assert_eq!(
            s.diff_id_for_blob(&pushed.digest).expect("read").as_ref(),
            Some(diff)
        );
        s.forget_blob_source(&pushed).expect("forget");
        assert_eq!(s.blobs_for_diff_id(diff).expect("read").len(), 1);

        // The pushed manifest's digest reference.
        let manifest = Digest::of(b"pushed manifest");
        let dref = reference(&format!("localhost:5000/other@{manifest}"));
        s.add_digest_reference(&dref, &plan.id).expect("digest ref");
        s.add_digest_reference(&dref, &plan.id)
            .expect("twice is fine");
        let d = s.inspect(plan.id.as_str()).expect("inspect");
        assert!(d.repo_digests.contains(&dref.familiar()), "{d:?}");
        assert!(
            s.add_digest_reference(&reference("localhost:5000/other:v1"), &plan.id)
                .is_err()
        );
        assert_eq!(
            s.add_digest_reference(&dref, &Digest::of(b"no image"))
                .expect_err("no image")
                .kind(),
            ErrorKind::NotFound
        );

        // The tags of a repository, for a push without tag.
        s.tag("localhost:5000/push:v1", "localhost:5000/push:a")
            .expect("tag");
        let tags: Vec<String> = s
            .repository_tags(&repo)
            .expect("tags")
            .into_iter()
            .map(|(r, _)| r.familiar())
            .collect();
        assert_eq!(tags, ["localhost:5000/push:a", "localhost:5000/push:v1"]);

        // A load's layers have no known blobs; their tars are the loaded bytes.
        let (_d, loaded) = store(driver);
        loaded
            .load(&mut remote.archive("l:1").as_slice(), &mut no_progress())
            .expect("load");
        let plan = loaded.push_plan("l:1").expect("plan");
        assert!(plan.layers.iter().all(|l| l.known_blobs.is_empty()));
        let mut tar = Vec::new();
        loaded
            .write_layer_tar(&plan.layers[2].chain_id, &mut tar)
            .expect("tar");
        assert_eq!(Digest::of(&tar), plan.layers[2].diff_id);
    }
}
