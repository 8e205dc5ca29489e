//! `import` with the config `--change` made (the daemon applies the changes with the
//! Dockerfile front-end): what lands in the stored config bytes, as Go marshals it.

use graph::config::{ContainerConfig, HealthConfig};
use graph::{DriverKind, ImportOptions};

use crate::helpers::*;

fn import(s: &graph::ImageStore, config: ContainerConfig) -> graph::Result<graph::ImageId> {
    s.import(
        &mut base_layer().as_slice(),
        &ImportOptions {
            reference: Some("changes/test:1".to_string()),
            config,
            engine_version: "wharf-test".to_string(),
            ..ImportOptions::default()
        },
    )
}

#[test]
fn healthcheck_onbuild_and_stopsignal_in_their_places() {
    let (_d, s) = store(DriverKind::Vfs);
    let config = ContainerConfig {
        working_dir: Some("/srv/web/logs".into()),
        healthcheck: Some(HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), "curl -f localhost".into()]),
            interval: Some(5_000_000_000),
            timeout: Some(3_000_000_000),
            start_interval: Some(2_000_000_000),
            retries: Some(3),
            ..HealthConfig::default()
        }),
        on_build: Some(vec!["RUN make $APP".into()]),
        labels: Some(
            [("app", "web"), ("literal", "$APP")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
        ),
        stop_signal: Some("SIGQUIT".into()),
        ..ContainerConfig::default()
    };
    let id = import(&s, config).expect("import");
    let d = s.inspect("changes/test:1").expect("inspect");
    assert_eq!(d.id, id);
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
fn healthcheck_none() {
    let (_d, s) = store(DriverKind::Vfs);
    let config = ContainerConfig {
        healthcheck: Some(HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        }),
        ..ContainerConfig::default()
    };
    import(&s, config).expect("import");
    let raw =
        String::from_utf8(s.inspect("changes/test:1").expect("inspect").raw_config).expect("utf8");
    assert!(raw.contains(r#""Healthcheck":{"Test":["NONE"]}"#), "{raw}");
}
