//! `docker rmi <reference>` against a naive model of Docker's rules, which reads every
//! reference of the image (the store reads only those it needs).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use graph::catalog::Catalog;
use graph::{
    ContainerState, DriverKind, ErrorKind, ImageId, ImageStore, ImageUsers, ImportOptions,
    MemStore, MetaStore, NoContainers, Reference, Removed,
};
use proptest::prelude::*;

use crate::helpers::*;

const DIGESTS: [&str; 2] = [
    "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "sha256:2222222222222222222222222222222222222222222222222222222222222222",
];

/// A reference in familiar form: a tag, a digest, or both, in one of a few repositories.
fn reference() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["a", "a", "a", "b", "localhost:5000/a"]),
        prop::option::of(prop::sample::select(vec!["1", "2", "latest"])),
        prop::option::of(prop::sample::select(DIGESTS.to_vec())),
    )
        .prop_map(|(repo, tag, digest)| match (tag, digest) {
            (tag, Some(d)) => format!(
                "{repo}{}@{d}",
                tag.map(|t| format!(":{t}")).unwrap_or_default()
            ),
            (Some(t), None) => format!("{repo}:{t}"),
            (None, None) => format!("{repo}:latest"),
        })
}

#[derive(Debug, Clone, Copy)]
enum User {
    None,
    Running,
    Stopped,
}

struct Users(ImageId, User);

impl ImageUsers for Users {
    fn container_using(&self, id: &ImageId, state: ContainerState) -> Option<String> {
        let used = match self.1 {
            User::None => false,
            User::Running => state == ContainerState::Running,
            User::Stopped => state == ContainerState::Stopped,
        };
        (used && id == &self.0).then(|| "0123456789abcdef".to_string())
    }
}

/// Docker's `isSingleReference`.
fn single(refs: &[Reference]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let tags: Vec<&Reference> = refs.iter().filter(|r| r.digest().is_none()).collect();
    if tags.len() > 1 {
        return false;
    }
    let canonical: HashSet<String> = refs
        .iter()
        .filter(|r| r.digest().is_some())
        .map(Reference::name)
        .collect();
    let single = tags.first().copied().unwrap_or(&refs[0]);
    canonical.len() == 1 && canonical.contains(&single.name())
}

/// What `docker rmi <target>` answers, computed from all the references (in key order).
fn model(
    refs: &[Reference],
    target: &Reference,
    user: User,
    force: bool,
    id: &ImageId,
    layer: &str,
) -> Result<(Vec<Removed>, Vec<Reference>), ErrorKind> {
    if !force && !matches!(user, User::None) && single(refs) {
        return Err(ErrorKind::Conflict);
    }
    let mut left: Vec<Reference> = refs.iter().filter(|r| *r != target).cloned().collect();
    let mut out = vec![Removed::Untagged(target.familiar())];
    let repo = target.name();
    let other_tag = left
        .iter()
        .any(|x| x.digest().is_none() && x.name() == repo);
    if target.digest().is_none() && !other_tag {
        for x in left
            .iter()
            .filter(|x| x.digest().is_some() && x.name() == repo)
        {
            out.push(Removed::Untagged(x.familiar()));
        }
        left.retain(|x| !(x.digest().is_some() && x.name() == repo));
    }
    let kept = match user {
        User::None => false,
        User::Running => true,
        User::Stopped => !force,
    };
    if left.is_empty() && !kept {
        out.push(Removed::Deleted(id.to_string()));
        out.push(Removed::Deleted(layer.to_string()));
    }
    Ok((out, left))
}

fn check(names: BTreeSet<String>, pick: usize, user: User, force: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let kv: Arc<dyn MetaStore> = Arc::new(MemStore::new());
    let s = ImageStore::open_with_meta(dir.path(), DriverKind::Overlay2, Arc::clone(&kv))
        .expect("open");
    let layer = base_layer();
    let id = s
        .import(&mut layer.as_slice(), &ImportOptions::default())
        .expect("import");
    let mut refs: Vec<Reference> = names
        .iter()
        .map(|n| Reference::parse_normalized(n).expect("valid reference"))
        .collect();
    // Key order: the fully qualified form.
    refs.sort_by_key(|r| r.to_string());
    refs.dedup();
    let cat = Catalog::new(Arc::clone(&kv));
    let mut txn = cat.txn();
    for r in &refs {
        txn.set_ref(r, &id);
    }
    txn.commit().expect("commit");

    let target = refs[pick % refs.len()].clone();
    let want = model(&refs, &target, user, force, &id, &sha(&layer));
    let got = s.remove(&target.familiar(), force, false, &Users(id.clone(), user));
    let ctx = format!("refs {refs:?}, rmi {target:?}, {user:?}, force {force}");
    match (want, got) {
        (Err(kind), Err(e)) => assert_eq!(kind, e.kind(), "{ctx}: {e}"),
        (Ok((records, left)), Ok(got)) => {
            assert_eq!(got, records, "{ctx}");
            let now = if got.contains(&Removed::Deleted(id.to_string())) {
                Vec::new()
            } else {
                cat.references_of(&id).expect("refs")
            };
            assert_eq!(now, left, "{ctx}");
        }
        (want, got) => panic!("{ctx}: expected {want:?}, got {got:?}"),
    }
    assert!(s.check().expect("check").is_empty(), "{ctx}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn untag_matches_the_model(
        names in prop::collection::btree_set(reference(), 1..9),
        pick in any::<usize>(),
        user in prop::sample::select(vec![User::None, User::Running, User::Stopped]),
        force in any::<bool>(),
    ) {
        check(names, pick, user, force);
    }
}

#[test]
fn the_last_tag_of_a_repository_takes_its_digests() {
    let names = [
        "a:1",
        &format!("a@{}", DIGESTS[0]),
        &format!("a@{}", DIGESTS[1]),
        &format!("a:2@{}", DIGESTS[0]),
        &format!("b@{}", DIGESTS[1]),
        "b:1",
    ];
    let names: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    for pick in 0..names.len() {
        for user in [User::None, User::Running, User::Stopped] {
            for force in [false, true] {
                check(names.clone(), pick, user, force);
            }
        }
    }
}

#[test]
fn untagging_many_tags_of_one_image_one_by_one() {
    let (_d, s) = store(DriverKind::Overlay2);
    let layer = base_layer();
    let opts = ImportOptions {
        reference: Some("base:1".to_string()),
        ..ImportOptions::default()
    };
    let id = s.import(&mut layer.as_slice(), &opts).expect("import");
    let names: Vec<String> = (0..300).map(|i| format!("many:t{i:03}")).collect();
    for n in &names {
        s.tag(id.as_str(), n).expect("tag");
    }
    // In an order that is not the key order, so each one is in the middle of the others.
    for n in names.iter().rev().step_by(2).chain(names.iter().step_by(2)) {
        let r = s.remove(n, false, false, &NoContainers).expect("rmi");
        assert_eq!(r, vec![Removed::Untagged(n.clone())]);
    }
    assert_eq!(s.image_count().expect("count"), 1);
    let tags = s.inspect(id.as_str()).expect("inspect").repo_tags;
    assert_eq!(tags, vec!["base:1".to_string()]);
    assert!(s.check().expect("check").is_empty());
}
