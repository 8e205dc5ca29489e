//! Guards on the workspace's shape, run as unit tests: dependencies point one way, and the
//! leaves share only `mobyport`, which depends on nothing.

#[cfg(test)]
mod tests {
    use crate::workspace_root;

    /// The `[dependencies]` names of a crate's manifest (dev- and build-dependencies excluded).
    fn dependencies(krate: &str) -> Vec<String> {
        let path = workspace_root().join(krate).join("Cargo.toml");
        let text = std::fs::read_to_string(&path).expect("manifest is readable");
        let mut in_deps = false;
        let mut deps = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_deps = line == "[dependencies]";
                continue;
            }
            if in_deps
                && let Some((name, _)) = line.split_once(['.', '=', ' '])
                && !name.is_empty()
                && !name.starts_with('#')
            {
                deps.push(name.trim().to_owned());
            }
        }
        deps
    }

    const WORKSPACE_CRATES: &[&str] = &[
        "daemon",
        "api",
        "graph",
        "netdriver",
        "hostcheck",
        "execdriver",
        "mobyport",
    ];
    /// The one workspace crate every crate may use: small moby/Go ports, itself dependency-free.
    const SHARED: &str = "mobyport";
    const HTTP_CRATES: &[&str] = &["axum", "hyper", "hyper-util", "tower", "http-body-util"];

    #[test]
    fn leaf_crates_know_nothing_of_each_other() {
        for leaf in ["api", "graph", "netdriver", "hostcheck", "execdriver"] {
            let deps = dependencies(leaf);
            for d in &deps {
                assert!(
                    d == SHARED || !WORKSPACE_CRATES.contains(&d.as_str()),
                    "{leaf} depends on {d}"
                );
            }
        }
    }

    #[test]
    fn the_shared_ports_depend_on_nothing() {
        assert_eq!(dependencies(SHARED), Vec::<String>::new());
    }

    #[test]
    fn only_the_api_crate_speaks_http() {
        for krate in ["graph", "netdriver", "hostcheck", "execdriver", "daemon"] {
            for d in dependencies(krate) {
                assert!(!HTTP_CRATES.contains(&d.as_str()), "{krate} depends on {d}");
            }
        }
    }

    #[test]
    fn the_daemon_ties_the_leaves_together() {
        let deps = dependencies("daemon");
        for leaf in ["api", "graph", "netdriver", "hostcheck", "execdriver"] {
            assert!(deps.iter().any(|d| d == leaf), "daemon does not use {leaf}");
        }
    }
}
