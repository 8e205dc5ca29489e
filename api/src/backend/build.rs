//! What `POST /build` needs from the daemon (moby's `router/build/backend.go`).

use std::collections::BTreeMap;
use std::future::Future;

use super::{ByteStream, MessageStream};
use crate::Error;
use crate::types::AuthConfig;

/// What `POST /build` asked for (moby's `ImageBuildOptions`), as the route parsed it.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `dockerfile`: the Dockerfile's path in the context (`Dockerfile` when empty).
    pub dockerfile: String,
    /// `t`: the names to tag the result with.
    pub tags: Vec<String>,
    /// `buildargs`: `ARG` values (`null` is a name without a value).
    pub build_args: BTreeMap<String, Option<String>>,
    /// `labels`: added to the final image.
    pub labels: BTreeMap<String, String>,
    /// `target`: the stage to stop after.
    pub target: String,
    /// `nocache`.
    pub no_cache: bool,
    /// `rm` (true unless given false): intermediate containers removed after a successful
    /// step.
    pub remove: bool,
    /// `forcerm`: intermediate containers removed also after a failed step.
    pub force_remove: bool,
    /// `q`: only the image ID is printed.
    pub quiet: bool,
    /// `networkmode` of RUN containers.
    pub network_mode: String,
    /// `platform`.
    pub platform: String,
    /// `extrahosts` of RUN containers (`host:ip`).
    pub extra_hosts: Vec<String>,
    /// `shmsize` of RUN containers, in bytes (0: the default).
    pub shm_size: i64,
    /// `memory` of RUN containers, in bytes.
    pub memory: i64,
    /// `memswap` of RUN containers.
    pub memory_swap: i64,
    /// `cpushares`.
    pub cpu_shares: i64,
    /// `cpusetcpus`.
    pub cpuset_cpus: String,
    /// `cpuperiod`.
    pub cpu_period: i64,
    /// `cpuquota`.
    pub cpu_quota: i64,
    /// `remote`: a context URL (not supported).
    pub remote: String,
    /// `cachefrom`: images whose steps the cache may reuse (`--cache-from`).
    pub cache_from: Vec<String>,
    /// `pull`: FROM pulls its image even when the store has it (`--pull`).
    pub pull: bool,
    /// The `X-Registry-Config` header: credentials by registry (`https://index.docker.io/v1/`
    /// for Docker Hub, else `host[:port]`), for FROM's pulls.
    pub auth_configs: BTreeMap<String, AuthConfig>,
}

/// `docker build`.
pub trait BuildBackend {
    /// `POST /build`: builds the context `body` (a tar, plain or gzip); the progress, the
    /// result and a failure after the first step are in the stream (dockerd's classic
    /// builder's lines).
    fn build(
        &self,
        body: ByteStream,
        opts: BuildOptions,
    ) -> impl Future<Output = Result<MessageStream, Error>> + Send;
}
