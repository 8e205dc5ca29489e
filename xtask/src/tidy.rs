//! Guards on the workspace's shape, run as unit tests: dependencies point one way, the leaves
//! know nothing of HTTP (but the registry client, which speaks it as a client only; and `graph`
//! nothing of tokio), and failures get their HTTP status in one place. Dependencies are read from `cargo metadata`, as cargo resolved them, not from the
//! manifests' text.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::path::Path;
    use std::sync::OnceLock;

    use serde_json::Value;

    use crate::{cargo, workspace_root};

    /// The crates `daemon` ties together; each knows no other workspace crate.
    const LEAVES: &[&str] = &[
        "api",
        "graph",
        "netdriver",
        "hostcheck",
        "execdriver",
        "dockerfile",
    ];

    /// Leaves that speak HTTP as a *client* (the registry client): they may use hyper's client
    /// side, never a server crate.
    const HTTP_CLIENT_LEAVES: &[&str] = &["distribution"];

    /// Server-side HTTP crates: only `api` may pull them in.
    const HTTP_SERVER_CRATES: &[&str] = &["axum", "axum-core", "tower", "tower-http"];

    /// The one crate of small moby/Go ports several leaves may share (dependency-free, so the
    /// leaves still know nothing of each other).
    const SHARED_PORTS: &[&str] = &["mobyport"];

    /// Test support: a dev-dependency of the product crates, and the one workspace crate
    /// `xtask` may use (for `testkit::cleanup`, shared by the tests and the bench).
    const TEST_SUPPORT: &str = "testkit";

    /// Crates that speak HTTP (server or client side).
    const HTTP_CRATES: &[&str] = &[
        "axum",
        "axum-core",
        "hyper",
        "hyper-util",
        "http",
        "http-body",
        "http-body-util",
        "h2",
        "tower",
        "tower-http",
        "reqwest",
    ];

    /// `cargo metadata --format-version 1` of the workspace, read once.
    fn metadata() -> &'static Value {
        static METADATA: OnceLock<Value> = OnceLock::new();
        METADATA.get_or_init(|| {
            let out = cargo()
                .args(["metadata", "--format-version", "1"])
                .output()
                .expect("cargo metadata runs");
            assert!(
                out.status.success(),
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
        })
    }

    fn packages() -> &'static [Value] {
        metadata()["packages"]
            .as_array()
            .expect("cargo metadata lists packages")
    }

    fn package(name: &str) -> &'static Value {
        let members = metadata()["workspace_members"]
            .as_array()
            .expect("cargo metadata lists the workspace members");
        packages()
            .iter()
            .find(|p| p["name"] == name && members.contains(&p["id"]))
            .unwrap_or_else(|| panic!("{name} is not a workspace crate"))
    }

    /// The names of the workspace's crates.
    fn workspace_crates() -> BTreeSet<String> {
        let members = &metadata()["workspace_members"];
        packages()
            .iter()
            .filter(|p| members.as_array().is_some_and(|m| m.contains(&p["id"])))
            .map(|p| name(p).to_owned())
            .collect()
    }

    fn name(p: &Value) -> &str {
        p["name"].as_str().expect("a package has a name")
    }

    /// A crate's direct `[dependencies]` (dev- and build-dependencies excluded), by package
    /// name.
    fn dependencies(krate: &str) -> BTreeSet<String> {
        package(krate)["dependencies"]
            .as_array()
            .expect("a package lists its dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| name(d).to_owned())
            .collect()
    }

    /// Every package a crate's build pulls in through normal dependencies, transitively, as
    /// cargo resolved the workspace (features unified, so this errs on the side of more).
    fn normal_closure(krate: &str) -> BTreeSet<String> {
        let nodes: HashMap<&str, &Value> = metadata()["resolve"]["nodes"]
            .as_array()
            .expect("cargo metadata resolves the workspace")
            .iter()
            .map(|n| (n["id"].as_str().expect("a node has an id"), n))
            .collect();
        let names: HashMap<&str, &str> = packages()
            .iter()
            .map(|p| (p["id"].as_str().expect("a package has an id"), name(p)))
            .collect();
        let start = package(krate)["id"].as_str().expect("a package has an id");
        let mut seen = BTreeSet::from([start]);
        let mut todo = vec![start];
        while let Some(id) = todo.pop() {
            let deps = nodes[id]["deps"].as_array().into_iter().flatten();
            for dep in deps {
                let normal = dep["dep_kinds"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|k| k["kind"].is_null()));
                let pkg = dep["pkg"].as_str().expect("a dependency names its package");
                if normal && seen.insert(pkg) {
                    todo.push(pkg);
                }
            }
        }
        seen.remove(start);
        seen.iter().map(|id| names[id].to_owned()).collect()
    }

    #[test]
    fn the_closure_follows_normal_dependencies_only() {
        let daemon = normal_closure("daemon");
        assert!(
            daemon.contains("hyper") && daemon.contains("tokio"),
            "through api"
        );
        let graph = normal_closure("graph");
        assert!(graph.contains("sled") && graph.contains("libc"));
        assert!(!graph.contains("proptest"), "a dev-dependency");
    }

    #[test]
    fn every_workspace_crate_has_a_place_in_these_rules() {
        for krate in workspace_crates() {
            let known = LEAVES.contains(&krate.as_str())
                || HTTP_CLIENT_LEAVES.contains(&krate.as_str())
                || SHARED_PORTS.contains(&krate.as_str())
                || ["daemon", "xtask", TEST_SUPPORT].contains(&krate.as_str());
            assert!(
                known,
                "{krate} is a new workspace crate: give it its place in xtask/src/tidy.rs"
            );
        }
    }

    #[test]
    fn leaf_crates_know_nothing_of_each_other() {
        let workspace = workspace_crates();
        for leaf in LEAVES.iter().chain(HTTP_CLIENT_LEAVES).chain(SHARED_PORTS) {
            for d in dependencies(leaf) {
                let allowed = SHARED_PORTS.contains(&d.as_str()) && !SHARED_PORTS.contains(leaf);
                assert!(
                    !workspace.contains(&d) || allowed,
                    "{leaf} depends on the workspace crate {d}"
                );
            }
        }
    }

    #[test]
    fn the_shared_ports_depend_on_nothing() {
        for krate in SHARED_PORTS {
            assert_eq!(
                dependencies(krate),
                BTreeSet::new(),
                "{krate} has dependencies"
            );
        }
    }

    #[test]
    fn only_the_api_crate_speaks_http() {
        let others = LEAVES.iter().chain(SHARED_PORTS).filter(|c| **c != "api");
        for krate in others {
            let http: Vec<String> = normal_closure(krate)
                .into_iter()
                .filter(|d| HTTP_CRATES.contains(&d.as_str()))
                .collect();
            assert!(http.is_empty(), "{krate} pulls in {}", http.join(", "));
        }
        for d in dependencies("daemon") {
            assert!(!HTTP_CRATES.contains(&d.as_str()), "daemon depends on {d}");
        }
    }

    #[test]
    fn http_client_leaves_speak_http_as_clients_only() {
        for krate in HTTP_CLIENT_LEAVES {
            let server: Vec<String> = normal_closure(krate)
                .into_iter()
                .filter(|d| HTTP_SERVER_CRATES.contains(&d.as_str()))
                .collect();
            assert!(
                server.is_empty(),
                "{krate} pulls in {}: it is an HTTP client, only api serves HTTP",
                server.join(", ")
            );
            let asks_server = package(krate)["dependencies"]
                .as_array()
                .expect("a package lists its dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter(|d| ["hyper", "hyper-util"].contains(&name(d)))
                .any(|d| {
                    d["features"].as_array().is_some_and(|f| {
                        f.iter()
                            .any(|f| f.as_str().is_some_and(|f| f.starts_with("server")))
                    })
                });
            assert!(!asks_server, "{krate} turns on hyper's server side");
        }
    }

    #[test]
    fn the_http_client_rule_sees_what_it_must() {
        // The server crates are in the closure of api (so the check can fail), not in the
        // registry client's.
        let api = normal_closure("api");
        assert!(HTTP_SERVER_CRATES.iter().any(|c| api.contains(*c)));
        let client = normal_closure("distribution");
        assert!(client.contains("hyper") && !client.contains("axum"));
    }

    #[test]
    fn graph_is_synchronous() {
        let closure = normal_closure("graph");
        assert!(
            !closure.contains("tokio"),
            "graph pulls in tokio: it is synchronous, the daemon calls it on the blocking pool"
        );
    }

    #[test]
    fn the_daemon_ties_the_leaves_together() {
        let deps = dependencies("daemon");
        for leaf in LEAVES.iter().chain(HTTP_CLIENT_LEAVES) {
            assert!(deps.contains(*leaf), "daemon does not use {leaf}");
        }
    }

    #[test]
    fn test_support_and_xtask_use_no_product_crate() {
        let workspace = workspace_crates();
        for d in dependencies(TEST_SUPPORT) {
            assert!(!workspace.contains(&d), "{TEST_SUPPORT} depends on {d}");
        }
        for d in dependencies("xtask") {
            assert!(
                !workspace.contains(&d) || d == TEST_SUPPORT,
                "xtask depends on {d}: it may use {TEST_SUPPORT} only"
            );
        }
    }

    /// The `StatusCode` constants a route may name itself: the success of its operation (201
    /// for a create, 204 for a start...). A failure's status comes from
    /// `api::ErrorKind::status` only.
    const SUCCESS_STATUSES: &[&str] = &[
        "CONTINUE",
        "SWITCHING_PROTOCOLS",
        "OK",
        "CREATED",
        "ACCEPTED",
        "NO_CONTENT",
    ];

    /// Where `text` (a Rust file's product code) gives a failure its HTTP status: a
    /// `StatusCode::` that is not a success constant (`NOT_FOUND`, `from_u16`...), or a number
    /// of 300 and above given to `.status(`.
    fn failure_statuses(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("StatusCode::") {
                let rest = &code[at + "StatusCode::".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if !SUCCESS_STATUSES.contains(&&rest[..end]) {
                    found.push(format!("{}: {}", i + 1, line.trim()));
                }
            }
            for (at, _) in code.match_indices(".status(") {
                let arg = &code[at + ".status(".len()..];
                let digits: String = arg.chars().take_while(char::is_ascii_digit).collect();
                if digits.parse::<u16>().is_ok_and(|n| n >= 300) {
                    found.push(format!("{}: {}", i + 1, line.trim()));
                }
            }
        }
        found
    }

    /// The product code of a source file: test modules (`tests.rs`, `tests/`) have none, and
    /// everything from the first `#[cfg(test)]` on is tests (they come last, by convention).
    fn product_code(path: &Path, text: &str) -> Option<String> {
        let test_file = path.file_name().is_some_and(|n| n == "tests.rs")
            || path.components().any(|c| c.as_os_str() == "tests");
        if test_file {
            return None;
        }
        let end = text.find("#[cfg(test)]").unwrap_or(text.len());
        Some(text[..end].to_owned())
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir)
            .expect("source dir is readable")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn failure_statuses_come_only_from_the_api_error_table() {
        let root = workspace_root();
        let table = root.join("api/src/error.rs");
        let mut files = Vec::new();
        for krate in ["api", "daemon"] {
            rust_files(&root.join(krate).join("src"), &mut files);
        }
        let mut found = Vec::new();
        for path in files.iter().filter(|p| **p != table) {
            let text = std::fs::read_to_string(path).expect("source is readable");
            let rel = path.strip_prefix(&root).unwrap_or(path);
            if let Some(code) = product_code(rel, &text) {
                found.extend(
                    failure_statuses(&code)
                        .into_iter()
                        .map(|f| format!("{}:{f}", rel.display())),
                );
            }
        }
        assert!(
            found.is_empty(),
            "a failure's HTTP status is decided by api::ErrorKind::status only:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_status_check_sees_what_it_must() {
        assert!(failure_statuses("Ok(StatusCode::NO_CONTENT)").is_empty());
        assert!(failure_statuses("#[serde(rename = \"StatusCode\")]").is_empty());
        assert!(failure_statuses("// StatusCode::NOT_FOUND is the table's").is_empty());
        assert_eq!(
            failure_statuses("a\n(StatusCode::NOT_FOUND, body)").len(),
            1,
            "a failure status outside the table"
        );
        assert_eq!(failure_statuses("StatusCode::from_u16(409)").len(), 1);
        assert_eq!(failure_statuses("builder.status(500)").len(), 1);
        assert!(failure_statuses("builder.status(101)").is_empty());
        let code = "fn f() {}\n#[cfg(test)]\nmod tests { StatusCode::CONFLICT }";
        let product = product_code(Path::new("api/src/x.rs"), code).expect("product code");
        assert!(failure_statuses(&product).is_empty());
        assert!(product_code(Path::new("api/src/routes/tests/x.rs"), code).is_none());
    }
}
