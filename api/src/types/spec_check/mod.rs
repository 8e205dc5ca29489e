//! Every `api::types` type checked against the Engine API v1.47 spec (`api/spec/`, Moby's
//! swagger file, as JSON): the JSON schema schemars derives from each type, as serde writes
//! it (responses) or reads it (requests), is walked beside the spec's schema for the same
//! definition, so a field's wire name (its `rename`) and its type (string, integer, boolean,
//! array, object, and whether it may be null) cannot drift from the spec unnoticed. Where we
//! knowingly differ (as dockerd itself does), the difference is listed in [`EXCEPTIONS`] with the
//! reason; an exception that no longer matches fails too, so the list stays exact.

mod compare;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::Value;

use super::*;
use compare::Comparison;

/// Known disagreements with the spec, each with why it stays.
const EXCEPTIONS: &[(&str, &str)] = &[
    // moby's `HostConfig` holds these as Go pointers (`*int64`, `*bool`): dockerd writes `null`
    // when the client set none, though the spec does not say `x-nullable`. We write what the
    // client sent, as it does.
    (
        "ContainerInspectResponse.HostConfig.MemorySwappiness: may be null, the spec's integer \
         is not x-nullable",
        "dockerd writes moby's nil *int64 as null",
    ),
    (
        "ContainerInspectResponse.HostConfig.OomKillDisable: may be null, the spec's boolean is \
         not x-nullable",
        "dockerd writes moby's nil *bool as null",
    ),
    // The spec defines no line of the load/import streams; dockerd's jsonmessage for them is a
    // pull's (`CreateImageInfo`) plus the `stream` text `BuildInfo` defines, which
    // `docker load` prints (`Loaded image: ...`).
    (
        "CreateImageInfo.stream: not in the spec",
        "docker load prints the stream text",
    ),
    // `aux` is `BuildInfo`'s and a push's (tag, digest and size of the pushed manifest), the
    // same jsonmessage type in moby.
    (
        "CreateImageInfo.aux: not in the spec",
        "a push ends with the manifest's digest in aux",
    ),
    // Fields the spec dropped (VirtualSize in v1.44, Container and ContainerConfig in v1.45)
    // that dockerd still writes to older clients (the v1.41 traces show all three). They are
    // left out when unset: VirtualSize is never set today, Container and ContainerConfig
    // whenever the image's config has them, whatever version the request names.
    (
        "ImageInspect.Container: not in the spec",
        "dockerd writes it below v1.45",
    ),
    (
        "ImageInspect.ContainerConfig: not in the spec",
        "dockerd writes it below v1.45",
    ),
    (
        "ImageInspect.VirtualSize: not in the spec",
        "dockerd writes it below v1.44",
    ),
    (
        "ImageSummary.VirtualSize: not in the spec",
        "dockerd writes it below v1.44",
    ),
    (
        "SystemDataUsageResponse.Images[].VirtualSize: not in the spec",
        "dockerd writes it below v1.44",
    ),
    // Dropped from the spec in v1.42; clients of older versions still send it, and dockerd
    // checks it at create (its 6 MB minimum) and answers with a deprecation warning. Written
    // back only when a client sent it.
    (
        "ContainerCreateRequest.HostConfig.KernelMemory: not in the spec",
        "clients below v1.42 send it and dockerd checks it",
    ),
    (
        "ContainerInspectResponse.HostConfig.KernelMemory: not in the spec",
        "shown as a client below v1.42 sent it",
    ),
    // moby's `registry.AuthConfig` has two token fields the spec leaves out; the CLI sends
    // `identitytoken` after a login that returned one, in `X-Registry-Auth` and `/auth`.
    (
        "AuthConfig.identitytoken: not in the spec",
        "the CLI sends the identity token a login returned",
    ),
    (
        "AuthConfig.registrytoken: not in the spec",
        "moby's AuthConfig carries a bearer token for the registry",
    ),
    // moby's `backFillLegacy`: container and image events keep the fields the spec dropped in
    // v1.22, which the CLI before 25 and docker-py still read.
    (
        "EventMessage.status: not in the spec",
        "dockerd writes it for container and image events",
    ),
    (
        "EventMessage.id: not in the spec",
        "dockerd writes it for container and image events",
    ),
    (
        "EventMessage.from: not in the spec",
        "dockerd writes it for container events",
    ),
    // moby's `ExecInspect.ExitCode` is an `*int`: null until the process has ended (the
    // v1.41 trace shows it once set; docker-py and the CLI read null as "still running").
    (
        "ExecInspectResponse.ExitCode: may be null, the spec's integer is not x-nullable",
        "dockerd writes moby's nil *int as null while the exec runs",
    ),
];

/// The spec, parsed once: Moby's `swagger.yaml` of v1.47 converted to JSON as it is
/// (`python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout,
/// indent=1, ensure_ascii=False, default=str)'`), so that reading it takes no YAML parser.
fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = include_str!("../../../spec/engine-api-v1.47.json");
        serde_json::from_str(text).expect("the spec is JSON")
    })
}

/// The spec's schema at a JSON pointer (`/definitions/Volume`).
fn at(pointer: &str) -> &'static Value {
    spec()
        .pointer(pointer)
        .unwrap_or_else(|| panic!("the spec has nothing at {pointer}"))
}

/// The schema of the JSON body `method path` takes.
fn request_body(path: &str, method: &str) -> &'static Value {
    let pointer = format!("/paths/{}/{method}/parameters", path.replace('/', "~1"));
    at(&pointer)
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["in"] == "body")
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("{method} {path} takes no body"))
}

/// The schema of `method path`'s 200 answer.
fn response(path: &str, method: &str) -> &'static Value {
    at(&format!(
        "/paths/{}/{method}/responses/200/schema",
        path.replace('/', "~1")
    ))
}

/// One of our types and the spec's schema for the same thing.
struct Root {
    name: &'static str,
    schema: fn(&mut SchemaGenerator) -> schemars::Schema,
    spec: &'static Value,
}

fn root<T: JsonSchema>(name: &'static str, spec: &'static Value) -> Root {
    Root {
        name,
        schema: |g| g.subschema_for::<T>(),
        spec,
    }
}

/// What we write, against the definition (or the answer) it stands for. The types inside them
/// are reached through their fields.
fn responses() -> Vec<Root> {
    let def = |name: &str| at(&format!("/definitions/{name}"));
    vec![
        root::<ContainerCreateResponse>("ContainerCreateResponse", def("ContainerCreateResponse")),
        root::<ContainerWaitResponse>("ContainerWaitResponse", def("ContainerWaitResponse")),
        root::<ContainerSummary>("ContainerSummary", def("ContainerSummary")),
        root::<ContainerInspect>(
            "ContainerInspectResponse",
            response("/containers/{id}/json", "get"),
        ),
        root::<ImageSummary>("ImageSummary", def("ImageSummary")),
        root::<ImageInspect>("ImageInspect", def("ImageInspect")),
        root::<HistoryResponseItem>("ImageHistoryResponseItem", def("ImageHistoryResponseItem")),
        root::<ImageDeleteResponseItem>("ImageDeleteResponseItem", def("ImageDeleteResponseItem")),
        // The spec has no definition of the load/import stream's lines; a pull's is the same
        // jsonmessage.
        root::<JsonMessage>("CreateImageInfo", def("CreateImageInfo")),
        root::<Volume>("Volume", def("Volume")),
        root::<VolumeListResponse>("VolumeListResponse", def("VolumeListResponse")),
        root::<Network>("Network", def("Network")),
        root::<SystemVersion>("SystemVersion", def("SystemVersion")),
        root::<SystemInfo>("SystemInfo", def("SystemInfo")),
        root::<AuthResponse>("SystemAuthResponse", response("/auth", "post")),
        root::<DistributionInspect>("DistributionInspect", def("DistributionInspect")),
        root::<EventMessage>("EventMessage", def("EventMessage")),
        root::<ContainerPruneResponse>(
            "ContainerPruneResponse",
            response("/containers/prune", "post"),
        ),
        root::<ImagePruneResponse>("ImagePruneResponse", response("/images/prune", "post")),
        root::<VolumePruneResponse>("VolumePruneResponse", response("/volumes/prune", "post")),
        root::<NetworkPruneResponse>("NetworkPruneResponse", response("/networks/prune", "post")),
        root::<BuildPruneResponse>("BuildPruneResponse", response("/build/prune", "post")),
        root::<SystemDataUsageResponse>("SystemDataUsageResponse", response("/system/df", "get")),
        root::<FilesystemChange>("FilesystemChange", def("FilesystemChange")),
        root::<IdResponse>("IdResponse", def("IdResponse")),
        root::<ContainerTopResponse>(
            "ContainerTopResponse",
            response("/containers/{id}/top", "get"),
        ),
        root::<ContainerUpdateResponse>(
            "ContainerUpdateResponse",
            response("/containers/{id}/update", "post"),
        ),
        root::<ExecInspectResponse>("ExecInspectResponse", response("/exec/{id}/json", "get")),
        root::<NetworkCreateResponse>("NetworkCreateResponse", def("NetworkCreateResponse")),
    ]
}

/// What we read, against the body it stands for.
fn requests() -> Vec<Root> {
    vec![
        root::<ContainerCreateRequest>(
            "ContainerCreateRequest",
            request_body("/containers/create", "post"),
        ),
        root::<VolumeCreateOptions>(
            "VolumeCreateOptions",
            at("/definitions/VolumeCreateOptions"),
        ),
        root::<AuthConfig>("AuthConfig", request_body("/auth", "post")),
        root::<ContainerUpdateRequest>(
            "ContainerUpdateRequest",
            request_body("/containers/{id}/update", "post"),
        ),
        root::<ExecCreateRequest>("ExecConfig", request_body("/containers/{id}/exec", "post")),
        root::<ExecStartRequest>("ExecStartConfig", request_body("/exec/{id}/start", "post")),
        root::<NetworkCreateRequest>(
            "NetworkCreateRequest",
            request_body("/networks/create", "post"),
        ),
        root::<NetworkConnectRequest>(
            "NetworkConnectRequest",
            request_body("/networks/{id}/connect", "post"),
        ),
        root::<NetworkDisconnectRequest>(
            "NetworkDisconnectRequest",
            request_body("/networks/{id}/disconnect", "post"),
        ),
    ]
}

/// The walk's findings over both contracts.
struct Findings {
    found: Vec<String>,
    omitted: Vec<String>,
    visited: BTreeSet<String>,
}

fn walk() -> Findings {
    let mut findings = Findings {
        found: Vec::new(),
        omitted: Vec::new(),
        visited: BTreeSet::new(),
    };
    for (roots, settings) in [
        (responses(), SchemaSettings::default().for_serialize()),
        (requests(), SchemaSettings::default().for_deserialize()),
    ] {
        let serialize = settings.contract.is_serialize();
        let mut generator = settings.into_generator();
        let schemas: Vec<Value> = roots
            .iter()
            .map(|r| (r.schema)(&mut generator).to_value())
            .collect();
        let defs = generator.definitions().clone();
        let mut walk = Comparison::new(&defs, spec(), serialize);
        for (r, schema) in roots.iter().zip(&schemas) {
            walk.compare(r.name, schema, r.spec);
        }
        findings.found.extend(walk.found);
        findings.omitted.extend(walk.omitted);
        findings.visited.extend(walk.visited);
    }
    findings.found.sort();
    findings.found.dedup();
    findings
}

#[test]
fn wire_types_agree_with_the_spec() {
    let findings = walk();
    let excepted: Vec<&str> = EXCEPTIONS.iter().map(|(what, _)| *what).collect();
    let unexpected: Vec<&String> = findings
        .found
        .iter()
        .filter(|f| !excepted.contains(&f.as_str()))
        .collect();
    let stale: Vec<&&str> = excepted
        .iter()
        .filter(|e| !findings.found.iter().any(|f| f == **e))
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "api::types disagree with the v1.47 spec:\n{}\n\nexceptions that no longer match:\n{}",
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        stale.iter().map(|s| **s).collect::<Vec<_>>().join("\n"),
    );
}

#[test]
fn every_wire_type_is_checked() {
    let findings = walk();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/types");
    let sources: Vec<String> = std::fs::read_dir(dir)
        .expect("the types' sources are readable")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| std::fs::read_to_string(e.path()).expect("a types source is readable"))
        .collect();
    for line in sources.iter().flat_map(|s| s.lines()) {
        let Some(rest) = line
            .strip_prefix("pub struct ")
            .or_else(|| line.strip_prefix("pub enum "))
        else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert!(
            findings.visited.contains(&name),
            "api::types::{name} is not checked against the spec: reach it from a root in \
             types/spec_check/mod.rs"
        );
    }
}
