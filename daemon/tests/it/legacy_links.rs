//! Legacy links on the default bridge (issue 13): `/etc/hosts` and the `ALIAS_*` variables, as
//! dockerd writes them, and the refusals.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn legacy_links_give_hosts_entries_and_variables() {
    let env = Env::new("links", &[]);
    env.ok(&[
        "run", "-d", "--name", "lweb", "--expose", "80", "-e", "SECRET=x", "busybox", "sleep",
        "1000",
    ]);
    let ip = env.ok(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "lweb"]);
    let id = env.ok(&["inspect", "-f", "{{.Id}}", "lweb"]);
    let (ip, short) = (ip.trim(), &id.trim()[..12]);
    let out = env.ok(&[
        "run", "--rm", "--name", "client", "--link", "lweb:alias", "busybox", "sh", "-c",
        "env | grep ^ALIAS_ | sort; grep alias /etc/hosts; ping -c1 -W2 alias >/dev/null && echo reached",
    ]);
    let want = [
        "ALIAS_ENV_SECRET=x".to_owned(),
        "ALIAS_NAME=/client/alias".to_owned(),
        format!("ALIAS_PORT=tcp://{ip}:80"),
        format!("ALIAS_PORT_80_TCP=tcp://{ip}:80"),
        format!("ALIAS_PORT_80_TCP_ADDR={ip}"),
        "ALIAS_PORT_80_TCP_PORT=80".to_owned(),
        "ALIAS_PORT_80_TCP_PROTO=tcp".to_owned(),
        format!("{ip}\talias {short} lweb"),
        "reached".to_owned(),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
    // Recorded as dockerd records it.
    env.ok(&["create", "--name", "later", "--link", "lweb:db", "busybox"]);
    let links = env.ok(&["inspect", "-f", "{{json .HostConfig.Links}}", "later"]);
    assert_eq!(links.trim(), r#"["/lweb:/later/db"]"#);
    // A target that does not exist or does not run.
    let err = env.fails(&["run", "--rm", "--link", "nosuch:x", "busybox", "true"]);
    assert!(
        err.contains("could not get container for nosuch: No such container: nosuch"),
        "{err}"
    );
    assert!(!err.contains("Unable to find image"), "{err}");
    env.ok(&["stop", "-t", "0", "lweb"]);
    let err = env.fails(&["start", "later"]);
    assert!(
        err.contains("Cannot link to a non running container: /lweb AS /later/db"),
        "{err}"
    );
}
