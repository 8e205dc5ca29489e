//! What this build of `wharfd` is: version, revision, compiler.

use std::collections::BTreeMap;

use api::types::{ComponentVersion, Platform, SystemVersion};
use api::version::{API_VERSION, MIN_API_VERSION};

/// The daemon's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The source revision (short hash), empty when built outside git.
pub const GIT_COMMIT: &str = env!("WHARF_GIT_COMMIT");
const BUILD_TIME: &str = env!("WHARF_BUILD_TIME");
const RUSTC: &str = env!("WHARF_RUSTC");

/// `--version`'s line, shaped like dockerd's.
pub fn line() -> String {
    format!("Wharf version {VERSION}, build {GIT_COMMIT}")
}

/// `GET /version` for a host with this kernel and Go-style architecture name.
pub fn system_version(kernel: &str, goarch: &str) -> SystemVersion {
    let build_time = (!BUILD_TIME.is_empty()).then(|| BUILD_TIME.to_owned());
    let details = BTreeMap::from([
        ("ApiVersion".to_owned(), API_VERSION.to_string()),
        ("MinAPIVersion".to_owned(), MIN_API_VERSION.to_string()),
        ("GitCommit".to_owned(), GIT_COMMIT.to_owned()),
        ("GoVersion".to_owned(), RUSTC.to_owned()),
        ("Os".to_owned(), "linux".to_owned()),
        ("Arch".to_owned(), goarch.to_owned()),
        ("KernelVersion".to_owned(), kernel.to_owned()),
        ("Experimental".to_owned(), "false".to_owned()),
        ("BuildTime".to_owned(), BUILD_TIME.to_owned()),
    ]);
    SystemVersion {
        platform: Platform {
            name: "Wharf Engine".into(),
        },
        components: vec![ComponentVersion {
            name: "Engine".into(),
            version: VERSION.into(),
            details: Some(details),
        }],
        version: VERSION.into(),
        api_version: API_VERSION.to_string(),
        min_api_version: MIN_API_VERSION.to_string(),
        git_commit: GIT_COMMIT.into(),
        go_version: RUSTC.into(),
        os: "linux".into(),
        arch: goarch.into(),
        kernel_version: kernel.into(),
        build_time,
        experimental: false,
    }
}
