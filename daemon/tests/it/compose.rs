//! docker-compose (Debian's 1.29.2) as the real client of wharfd: a project with two services
//! on the project network (one reaches the other by service name), a named volume, a
//! published port reached from the namespace, `depends_on`, `environment`, `command` and
//! `restart`, through `up -d`, `ps`, `logs`, `exec`, `stop`, `start` and `down -v`.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::containers::{Env, try_http_get};

const PROJECT: &str = r#"version: "3.7"
services:
  db:
    image: busybox
    command: sh -c "echo hello-from-$$ROLE > /data/index.html; echo db-ready; exec httpd -f -p 80 -h /data"
    environment:
      - ROLE=db
    volumes:
      - data:/data
    restart: unless-stopped
  web:
    image: busybox
    depends_on:
      - db
    command: sh -c "mkdir -p /www; while true; do wget -qO /www/index.html http://db/ ; sleep 1; done & echo web-up; exec httpd -f -p 8080 -h /www"
    environment:
      ROLE: web
    ports:
      - "18080:8080"
    restart: always
volumes:
  data:
"#;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `docker-compose ARGS` in the project's directory, against the test's daemon.
fn compose(env: &Env, dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new("docker-compose")
        .args(["-p", "proj"])
        .args(args)
        .current_dir(dir)
        .env(
            "DOCKER_HOST",
            format!("unix://{}", env.d.paths.sock.display()),
        )
        .env("COMPOSE_INTERACTIVE_NO_CLI", "1")
        .output()
        .expect("docker-compose runs")
}

fn compose_ok(env: &Env, dir: &std::path::Path, args: &[&str]) -> String {
    let out = compose(env, dir, args);
    assert!(
        out.status.success(),
        "docker-compose {args:?}: {}{}\n--- wharfd log:\n{}",
        text(&out.stdout),
        text(&out.stderr),
        env.d.log()
    );
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// What the namespace gets from the published port, waiting up to 15 s for `want`.
fn fetch_until(env: &Env, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = try_http_get(env.ns(), "127.0.0.1:18080").unwrap_or_default();
        if got.contains(want) || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "privileged"]
fn a_compose_project_runs_and_goes_away_whole() {
    let env = Env::new("compose", &[]);
    let dir = env.d.dir().join("project");
    std::fs::create_dir_all(&dir).expect("project dir");
    std::fs::write(dir.join("docker-compose.yml"), PROJECT).expect("compose file");

    compose_ok(&env, &dir, &["up", "-d"]);
    let ps = compose_ok(&env, &dir, &["ps"]);
    assert!(
        ps.contains("proj_db_1") && ps.contains("proj_web_1"),
        "{ps}"
    );
    assert!(ps.contains("0.0.0.0:18080->8080/tcp"), "{ps}");
    // web fetched db's page by its service name, and serves it on the published port.
    let page = fetch_until(&env, "hello-from-db");
    assert_eq!(page.trim(), "hello-from-db");
    let logs = compose_ok(&env, &dir, &["logs", "--no-color"]);
    assert!(
        logs.contains("db-ready") && logs.contains("web-up"),
        "{logs}"
    );
    let role = compose_ok(&env, &dir, &["exec", "-T", "web", "sh", "-c", "echo $ROLE"]);
    assert_eq!(role.trim(), "web");
    let nets = env.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(nets.contains("proj_default"), "{nets}");
    let vols = env.ok(&["volume", "ls", "--format", "{{.Name}}"]);
    assert!(vols.contains("proj_data"), "{vols}");

    compose_ok(&env, &dir, &["stop", "-t", "1"]);
    let ps = env.ok(&["ps", "-q"]);
    assert!(ps.trim().is_empty(), "{ps}");
    compose_ok(&env, &dir, &["start"]);
    let page = fetch_until(&env, "hello-from-db");
    assert_eq!(page.trim(), "hello-from-db", "after stop and start");

    compose_ok(&env, &dir, &["down", "-v", "-t", "1"]);
    assert!(env.ok(&["ps", "-aq"]).trim().is_empty());
    let nets = env.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(nets.lines().collect::<Vec<_>>(), ["bridge", "host", "none"]);
    let vols = env.ok(&["volume", "ls", "-q"]);
    assert!(vols.trim().is_empty(), "{vols}");
}
