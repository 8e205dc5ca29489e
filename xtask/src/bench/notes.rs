//! The notes under the table: how each figure present was taken, in a few lines each.

use super::Peer;
use super::assets::{Assets, SEEDED_IMAGES};
use super::client::{self, DOCKER_CLI};
use super::containers::{CONTAINERS, RUNC_PER_RUN, RUNS_PER_DAEMON};
use super::engine::Launcher;
use super::probe::{ENDPOINT_ROUNDS, Probe, TAGS};
use super::report::Row;
use super::scenario::{Fixture, Hosted, Metric};

const MB: f64 = 1024.0 * 1024.0;

/// How the bench ran.
pub struct How<'a> {
    /// Whether dockerd took part.
    pub peer: &'a Peer,
    /// What the recipe's launcher adds to a start-up figure, when measured.
    pub recipe_overhead: Option<f64>,
    /// The `--runs` asked for.
    pub runs: usize,
    /// Whether the runs wrote to the scratch file system.
    pub scratch_fs: bool,
}

/// Prints the notes that apply to `rows`.
pub fn print(how: &How, rows: &[Row], assets: &Assets) {
    let (peer, recipe_overhead, runs) = (how.peer, how.recipe_overhead, how.runs);
    let has = |f: &dyn Fn(Metric) -> bool| rows.iter().any(|r| f(r.scenario.metric));
    let runs_of = |p: Probe| p.runs(runs);
    println!(
        "how the figures are taken: median (min-max) of the runs, each on a cold-started daemon \
         unless said, the engines of a row taking turns run by run; runs per figure: start-up \
         {}, idle RSS {}, loads (and tar -x) {}, ~1 GB load's RSS {}, 1000 tags and 100k IDs \
         {}, endpoints {} (each {ENDPOINT_ROUNDS} rounds per pace), docker run {} daemons x \
         {RUNS_PER_DAEMON} runs (+ the first on each), runc run {} x {RUNC_PER_RUN}, \
         create/ps/rm {} daemons (fewer runs for the heavier rows keep the whole bench with \
         dockerd to a few minutes).",
        runs_of(Probe::Ready),
        runs_of(Probe::IdleRss),
        runs_of(Probe::Load(Fixture::Big)),
        runs_of(Probe::LoadRss),
        runs_of(Probe::Tags),
        runs_of(Probe::Endpoints),
        runs_of(Probe::Run),
        runs_of(Probe::Runc),
        runs_of(Probe::Containers),
    );
    if how.scratch_fs {
        println!(
            "- all state (data roots, fixtures, extracted trees) is written to a fresh ext4 file \
             system (mkfs defaults, journalled) loop-mounted from a sparse file for this run: \
             the root file system here has no journal, so ext4 checks every inode it hands out \
             for a recent deletion, which made the same load or tar -x vary 4-fold with what \
             had just been deleted."
        );
    } else {
        println!(
            "- --no-scratch-fs: state is written under $TMPDIR; on a root file system without a \
             journal, loads and tar -x vary several-fold with what was deleted just before."
        );
    }
    println!(
        "- wharfd: spawned by `nsenter --net` in a fresh namespace with a fresh data root, \
         timed from spawn to the first OK of GET /_ping, polled from Rust every 0.5 ms."
    );
    if has(&|m| m == Metric::IdleRss) {
        println!(
            "- idle RSS: VmRSS summed over the daemon and all its descendants after 1 s idle \
             (dockerd: dockerd + containerd); 1 MB = 1024 kB."
        );
    }
    match peer {
        Peer::Dockerd(_) => {
            println!(
                "- dockerd: the recipe's `dockerd.sh start` (FRESH=1, fresh STATE, own netns, \
                 overlay2). Its ping_ms runs from before `ip netns exec ... ns-init.sh` (a \
                 shell that re-mounts the cgroup hierarchies) to curl's first OK, polled every \
                 5 ms, in whole ms: it includes the launcher's and the poller's own cost."
            );
            let by_recipe = rows.iter().any(|r| {
                r.scenario.metric == Metric::Ready
                    && r.scenario.start_for("wharfd").map(|s| s.launcher) == Some(Launcher::Recipe)
            });
            if by_recipe {
                println!(
                    "- \"both by the recipe\" times wharfd exactly that way (its dockerd column \
                     is the same samples as the first row), for a like-for-like ratio.{}",
                    recipe_overhead.map_or_else(String::new, |ms| format!(
                        " The recipe's launcher and poller add ~{ms:.0} ms here."
                    ))
                );
            }
        }
        Peer::NoRecipe => println!(
            "- dockerd is installed but the peer recipe is not at \
             ../shared/reference/peer-dockerd beside the clone: no comparison."
        ),
        Peer::Missing => println!(
            "- no dockerd column: Debian's docker.io is not installed. `cargo xtask bench \
             --with-dockerd` installs it (by the peer recipe's install.sh, which never lets it \
             start on the host) and adds the comparison."
        ),
    }
    let cli = has(&|m| {
        matches!(
            m,
            Metric::Load(_)
                | Metric::LoadRssGrowth
                | Metric::LoadRssPeak
                | Metric::ImagesList
                | Metric::RmiTags
                | Metric::Run
                | Metric::RunFirst
                | Metric::Create100
                | Metric::PsAll
                | Metric::Rm100
                | Metric::Pull(_)
                | Metric::PullCpu(_)
                | Metric::Push(_)
                | Metric::StatsNoStream
                | Metric::Exec
                | Metric::BuildFirst
                | Metric::BuildCached
                | Metric::BuildTouched
                | Metric::NetworkCreateRm
                | Metric::RunUserNet
                | Metric::DnsLookupP50
                | Metric::DnsLookupP99
        )
    });
    if cli {
        println!(
            "- docker load / images / rmi / run / create / ps / rm / pull / push: the real CLI ({DOCKER_CLI}) with DOCKER_HOST at the \
             engine's socket and a config dir of its own, timed from spawn to exit, so the \
             CLI's own start-up ({}) is in every figure. Each load is checked (untimed) to give \
             the fixture's image ID, the same on both engines.",
            client::cli_startup_ms().map_or_else(
                |e| format!("not measured: {e:#}"),
                |ms| format!("`docker --version`: {ms:.1} ms")
            )
        );
    }
    if let Some(f) = assets.loaded_fixtures() {
        let size = |x: Fixture| f.image(x).bytes as f64 / MB;
        println!(
            "- fixtures (testkit's wharf-fixtures, docker-archives): busybox {:.1} MB; \
             multi-layer {:.1} MB (busybox + whiteout, opaque dir, hard link, symlink, setuid); \
             ~100 MB: {:.0} MB, busybox + one layer of {} regular files ({:.0} MB, with their \
             directories and symlinks) sampled from this host's /usr/{{bin,include,lib,libexec,\
             sbin,share}} by a hash of each path (files over 16 MB left out; owners root, fixed \
             times), the same bytes on every run on this host. Not debootstrap: it downloads \
             and takes minutes.",
            size(Fixture::Busybox),
            size(Fixture::Layered),
            size(Fixture::Big),
            f.big_layer_files,
            f.big_layer_content as f64 / MB,
        );
    }
    if let Some(h) = assets.loaded_huge() {
        println!(
            "- ~1 GB fixture (wharf-fixtures --huge, written in {:.1} s into the bench's temp \
             dir, never kept): big1g:1, a {:.0} MB docker-archive of one layer of {} regular \
             files of {:.0} MB each ({:.0} MB in all) of pseudo-random bytes (splitmix64 from a \
             fixed seed: incompressible, nowhere zero, the same image ID everywhere), made as \
             it is written.",
            h.took.as_secs_f64(),
            h.image.bytes as f64 / MB,
            h.files,
            h.content as f64 / h.files.max(1) as f64 / MB,
            h.content as f64 / MB,
        );
    }
    if has(&|m| matches!(m, Metric::LoadRssGrowth | Metric::LoadRssPeak)) {
        println!(
            "- RSS while loading ~1 GB (wharfd only): on a cold daemon (default settings, \
             fresh data root), the fixture read into the page cache first (so the CLI sends \
             as fast as it can), then wharfd's VmRSS read from /proc/<pid>/status, its peak \
             reset (`echo 5 > /proc/<pid>/clear_refs`, so start-up's peak is not counted), \
             `docker load -i` by the real CLI (\"Loaded image: big1g:1\" and the image ID \
             checked), then its VmHWM read. Growth = VmHWM - VmRSS before; the sub-row is \
             VmHWM itself. Process memory only: the page cache the extracted files and the \
             archive fill is the kernel's, not wharfd's. 1 MB = 1024 kB."
        );
    }
    if has(&|m| m == Metric::TarExtract) {
        println!(
            "- plain tar -x: GNU `tar -x -f` of the ~100 MB image's /usr layer alone (its 2 MB \
             busybox layer is not in it) into an empty dir on the file system of the data \
             roots, timed right before each of wharfd's big loads (same runs, same \
             conditions). Neither it nor the loads sync to disk themselves; a `sync` (untimed) right \
             before each of them writes back what earlier runs left dirty."
        );
    }
    if has(&|m| matches!(m, Metric::ImagesList | Metric::RmiTags)) {
        println!(
            "- {TAGS} tags: busybox loaded and tagged bench:t0001.. by POST \
             /images/busybox:latest/tag (untimed), then on the same daemon `docker images` \
             (all {} lines checked) and `docker rmi` of the {TAGS} tags in one command (the CLI \
             sends one DELETE per tag, one after the other; every Untagged: line checked).",
            TAGS + 2
        );
    }
    if has(&|m| matches!(m, Metric::PrefixLookup | Metric::PrefixResolve)) {
        println!(
            "- prefix lookup: graph's prefix-bench example (no daemon): 100 000 image records \
             committed to sled in a temp dir, reopened, then 10 000 lookups of distinct IDs by \
             their shortest unique prefix, each timed; a run's figure is its median. (index) \
             is Catalog::find_prefix; (resolve) is ImageStore::resolve, the path of `docker \
             image inspect <prefix>` (a reference lookup that misses, then the index)."
        );
    }
    if has(&|m| m == Metric::Ready) && assets.is_seeded() {
        println!(
            "- ready, 10k images stored: one data root seeded per bench run by graph's \
             seed-images example ({SEEDED_IMAGES} images, each its own one-file layer, config \
             and tag, stored by ImageStore::load from in-memory archives, no HTTP); every start \
             is a restart of wharfd on it, and /info must report {SEEDED_IMAGES} images. dockerd: \
             not measured (seeding it through its API would take minutes)."
        );
    }
    containers(rows);
    super::container_stats::notes(rows);
    exec(rows);
    build(rows);
    user_networks(rows);
    registry(rows, assets, runs);
    if has(&|m| matches!(m, Metric::BridgeSetup | Metric::Attach | Metric::Detach)) {
        println!(
            "- bridge and endpoints: netdriver's endpoint-bench example in a fresh namespace \
             per run (nsenter): NetDriver::init creates docker0, enables forwarding, writes \
             its state and applies the `ip wharf` table (one nft run); then {ENDPOINT_ROUNDS} \
             attach/detach rounds, each to a namespace unshared by a thread. \"attach\" starts \
             once the previous veth's background deletion is done (untimed settle); \"right \
             after a detach\" starts while it is still going, and waits for the RTNL lock the \
             kernel holds through that deletion's RCU grace period. A run's figure is its \
             median. dockerd has no comparable API."
        );
    }
}

/// The notes of the pull and push rows (issue 11).
fn registry(rows: &[Row], assets: &Assets, runs: usize) {
    let Some(h) = assets.loaded_hosted() else {
        return;
    };
    let mb = |b: u64| format!("{:.0}", b as f64 / MB);
    let five: Vec<String> = h.five_layer_bytes.iter().map(|b| mb(*b)).collect();
    println!(
        "- pull / push images (wharf-fixtures --registry, {:.1} s with the fill): the same /usr \
         sample as the ~100 MB load ({} files, {} MB of content), without busybox: as one layer \
         ({} MB tar), and cut in walk order into five layers of {} MB (tars, bottom first); \
         the largest alone is the sub-row. Put once per bench into a registry storage by \
         `skopeo copy docker-archive:... docker://...` (gzip, as registries serve them: {} MB \
         of blobs in all).",
        h.took.as_secs_f64(),
        h.sample_files,
        mb(h.sample_content),
        mb(h.image(Hosted::One).bytes),
        five.join(" / "),
        mb(h.blob_bytes),
    );
    let has = |f: &dyn Fn(Metric) -> bool| rows.iter().any(|r| f(r.scenario.metric));
    if has(&|m| matches!(m, Metric::Pull(_))) {
        println!(
            "- docker pull ({} cold daemons per figure, default settings, empty store): \
             Debian's docker-registry (distribution 2.8) started in the daemon's own network \
             namespace on 127.0.0.1:5000, serving that storage read-only; its blobs read into \
             the page cache and `sync` (untimed); then `docker pull 127.0.0.1:5000/bench/...` \
             timed from the CLI's spawn to its exit (plain HTTP: both daemons treat 127.0.0.0/8 \
             as insecure, and both try HTTPS first); then the image ID checked (untimed). The \
             CPU rows sum user + system time of the daemon's process tree and the registry \
             over the pull (/proc/PID/stat, 10 ms ticks): with 2 CPUs a pull cannot take less \
             than half of it.",
            Probe::Pull(Hosted::One).runs(runs)
        );
    }
    if has(&|m| matches!(m, Metric::Push(_))) {
        println!(
            "- docker push ({} cold daemons per figure): the image loaded by docker load and \
             tagged (untimed), an empty registry storage served in the daemon's namespace, \
             `sync`, then `docker push` timed from spawn to exit; each daemon gzips the layers \
             as it sends them (nothing is known of the registry after a load). Then `skopeo \
             inspect` (untimed) must find the digest the CLI printed, the image's config and \
             every layer.",
            Probe::Push(Hosted::One).runs(runs)
        );
    }
}

/// The notes of the container rows (issue 5).
fn containers(rows: &[Row]) {
    let has = |f: &dyn Fn(Metric) -> bool| rows.iter().any(|r| f(r.scenario.metric));
    if has(&|m| matches!(m, Metric::Run | Metric::RunFirst)) {
        println!(
            "- docker run --rm busybox true: on each cold-started daemon (default settings, so \
             the default bridge network: a veth per container) busybox is loaded by docker load \
             (untimed), then the CLI runs it 1 + {RUNS_PER_DAEMON} times in a row; the first \
             is its own row, the figure is the median of the others over all daemons. Every \
             run must print nothing and exit 0, and no container may be left (untimed ps -aq). \
             wharfd: runc under a per-container monitor (wharfd monitor); dockerd: containerd, \
             containerd-shim and runc."
        );
    }
    if has(&|m| m == Metric::RuncRun) {
        println!(
            "- runc run alone: `runc run` (no daemon, no CLI) of an OCI bundle made once from \
             the busybox fixture's layer (rootfs extracted by tar) and `runc spec`'s default \
             config (read-only root, new namespaces of every kind, network included, no \
             terminal, `true`, a one-level cgroup of the bench's), started by nsenter in a \
             namespace of the bench's, state root in a temp dir; timed from spawn to exit, \
             {RUNC_PER_RUN} times per run. No overlay, no veth, no log, no monitor: the floor \
             under either engine's docker run."
        );
    }
    if has(&|m| matches!(m, Metric::Create100 | Metric::PsAll | Metric::Rm100)) {
        println!(
            "- {CONTAINERS} containers: on one cold daemon with busybox loaded (untimed), \
             `docker create busybox true` {CONTAINERS} times, one CLI call after the other \
             (the figure is the sum of their times; each must print a full ID), then `docker \
             ps -a` ({} lines checked), then `docker rm` of the {CONTAINERS} IDs in one command \
             (the CLI sends one DELETE per container, up to 50 at a time; every ID checked in its \
             output), then an untimed ps -aq must be empty. No numeric target: the issue \
             compares them with dockerd.",
            CONTAINERS + 1
        );
    }
}

/// The note of the exec row (issue 12).
fn exec(rows: &[Row]) {
    if rows.iter().any(|r| r.scenario.metric == Metric::Exec) {
        println!(
            "- docker exec c true: on each cold-started daemon busybox is loaded and `docker run \
             -d busybox sleep 600` started (untimed), then the CLI runs `docker exec c true` {} \
             times in a row (inspect, exec create, start attached, exec inspect); each must \
             print nothing and exit 0, and ExecIDs must be null afterwards. wharfd: a monitor \
             of its own (wharfd monitor --exec) starts the process itself, without runc (the \
             container's first exec also compiles its seccomp filter, cached for the next); \
             dockerd: containerd's shim and runc exec.",
            super::exec::EXECS_PER_DAEMON
        );
    }
}

/// The note of the build rows (issue 15).
fn build(rows: &[Row]) {
    let built = |m: &Metric| {
        matches!(
            m,
            Metric::BuildFirst | Metric::BuildCached | Metric::BuildTouched
        )
    };
    if rows.iter().any(|r| built(&r.scenario.metric)) {
        println!(
            "- docker build: on each cold-started daemon busybox is loaded (untimed), then the CLI \
             (no buildx: the legacy builder on both engines) builds a 10-step Dockerfile (ENV, \
             LABEL, WORKDIR, two COPYs, RUN, USER, EXPOSE, CMD) with a context of 50 files of \
             1 MiB of incompressible bytes: first with nothing cached, then again (all nine steps \
             must say \"Using cache\"), then after the small COPY source changed."
        );
    }
}

/// The note of the user-network rows (issue 14).
fn user_networks(rows: &[Row]) {
    let ours = |m: Metric| rows.iter().any(|r| r.scenario.metric == m);
    if ours(Metric::NetworkCreateRm) || ours(Metric::RunUserNet) {
        println!(
            "- docker network create + rm / docker run --rm on a user network: on each \
             cold-started daemon busybox is loaded (untimed), then {} times `docker network \
             create bench-net-N` and `docker network rm bench-net-N` (their times summed: a \
             bridge made and deleted, the nftables table replaced twice), then one network is \
             created and `docker run --rm --network bench-net busybox true` runs {} times \
             (the embedded DNS served and dropped each time); then with a `peer` and a \
             `client` container on it, {} A queries for `peer` sent one at a time over UDP to \
             127.0.0.11:53 from a thread of xtask inside the client's network namespace (the \
             same path on both engines: dockerd DNATs that address to its resolver), their \
             p50 and p99 per run. No network or container may be left.",
            super::networks::ROUNDS,
            super::networks::ROUNDS,
            super::dns_lookup::LOOKUPS
        );
    }
}
