//! The prefix-ID index against a naive model.

use std::collections::BTreeSet;
use std::sync::Arc;

use graph::catalog::{Catalog, ImageRecord, PrefixMatch, normalize_prefix};
use graph::{Digest, MemStore, MetaStore, SledStore};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(String),
    Remove(usize),
    Lookup(String),
    LookupExisting(usize, usize),
}

/// IDs drawn from a few shared prefixes so that ambiguity actually happens.
fn id() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "a", "ab", "abc", "abd", "f0"]),
        "[0-9a-f]{64}",
    )
        .prop_map(|(p, rest)| format!("{p}{}", &rest[..64 - p.len()]))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => id().prop_map(Op::Insert),
        1 => any::<usize>().prop_map(Op::Remove),
        2 => "(sha256:)?[0-9a-f]{1,5}".prop_map(Op::Lookup),
        2 => (any::<usize>(), 1usize..=64).prop_map(|(i, n)| Op::LookupExisting(i, n)),
    ]
}

fn record() -> ImageRecord {
    ImageRecord {
        top_layer: None,
        parent: None,
        size: 0,
        last_tag_time: None,
    }
}

fn model_lookup(model: &BTreeSet<String>, prefix: &str) -> PrefixMatch<String> {
    let hits: Vec<&String> = model.iter().filter(|i| i.starts_with(prefix)).collect();
    match hits.as_slice() {
        [] => PrefixMatch::None,
        [one] => PrefixMatch::Unique((*one).clone()),
        _ => PrefixMatch::Ambiguous,
    }
}

fn run(kv: Arc<dyn MetaStore>, ops: &[Op]) {
    let cat = Catalog::new(kv);
    let mut model: BTreeSet<String> = BTreeSet::new();
    for op in ops {
        let prefix = match op {
            Op::Insert(hex) => {
                let d = Digest::from_hex(hex).expect("hex");
                let mut t = cat.txn();
                t.put_image(&d, &record(), Some(b"{}"), !model.contains(hex))
                    .expect("put");
                t.commit().expect("commit");
                model.insert(hex.clone());
                continue;
            }
            Op::Remove(i) => {
                if let Some(hex) = model.iter().nth(i % model.len().max(1)).cloned() {
                    let mut t = cat.txn();
                    t.delete_image(&Digest::from_hex(&hex).expect("hex"));
                    t.commit().expect("commit");
                    model.remove(&hex);
                }
                continue;
            }
            Op::Lookup(p) => p.clone(),
            Op::LookupExisting(i, n) => match model.iter().nth(i % model.len().max(1)) {
                Some(hex) => hex[..*n].to_string(),
                None => continue,
            },
        };
        let hex = normalize_prefix(&prefix).expect("valid prefix");
        let got = cat.find_prefix(hex).expect("lookup").clone();
        let got = match got {
            PrefixMatch::Unique(d) => PrefixMatch::Unique(d.hex().to_string()),
            PrefixMatch::None => PrefixMatch::None,
            PrefixMatch::Ambiguous => PrefixMatch::Ambiguous,
        };
        assert_eq!(got, model_lookup(&model, hex), "prefix {prefix}");
        assert_eq!(cat.image_count().expect("count"), model.len() as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn prefix_index_matches_model_in_memory(ops in prop::collection::vec(op(), 1..60)) {
        run(Arc::new(MemStore::new()), &ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn prefix_index_matches_model_on_sled(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        run(Arc::new(SledStore::open(dir.path()).expect("sled")), &ops);
    }
}

/// The store answers Docker's way: unique prefix → image, ambiguous → error naming it.
#[test]
fn store_resolves_prefixes() {
    use crate::helpers::*;
    let (_d, s) = store(graph::DriverKind::Vfs);
    let layer = base_layer();
    // Find two configs whose IDs share a first hex digit.
    let mut by_first: std::collections::HashMap<char, Vec<u8>> = std::collections::HashMap::new();
    let mut pair = None;
    for i in 0..64 {
        let c = config(&[&layer], &format!("salt{i}"));
        let first = image_id(&c).hex().chars().next().expect("hex");
        if let Some(other) = by_first.insert(first, c.clone()) {
            pair = Some((other, c));
            break;
        }
    }
    let (a, b) = pair.expect("two IDs with the same first digit");
    let archive = docker_archive(&[
        Img {
            config: a.clone(),
            layers: vec![&layer],
            tags: vec!["a:1"],
        },
        Img {
            config: b.clone(),
            layers: vec![&layer],
            tags: vec!["b:1"],
        },
    ]);
    s.load(&mut archive.as_slice(), &mut no_progress())
        .expect("load");
    let (ia, ib) = (image_id(&a), image_id(&b));
    let common = &ia.hex()[..1];
    let err = s.resolve(common).expect_err("ambiguous");
    assert_eq!(
        err.to_string(),
        format!("Multiple IDs found with provided prefix: {common}")
    );
    assert_eq!(err.kind(), graph::ErrorKind::InvalidInput);
    // A unique prefix of each, with and without sha256:.
    let n = (1..64)
        .find(|n| ia.hex()[..*n] != ib.hex()[..*n])
        .expect("differ");
    assert_eq!(s.resolve(&ia.hex()[..n.max(4)]).expect("a"), ia);
    assert_eq!(
        s.resolve(&format!("sha256:{}", &ib.hex()[..n.max(4)]))
            .expect("b"),
        ib
    );
    assert_eq!(s.resolve(ia.as_str()).expect("full"), ia);
    assert_eq!(s.resolve("a:1").expect("tag"), ia);
    let e = s.resolve("nosuch").expect_err("missing");
    assert_eq!(e.to_string(), "No such image: nosuch:latest");
    let e = s.resolve("Busybox").expect_err("invalid");
    assert_eq!(e.kind(), graph::ErrorKind::InvalidInput);
}
