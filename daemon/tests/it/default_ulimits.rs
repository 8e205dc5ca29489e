//! The daemon's `--default-ulimit` (issue 13): every container gets it unless it sets the same
//! limit itself.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn default_ulimits_apply_unless_the_container_sets_its_own() {
    let env = Env::new("defulimit", &["--default-ulimit", "nofile=1000:2000"]);
    let limits = |args: &[&str]| {
        let mut argv = vec!["run", "--rm"];
        argv.extend_from_slice(args);
        argv.extend(["busybox", "sh", "-c", "ulimit -Sn; ulimit -Hn"]);
        env.ok(&argv).lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(limits(&[]), ["1000", "2000"]);
    assert_eq!(limits(&["--ulimit", "nofile=500:600"]), ["500", "600"]);
    // Not recorded in the container's own HostConfig, as dockerd.
    env.ok(&["create", "--name", "own", "busybox"]);
    let own = env.ok(&["inspect", "-f", "{{json .HostConfig.Ulimits}}", "own"]);
    assert!(own.trim() == "null" || own.trim() == "[]", "{own}");
}
