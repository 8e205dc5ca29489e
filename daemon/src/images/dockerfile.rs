//! The Dockerfile front-end's [`Settings`] copied to and from the image store's config, field
//! by field, and `--change` of `import` and `commit` applied with it.

use std::collections::BTreeMap;

use dockerfile::{Health, Settings};
use graph::config::{ContainerConfig, HealthConfig};

use crate::error::{Error, Result};

/// The fields of `c` a Dockerfile sets.
pub(crate) fn settings(c: &ContainerConfig) -> Settings {
    let keys = |m: &Option<BTreeMap<String, serde_json::Value>>| {
        m.as_ref().map(|m| m.keys().cloned().collect())
    };
    Settings {
        user: c.user.clone(),
        exposed_ports: keys(&c.exposed_ports),
        env: c.env.clone(),
        cmd: c.cmd.clone(),
        healthcheck: c.healthcheck.as_ref().map(|h| Health {
            test: h.test.clone(),
            interval: h.interval,
            timeout: h.timeout,
            start_period: h.start_period,
            start_interval: h.start_interval,
            retries: h.retries,
        }),
        args_escaped: c.args_escaped,
        volumes: keys(&c.volumes),
        working_dir: c.working_dir.clone(),
        entrypoint: c.entrypoint.clone(),
        on_build: c.on_build.clone(),
        labels: c.labels.clone(),
        stop_signal: c.stop_signal.clone(),
        shell: c.shell.clone(),
    }
}

/// Writes `s` back into `c` (the fields a Dockerfile does not set are kept).
pub(crate) fn set_settings(c: &mut ContainerConfig, s: Settings) {
    let set = |keys: Option<std::collections::BTreeSet<String>>| {
        keys.map(|k| {
            k.into_iter()
                .map(|k| (k, serde_json::json!({})))
                .collect::<BTreeMap<_, _>>()
        })
    };
    c.user = s.user;
    c.exposed_ports = set(s.exposed_ports);
    c.env = s.env;
    c.cmd = s.cmd;
    c.healthcheck = s.healthcheck.map(|h| HealthConfig {
        test: h.test,
        interval: h.interval,
        timeout: h.timeout,
        start_period: h.start_period,
        start_interval: h.start_interval,
        retries: h.retries,
    });
    c.args_escaped = s.args_escaped;
    c.volumes = set(s.volumes);
    c.working_dir = s.working_dir;
    c.entrypoint = s.entrypoint;
    c.on_build = s.on_build;
    c.labels = s.labels;
    c.stop_signal = s.stop_signal;
    c.shell = s.shell;
}

/// `--change` of `import` and `commit` applied to `c` (dockerd's `BuildFromConfig`); on error
/// `c` is left as it was.
pub(crate) fn apply_changes(changes: &[String], c: &mut ContainerConfig) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut s = settings(c);
    dockerfile::apply_changes(changes, &mut s).map_err(Error::Invalid)?;
    set_settings(c, s);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(changes: &[&str]) -> Result<ContainerConfig> {
        let mut c = ContainerConfig::default();
        let changes: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
        apply_changes(&changes, &mut c)?;
        Ok(c)
    }

    #[test]
    fn changes_land_in_the_image_config() {
        let c = import(&[
            "ENV APP=web ROOT=/srv",
            "WORKDIR $ROOT/${APP}",
            "WORKDIR ${LOGS:-logs}",
            "HEALTHCHECK --interval=5s --timeout=3s --start-interval=2s --retries=3 CMD curl -f localhost",
            "ONBUILD RUN make $APP",
            "STOPSIGNAL SIGQUIT",
            "LABEL app=\"$APP\" literal='$APP'",
            "EXPOSE 8080 ${PORT:-9090}/udp",
            "VOLUME /data",
            "USER $APP",
        ])
        .expect("applies");
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
        assert_eq!(
            c.volumes.as_ref().expect("volumes")["/data"],
            serde_json::json!({})
        );
        let h = c.healthcheck.as_ref().expect("healthcheck");
        assert_eq!(
            (
                h.interval,
                h.timeout,
                h.start_period,
                h.start_interval,
                h.retries
            ),
            (
                Some(5_000_000_000),
                Some(3_000_000_000),
                None,
                Some(2_000_000_000),
                Some(3)
            )
        );
        // What a Dockerfile does not set is kept, and a settings round trip changes nothing.
        let mut other = c.clone();
        other.hostname = Some("h".into());
        set_settings(&mut other, settings(&c));
        assert_eq!(other.hostname.as_deref(), Some("h"));
        other.hostname = None;
        assert_eq!(other, c);
    }

    #[test]
    fn refused_changes_leave_the_config_alone() {
        let cases = [
            (&["RUN make"][..], "RUN is not a valid change command"),
            (&["ENV A=1", "STOPSIGNAL SIG$A$B"], "invalid signal: SIG1"),
            (
                &["WORKDIR ${DIR:?needs a value}"],
                r#"failed to process "${DIR:?needs a value}": DIR: needs a value"#,
            ),
        ];
        for (changes, want) in cases {
            let err = import(changes).expect_err("refused");
            assert!(matches!(&err, Error::Invalid(m) if m == want), "{err}");
        }
    }
}
