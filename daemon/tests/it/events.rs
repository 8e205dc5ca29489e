//! `docker events` through the real CLI: a live reader while `docker run --rm` happens, and
//! the replay of kept events with `--since`/`--until` and `--filter`, each line as dockerd
//! prints it (`TIME TYPE ACTION ID (ATTRIBUTES)`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::containers::Env;

/// One line of `docker events`, split: type, action, actor, attributes as printed.
#[derive(Debug, Clone)]
struct Line {
    kind: String,
    action: String,
    actor: String,
    attrs: String,
}

impl Line {
    /// `2026-11-28T04:45:44.29Z container create 23cc... (image=busybox, name=x)`; an
    /// `exec_create: cmd` action has spaces, so the actor is the word before ` (`.
    fn parse(text: &str) -> Line {
        let (head, attrs) = text
            .split_once(" (")
            .map_or((text, ""), |(h, a)| (h, a.trim_end_matches(')')));
        let words: Vec<&str> = head.split(' ').collect();
        assert!(words.len() >= 4, "an events line: {text}");
        Line {
            kind: words[1].to_owned(),
            action: words[2..words.len() - 1].join(" "),
            actor: words[words.len() - 1].to_owned(),
            attrs: attrs.to_owned(),
        }
    }

    fn what(&self) -> String {
        format!("{} {}", self.kind, self.action)
    }
}

/// `docker events ARGS` printed lines.
fn replay(env: &Env, args: &[&str]) -> Vec<Line> {
    let mut all = vec!["events"];
    all.extend_from_slice(args);
    env.d.docker_ok(&all).lines().map(Line::parse).collect()
}

fn whats(lines: &[Line]) -> Vec<String> {
    lines.iter().map(Line::what).collect()
}

/// Unix seconds now, as `--since`/`--until` take them.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// What `docker events --since T0 --until NOW ARGS` prints, a second after the test's last
/// action: the CLI sends whole seconds, so NOW then covers everything before it.
pub(crate) fn told_since(d: &testkit::Wharfd, t0: u64, args: &[&str]) -> String {
    std::thread::sleep(Duration::from_millis(1100));
    let (since, until) = (t0.to_string(), unix_now().to_string());
    let mut all = vec![
        "events",
        "--since",
        since.as_str(),
        "--until",
        until.as_str(),
    ];
    all.extend_from_slice(args);
    d.docker_ok(&all)
}

/// A live `docker events` reader: its lines arrive on a channel; killed (by its PID) on drop.
struct Live {
    child: Child,
    lines: Receiver<String>,
}

impl Live {
    fn start(env: &Env, args: &[&str]) -> Live {
        let mut all = vec!["events"];
        all.extend_from_slice(args);
        let mut child = env
            .d
            .docker_command(&all)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker events starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Live { child, lines }
    }

    /// The next line within `limit`.
    fn next(&self, limit: Duration) -> Option<Line> {
        self.lines.recv_timeout(limit).ok().map(|l| Line::parse(&l))
    }

    /// Lines until one whose `what()` is `last` (included), within ten seconds.
    fn until(&self, last: &str) -> Vec<Line> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = Vec::new();
        while Instant::now() < deadline {
            if let Some(l) = self.next(Duration::from_millis(200)) {
                let done = l.what() == last;
                got.push(l);
                if done {
                    return got;
                }
            }
        }
        panic!("no {last:?} within ten seconds; got {:?}", whats(&got));
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `live` is subscribed: tags the image until the reader prints the tag.
fn wait_subscribed(env: &Env, live: &Live) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        env.d.docker_ok(&["tag", "busybox", "busybox:probe"]);
        if let Some(l) = live.next(Duration::from_millis(300))
            && l.what() == "image tag"
        {
            // Whatever else the probes told is drained.
            while live.next(Duration::from_millis(100)).is_some() {}
            return;
        }
    }
    panic!("docker events never printed the probe's tag");
}

#[test]
#[ignore = "privileged"]
fn a_live_reader_sees_docker_run_rm_as_dockerd_tells_it() {
    let env = Env::new("evlive", &[]);
    let live = Live::start(&env, &[]);
    wait_subscribed(&env, &live);

    let out = env.d.docker(&[
        "run",
        "--rm",
        "--name",
        "ev1",
        "-l",
        "app=trace",
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(out.expect("docker run").status.code(), Some(3));
    let lines = live.until("container destroy");
    assert_eq!(
        whats(&lines),
        [
            "container create",
            "container attach",
            "network connect",
            "container start",
            "container die",
            "network disconnect",
            "container destroy",
        ]
    );
    let id = lines[0].actor.clone();
    assert_eq!(id.len(), 64, "{lines:?}");
    for l in lines.iter().filter(|l| l.kind == "container") {
        assert_eq!(l.actor, id);
    }
    assert_eq!(lines[0].attrs, "app=trace, image=busybox, name=ev1");
    assert_eq!(
        lines[4].attrs,
        "app=trace, exitCode=3, image=busybox, name=ev1"
    );
    let bridge = env
        .d
        .docker_ok(&["network", "inspect", "-f", "{{.Id}}", "bridge"]);
    for l in [&lines[2], &lines[5]] {
        assert_eq!(l.actor, bridge.trim());
        assert_eq!(l.attrs, format!("container={id}, name=bridge, type=bridge"));
    }

    // Image events: tag and untag name the image by its ID.
    let image = env
        .d
        .docker_ok(&["image", "inspect", "-f", "{{.Id}}", "busybox"]);
    let image = image.trim();
    env.d.docker_ok(&["tag", "busybox", "busybox:ev"]);
    env.d.docker_ok(&["rmi", "busybox:ev"]);
    let lines = live.until("image untag");
    assert_eq!(whats(&lines), ["image tag", "image untag"]);
    assert_eq!(lines[0].actor, image);
    assert_eq!(lines[0].attrs, "name=busybox:ev");
    assert_eq!(lines[1].attrs, format!("name={image}"));
}

#[test]
#[ignore = "privileged"]
fn since_until_and_filters_replay_the_kept_events() {
    let env = Env::new("evpast", &[]);
    let t0 = unix_now() - 1;
    env.d.docker_ok(&[
        "run", "-d", "--name", "kk", "-l", "app=k", "busybox", "sleep", "100",
    ]);
    // busybox's sleep as PID 1 ignores SIGTERM: the stop ends with SIGKILL.
    env.d.docker_ok(&["stop", "-t", "1", "kk"]);
    env.d.docker_ok(&["start", "kk"]);
    env.d.docker_ok(&["kill", "-s", "USR1", "kk"]);
    env.d.docker_ok(&["rm", "-f", "kk"]);
    env.d.docker_ok(&["volume", "create", "v1"]);
    env.d.docker_ok(&[
        "run",
        "--rm",
        "-v",
        "v1:/data",
        "-v",
        "v2:/ro:ro",
        "busybox",
        "true",
    ]);
    env.d.docker_ok(&["volume", "rm", "v1", "v2"]);
    let since = t0.to_string();
    // The CLI sends whole seconds: a second later, `--until` now covers everything above.
    std::thread::sleep(Duration::from_millis(1100));
    let now = unix_now().to_string();

    // `--until` in the past: the replay, then the CLI exits.
    let past = |filters: &[&str]| {
        let mut args = vec!["--since", since.as_str(), "--until", now.as_str()];
        for f in filters {
            args.extend(["--filter", f]);
        }
        replay(&env, &args)
    };
    let all = past(&[]);
    let containers: Vec<Line> = all
        .iter()
        .filter(|l| l.kind == "container" && l.attrs.contains("name=kk"))
        .cloned()
        .collect();
    assert_eq!(
        whats(&containers),
        [
            "container create",
            "container start",
            "container kill",
            "container kill",
            "container die",
            "container stop",
            "container start",
            "container kill",
            "container kill",
            "container die",
            "container destroy",
        ]
    );
    let attrs: Vec<&str> = containers.iter().map(|l| l.attrs.as_str()).collect();
    assert_eq!(attrs[2], "app=k, image=busybox, name=kk, signal=15");
    assert_eq!(attrs[3], "app=k, image=busybox, name=kk, signal=9");
    assert_eq!(attrs[4], "app=k, exitCode=137, image=busybox, name=kk");
    assert_eq!(attrs[7], "app=k, image=busybox, name=kk, signal=10");
    assert_eq!(attrs[8], "app=k, image=busybox, name=kk, signal=9");

    let mut volumes: Vec<String> = all
        .iter()
        .filter(|l| l.kind == "volume")
        .map(|l| format!("{} {} ({})", l.action, l.actor, l.attrs))
        .collect();
    // A container's mounts come in no set order (dockerd's is a map's): each pair sorted.
    volumes.chunks_mut(2).for_each(<[String]>::sort);
    let run = all
        .iter()
        .find(|l| l.kind == "container" && l.action == "create" && !l.attrs.contains("name=kk"))
        .expect("the --rm run's create")
        .actor
        .clone();
    assert_eq!(
        volumes,
        [
            "create v1 (driver=local)".to_owned(),
            "create v2 (driver=local)".to_owned(),
            format!(
                "mount v1 (container={run}, destination=/data, driver=local, propagation=, \
                 read/write=true)"
            ),
            format!(
                "mount v2 (container={run}, destination=/ro, driver=local, propagation=, \
                 read/write=false)"
            ),
            format!("unmount v1 (container={run}, driver=local)"),
            format!("unmount v2 (container={run}, driver=local)"),
            "destroy v1 (driver=local)".to_owned(),
            "destroy v2 (driver=local)".to_owned(),
        ]
    );

    // Filters, as the daemon applies them to the replay.
    assert_eq!(whats(&past(&["event=die"])), ["container die"; 3]);
    let k = past(&["container=kk", "event=stop"]);
    assert_eq!(whats(&k), ["container stop"]);
    assert_eq!(past(&["label=app=k"]).len(), containers.len());
    assert_eq!(
        whats(&past(&["type=network"])),
        ["network connect", "network disconnect"].repeat(3)
    );
    let vols = past(&["volume=v1", "type=volume"]);
    assert_eq!(vols.len(), 4, "{vols:?}");
    // Before anything happened, nothing.
    let before = (t0 - 60).to_string();
    assert!(replay(&env, &["--since", &before, "--until", &before]).is_empty());
}

#[test]
#[ignore = "privileged"]
fn an_until_in_the_future_ends_the_stream_then() {
    let env = Env::new("evuntil", &[]);
    let until = (unix_now() + 3).to_string();
    let started = Instant::now();
    let live = Live::start(&env, &["--until", &until, "--filter", "type=image"]);
    wait_subscribed(&env, &live);
    env.d.docker_ok(&["tag", "busybox", "busybox:later"]);
    let lines = live.until("image tag");
    assert_eq!(lines[lines.len() - 1].attrs, "name=busybox:later");
    // The CLI exits by itself once `until` has passed.
    let mut live = live;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = live.child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "docker events did not end at --until"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
#[ignore = "privileged"]
fn shutdown_ends_live_readers_at_once() {
    let mut env = Env::new("evstop", &[]);
    let mut live = Live::start(&env, &[]);
    wait_subscribed(&env, &live);
    // A stream that never ends by itself must not hold the drain until its 10 s deadline.
    let started = Instant::now();
    let status = env
        .d
        .terminate(Duration::from_secs(5))
        .expect("wharfd exits");
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while live.child.try_wait().expect("wait").is_none() {
        assert!(
            Instant::now() < deadline,
            "docker events did not end with the daemon"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "privileged"]
fn an_oom_kill_tells_oom_before_die() {
    let env = Env::new("evoom", &[]);
    let t0 = unix_now() - 1;
    let out = env.d.docker(&[
        "run",
        "--name",
        "hog",
        "-m",
        "32m",
        "--memory-swap",
        "32m",
        "busybox",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=128M",
        "count=1",
    ]);
    assert_eq!(out.expect("docker run").status.code(), Some(137));
    let told = told_since(&env.d, t0, &["--filter", "type=container"]);
    let lines: Vec<Line> = told.lines().map(Line::parse).collect();
    let actions: Vec<&str> = lines.iter().map(|l| l.action.as_str()).collect();
    assert_eq!(actions, ["create", "attach", "start", "oom", "die"]);
    assert_eq!(lines[4].attrs, "exitCode=137, image=busybox, name=hog");
}

#[test]
#[ignore = "privileged"]
fn push_and_pull_tell_the_reference_asked() {
    testkit::require_privileged();
    let ns = testkit::NetNs::new("evreg").expect("netns");
    let registry = testkit::Registry::builder()
        .start(&ns)
        .expect("the registry starts");
    let d = testkit::Wharfd::builder(crate::api_env::BIN)
        .start(&ns)
        .expect("wharfd starts");
    let archive = d.dir().join("busybox.tar");
    testkit::fixtures::busybox()
        .expect("busybox fixture")
        .write_docker_archive(&archive)
        .expect("write fixture");
    d.docker_ok(&["load", "-i", archive.to_str().expect("utf-8")]);
    let t0 = unix_now() - 1;
    let repo = format!("{}/bb", registry.addr());
    let image = format!("{repo}:1");
    d.docker_ok(&["tag", "busybox", &image]);
    d.docker_ok(&["push", &image]);
    d.docker_ok(&["rmi", &image]);
    d.docker_ok(&["pull", &image]);
    let out = told_since(
        &d,
        t0,
        &[
            "--filter",
            "type=image",
            "--filter",
            "event=push",
            "--filter",
            "event=pull",
        ],
    );
    let lines: Vec<Line> = out.lines().map(Line::parse).collect();
    assert_eq!(whats(&lines), ["image push", "image pull"]);
    for l in &lines {
        assert_eq!(l.actor, image);
        assert_eq!(l.attrs, format!("name={repo}"));
    }
    drop(d);
    drop(registry);
}

/// The events of the operations added with exec, pause, rename, update, top, cp and commit,
/// with dockerd's actions and attributes.
#[test]
#[ignore = "privileged"]
fn exec_pause_rename_cp_and_commit_are_told() {
    let env = Env::new("evops", &[]);
    env.ok(&["run", "-d", "--name", "ops", "busybox", "sleep", "300"]);
    let t0 = unix_now();
    env.ok(&["exec", "ops", "true"]);
    env.ok(&["pause", "ops"]);
    env.ok(&["unpause", "ops"]);
    env.ok(&["rename", "ops", "ops2"]);
    env.ok(&["update", "--cpu-shares", "512", "ops2"]);
    env.ok(&["top", "ops2"]);
    let copy = env.d.dir().join("hostname.copy");
    env.ok(&["cp", "ops2:/etc/hostname", copy.to_str().expect("utf-8")]);
    env.ok(&["cp", copy.to_str().expect("utf-8"), "ops2:/tmp/"]);
    env.ok(&["commit", "ops2", "snap:1"]);
    let since = t0.to_string();
    let lines: Vec<Line> = told_since(&env.d, t0, &["--filter", "type=container"])
        .lines()
        .map(Line::parse)
        .collect();
    // The run's own create and start may fall in the same second as `t0`.
    let actions: Vec<String> = lines
        .iter()
        .map(|l| l.action.clone())
        .skip_while(|a| a == "create" || a == "start")
        .collect();
    let want = [
        "exec_create: true ",
        "exec_start: true ",
        "exec_die",
        "pause",
        "unpause",
        "rename",
        "update",
        "top",
        "archive-path",
        "extract-to-dir",
        "pause",
        "unpause",
        "commit",
    ];
    assert_eq!(actions, want, "{lines:#?}");
    let attr = |action: &str| {
        lines
            .iter()
            .find(|l| l.action == action)
            .map(|l| l.attrs.clone())
            .unwrap_or_default()
    };
    assert!(attr("exec_die").contains("exitCode=0"), "{lines:#?}");
    assert!(attr("exec_die").contains("execID="), "{lines:#?}");
    assert!(attr("rename").contains("oldName=/ops"), "{lines:#?}");
    assert!(attr("rename").contains("name=ops2"), "{lines:#?}");
    assert!(attr("commit").contains("imageRef=snap:1"), "{lines:#?}");
    // The commit's tag, as an image event.
    let images = replay(
        &env,
        &[
            "--since",
            &since,
            "--until",
            &unix_now().to_string(),
            "--filter",
            "type=image",
        ],
    );
    let tags: Vec<&Line> = images.iter().filter(|l| l.action == "tag").collect();
    assert_eq!(tags.len(), 1, "{images:#?}");
    assert!(tags[0].attrs.contains("name=snap:1"), "{images:#?}");
}
