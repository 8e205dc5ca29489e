use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("an address literal")
}

/// Owned names, for `register`.
pub(crate) fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `web` and `db` on `app`, `other` alone on `side`.
fn table() -> Table {
    let mut t = Table::default();
    t.register(
        "app",
        "c-web",
        ip("172.18.0.2"),
        &names(&["web", "Frontend", "aaaaaaaaaaaa"]),
    );
    t.register("app", "c-db", ip("172.18.0.3"), &names(&["db"]));
    t.register("side", "c-other", ip("172.19.0.2"), &names(&["other"]));
    t
}

#[test]
fn names_resolve_on_a_shared_network_only() {
    let t = table();
    assert_eq!(t.lookup("c-web", "db"), vec![ip("172.18.0.3")]);
    assert_eq!(t.lookup("c-db", "aaaaaaaaaaaa"), vec![ip("172.18.0.2")]);
    assert!(
        t.lookup("c-web", "other").is_empty(),
        "other is on another network"
    );
    assert!(
        t.lookup("c-nowhere", "db").is_empty(),
        "an unregistered asker resolves nothing"
    );
    assert!(t.knows("c-web") && !t.knows("c-nowhere"));
}

#[test]
fn names_are_case_insensitive_and_fully_qualified_names_match() {
    let t = table();
    assert_eq!(t.lookup("c-db", "FRONTEND."), vec![ip("172.18.0.2")]);
    assert_eq!(t.lookup("c-db", "Web"), vec![ip("172.18.0.2")]);
    assert_eq!(t.lookup("c-web", "db.app"), vec![ip("172.18.0.3")]);
    assert_eq!(t.lookup("c-web", "DB.APP."), vec![ip("172.18.0.3")]);
    assert!(t.lookup("c-web", "db.side").is_empty(), "not on side");
}

#[test]
fn a_shared_alias_gives_every_address() {
    let mut t = table();
    t.register("app", "c-web2", ip("172.18.0.4"), &names(&["web2", "web"]));
    assert_eq!(
        t.lookup("c-db", "web"),
        vec![ip("172.18.0.2"), ip("172.18.0.4")]
    );
    t.unregister("app", "c-web2");
    assert_eq!(t.lookup("c-db", "web"), vec![ip("172.18.0.2")]);
}

#[test]
fn register_replaces_and_unregister_forgets() {
    let mut t = table();
    t.register("app", "c-db", ip("172.18.0.9"), &names(&["database"]));
    assert!(t.lookup("c-web", "db").is_empty());
    assert_eq!(t.lookup("c-web", "database"), vec![ip("172.18.0.9")]);
    t.unregister("app", "c-db");
    assert!(t.lookup("c-web", "database").is_empty());
    t.unregister("side", "c-other");
    assert!(!t.knows("c-other"));
    t.unregister("nonet", "c-nobody");
}

#[test]
fn links_resolve_for_their_container_only() {
    let mut t = table();
    t.set_links(
        "c-web",
        vec![
            ("Database".into(), "c-db".into()),
            ("far".into(), "c-other".into()),
        ],
    );
    assert_eq!(t.lookup("c-web", "database"), vec![ip("172.18.0.3")]);
    assert!(
        t.lookup("c-db", "database").is_empty(),
        "links are per container"
    );
    assert!(
        t.lookup("c-web", "far").is_empty(),
        "the target shares no network"
    );
    t.set_links("c-web", Vec::new());
    assert!(t.lookup("c-web", "database").is_empty());
}

#[test]
fn reverse_names_the_first_name_and_the_network() {
    let t = table();
    assert_eq!(
        t.reverse("c-db", ip("172.18.0.2")).as_deref(),
        Some("web.app")
    );
    assert_eq!(
        t.reverse("c-db", ip("172.19.0.2")),
        None,
        "not on a shared network"
    );
    assert_eq!(t.reverse("c-nowhere", ip("172.18.0.2")), None);
}
