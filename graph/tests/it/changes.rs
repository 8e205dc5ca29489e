//! `import` with `--change` instructions: what lands in the stored config, and what is
//! refused in dockerd's words.

use graph::{DriverKind, ErrorKind, ImportOptions};

use crate::helpers::*;

fn import(s: &graph::ImageStore, changes: &[&str]) -> graph::Result<graph::ImageId> {
    s.import(
        &mut base_layer().as_slice(),
        &ImportOptions {
            reference: Some("changes/test:1".to_string()),
            changes: changes.iter().map(|c| c.to_string()).collect(),
            engine_version: "wharf-test".to_string(),
            ..ImportOptions::default()
        },
    )
}

#[test]
fn healthcheck_onbuild_stopsignal_and_expansion_land_in_the_config() {
    let (_d, s) = store(DriverKind::Vfs);
    let id = import(
        &s,
        &[
            "ENV APP=web ROOT=/srv",
            "WORKDIR $ROOT/${APP}",
            "WORKDIR ${LOGS:-logs}",
            "HEALTHCHECK --interval=5s --timeout=3s --start-interval=2s --retries=3 CMD curl -f localhost",
            "ONBUILD RUN make $APP",
            "STOPSIGNAL SIGQUIT",
            "LABEL app=\"$APP\" literal='$APP'",
            "EXPOSE 8080 ${PORT:-9090}/udp",
            "USER $APP",
        ],
    )
    .expect("import");
    let d = s.inspect("changes/test:1").expect("inspect");
    assert_eq!(d.id, id);
    let c = d.config.config.as_ref().expect("config");
    assert_eq!(c.working_dir.as_deref(), Some("/srv/web/logs"));
    assert_eq!(c.user.as_deref(), Some("web"));
    assert_eq!(c.stop_signal.as_deref(), Some("SIGQUIT"));
    assert_eq!(c.on_build, Some(vec!["RUN make $APP".to_string()]));
    let labels = c.labels.as_ref().expect("labels");
    assert_eq!(
        (labels["app"].as_str(), labels["literal"].as_str()),
        ("web", "$APP")
    );
    let ports: Vec<&String> = c.exposed_ports.as_ref().expect("ports").keys().collect();
    assert_eq!(ports, ["8080/tcp", "9090/udp"]);
    let h = c.healthcheck.as_ref().expect("healthcheck");
    assert_eq!(
        h.test,
        Some(vec![
            "CMD-SHELL".to_string(),
            "curl -f localhost".to_string()
        ])
    );
    assert_eq!(
        (h.interval, h.timeout, h.start_period, h.retries),
        (Some(5_000_000_000), Some(3_000_000_000), None, Some(3))
    );
    // In the stored bytes as Go marshals container.Config: durations in nanoseconds, zero
    // fields left out, OnBuild and StopSignal in their places.
    let raw = String::from_utf8(d.raw_config).expect("utf8");
    assert!(
        raw.contains(
            r#""Healthcheck":{"Test":["CMD-SHELL","curl -f localhost"],"Interval":5000000000,"Timeout":3000000000,"StartInterval":2000000000,"Retries":3}"#
        ),
        "{raw}"
    );
    assert!(
        raw.contains(r#""OnBuild":["RUN make $APP"],"Labels":{"app":"web","literal":"$APP"},"StopSignal":"SIGQUIT""#),
        "{raw}"
    );
    assert!(raw.contains(r#""WorkingDir":"/srv/web/logs""#), "{raw}");
}

#[test]
fn healthcheck_none_and_exec_form() {
    let (_d, s) = store(DriverKind::Vfs);
    import(&s, &["HEALTHCHECK NONE"]).expect("import");
    let raw =
        String::from_utf8(s.inspect("changes/test:1").expect("inspect").raw_config).expect("utf8");
    assert!(raw.contains(r#""Healthcheck":{"Test":["NONE"]}"#), "{raw}");
    import(&s, &[r#"healthcheck cmd ["/bin/check", "--quick"]"#]).expect("import");
    let c = s.inspect("changes/test:1").expect("inspect").config.config;
    let test = c.and_then(|c| c.healthcheck).and_then(|h| h.test);
    assert_eq!(
        test,
        Some(vec!["CMD".into(), "/bin/check".into(), "--quick".into()])
    );
}

#[test]
fn refused_changes_store_nothing() {
    let (_d, s) = store(DriverKind::Vfs);
    let cases = [
        (&["RUN make"][..], "RUN is not a valid change command"),
        (
            &["ENV A=1", "copy a b"],
            "copy is not a valid change command",
        ),
        (
            &["HEALTHCHECK --interval=1us CMD x"],
            r#"Interval "interval" cannot be less than 1ms"#,
        ),
        (
            &["HEALTHCHECK --retries=-2 CMD x"],
            "--retries cannot be negative (-2)",
        ),
        (
            &["HEALTHCHECK BOGUS x"],
            r#"Unknown type "BOGUS" in HEALTHCHECK (try CMD)"#,
        ),
        (
            &["HEALTHCHECK --interval=5s NONE x"],
            "HEALTHCHECK NONE takes no arguments",
        ),
        (
            &["ONBUILD ONBUILD RUN x"],
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
        ),
        (
            &["ONBUILD MAINTAINER me"],
            "MAINTAINER isn't allowed as an ONBUILD trigger",
        ),
        (&["STOPSIGNAL SIGNOPE"], "invalid signal: SIGNOPE"),
        (&["ENV A=1", "STOPSIGNAL SIG$A$B"], "invalid signal: SIG1"),
        (
            &["WORKDIR ${DIR:?needs a value}"],
            r#"failed to process "${DIR:?needs a value}": DIR: needs a value"#,
        ),
    ];
    for (changes, want) in cases {
        let err = import(&s, changes).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{changes:?}");
        assert_eq!(err.to_string(), want, "{changes:?}");
    }
    assert!(s.list(false).expect("list").is_empty());
    assert!(s.check().expect("check").is_empty());
}
