//! `--change` instructions of `docker import` (`changes=` of `POST /images/create`), applied
//! as dockerd 27's `BuildFromConfig` applies them to the empty config of an import:
//!
//! 1. the changes, joined with newlines, are parsed as a Dockerfile (`parse`: parser
//!    directives, comments, continuations, builder flags, heredocs);
//! 2. every instruction must be CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,
//!    STOPSIGNAL, USER, VOLUME or WORKDIR, in any case; anything else is
//!    "<name as written> is not a valid change command";
//! 3. each is checked as the Dockerfile frontend checks it (`instruction`);
//! 4. they are applied in order (`dispatch`), with `$VAR` expansion (`lex`) over the
//!    environment set so far for ENV, LABEL, EXPOSE, USER, VOLUME, WORKDIR and STOPSIGNAL.
//!
//! The first failure, in that order, is the error, with dockerd's message word for word; the
//! config changes only when all succeed.
//!
//! Not done: non-ASCII characters are classed approximately (Go's Unicode categories for
//! letters and digits in variable names and for printable characters in quoted messages, see
//! `gostd`); JSON arrays are read by serde_json, which refuses lone surrogates that Go
//! replaces (such an array is then taken as shell form); builder flags treat only ASCII bytes
//! as spaces; substitutions nested more than 200 deep are refused (Go has no limit, a thread
//! stack here has one).

use crate::config::Settings as ContainerConfig;
use crate::{dispatch, gostd, instruction, parse};

/// The instructions `--change` allows (moby's `validCommitCommands`).
const ALLOWED: [&str; 11] = [
    "cmd",
    "entrypoint",
    "healthcheck",
    "env",
    "expose",
    "label",
    "onbuild",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// Applies `changes` to `cfg` in order; on error (dockerd's message) `cfg` is left as it was.
pub fn apply_changes(changes: &[String], cfg: &mut ContainerConfig) -> Result<(), String> {
    if changes.is_empty() {
        return Ok(());
    }
    let parsed = parse::parse(&changes.join("\n"))?;
    for node in &parsed.nodes {
        if !ALLOWED.contains(&gostd::to_lower(&node.value).as_str()) {
            return Err(format!("{} is not a valid change command", node.value));
        }
    }
    let instructions = parsed
        .nodes
        .iter()
        .map(instruction::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let mut next = cfg.clone();
    let mut state = dispatch::State::new(parsed.escape);
    for i in instructions {
        state.apply(&mut next, i, &[])?;
    }
    *cfg = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn apply(ch: &[&str]) -> Result<ContainerConfig, String> {
        let mut c = ContainerConfig::default();
        apply_changes(
            &ch.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &mut c,
        )?;
        Ok(c)
    }

    fn refusal(ch: &[&str]) -> String {
        apply(ch).expect_err("refused")
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dockerfile_instructions() {
        let c = apply(&[
            r#"CMD ["sh"]"#,
            "ENV A=1 B=\"two words\"",
            "ENV C legacy value",
            "EXPOSE 80 53/udp 8000-8001",
            "LABEL org.x=y",
            "USER nobody",
            "WORKDIR /app",
            "WORKDIR sub",
            r#"VOLUME ["/data"]"#,
            "VOLUME /a /b",
            "HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost",
            "ONBUILD RUN echo $HOME",
            "STOPSIGNAL SIGINT",
        ])
        .expect("valid");
        assert_eq!(c.cmd, Some(strings(&["sh"])));
        assert_eq!(
            c.env,
            Some(strings(&["A=1", "B=two words", "C=legacy value"]))
        );
        let ports: Vec<&String> = c.exposed_ports.as_ref().expect("ports").iter().collect();
        assert_eq!(ports, ["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
        assert_eq!(c.labels.expect("labels")["org.x"], "y");
        assert_eq!(c.user.as_deref(), Some("nobody"));
        assert_eq!(c.working_dir.as_deref(), Some("/app/sub"));
        assert_eq!(c.volumes.expect("vols").len(), 3);
        let h = c.healthcheck.expect("healthcheck");
        assert_eq!(h.test, Some(strings(&["CMD-SHELL", "wget -q localhost"])));
        assert_eq!((h.interval, h.retries), (Some(5_000_000_000), Some(2)));
        assert_eq!(c.on_build, Some(strings(&["RUN echo $HOME"])));
        assert_eq!(c.stop_signal.as_deref(), Some("SIGINT"));
    }

    #[test]
    fn cmd_and_entrypoint_as_the_builder_sets_them() {
        let c = apply(&["CMD echo hi", r#"ENTRYPOINT ["/bin/sh", "-c"]"#]).expect("valid");
        assert_eq!(c.cmd, Some(strings(&["/bin/sh", "-c", "echo hi"])));
        // An ENTRYPOINT drops the CMD unless this import gave one with a command.
        let c = apply(&["CMD", "ENTRYPOINT top -b"]).expect("valid");
        assert_eq!(c.cmd, None);
        assert_eq!(c.entrypoint, Some(strings(&["/bin/sh", "-c", "top -b"])));
        // A bare CMD is the shell alone, `CMD []` is empty, an empty ENTRYPOINT is none.
        let c = apply(&["ENTRYPOINT []", "CMD"]).expect("valid");
        assert_eq!(
            (c.entrypoint, c.cmd),
            (None, Some(strings(&["/bin/sh", "-c"])))
        );
        let c = apply(&["ENTRYPOINT x", "CMD []"]).expect("valid");
        assert_eq!(c.cmd, Some(vec![]));
        let c = apply(&["CMD []", "ENTRYPOINT"]).expect("valid");
        assert_eq!((c.entrypoint, c.cmd), (None, None));
        // CMD's JSON form is never expanded.
        let c = apply(&["ENV A=1", r#"CMD ["$A"]"#]).expect("valid");
        assert_eq!(c.cmd, Some(strings(&["$A"])));
    }

    #[test]
    fn expansion_uses_the_environment_so_far() {
        let c = apply(&[
            "ENV BASE=/srv APP=web PORTS=\"80 443\" SIG=TERM",
            "ENV BASE=/opt NEW=${BASE}/x",
            "WORKDIR $BASE/${APP:-none}",
            "WORKDIR ${MISSING:-logs}",
            "USER ${APP}:'$APP'",
            "LABEL \"$APP.name\"=\"${APP:+set} \\$APP\"",
            "EXPOSE $PORTS \"8080\"",
            r#"VOLUME ["$BASE/data", "${BASE}/cache"]"#,
            "STOPSIGNAL SIG$SIG",
            "ONBUILD RUN echo $APP",
            "HEALTHCHECK CMD echo $APP",
        ])
        .expect("valid");
        // ENV replaces a variable in place; a value reads the environment before the line.
        assert_eq!(
            c.env,
            Some(strings(&[
                "BASE=/opt",
                "APP=web",
                "PORTS=80 443",
                "SIG=TERM",
                "NEW=/srv/x"
            ]))
        );
        assert_eq!(c.working_dir.as_deref(), Some("/opt/web/logs"));
        assert_eq!(c.user.as_deref(), Some("web:$APP"));
        assert_eq!(c.labels.expect("labels")["web.name"], "set $APP");
        let ports: Vec<String> = c.exposed_ports.expect("ports").into_iter().collect();
        assert_eq!(ports, ["443/tcp", "80/tcp", "8080/tcp"]);
        let vols: Vec<String> = c.volumes.expect("volumes").into_iter().collect();
        assert_eq!(vols, ["/opt/cache", "/opt/data"]);
        assert_eq!(c.stop_signal.as_deref(), Some("SIGTERM"));
        assert_eq!(c.on_build, Some(strings(&["RUN echo $APP"])));
        let test = c.healthcheck.expect("healthcheck").test;
        assert_eq!(test, Some(strings(&["CMD-SHELL", "echo $APP"])));
    }

    #[test]
    fn refusals_in_dockerds_words_and_order() {
        assert_eq!(refusal(&["RUN x"]), "RUN is not a valid change command");
        assert_eq!(refusal(&["run x"]), "run is not a valid change command");
        assert_eq!(
            refusal(&["CMD a", "From scratch"]),
            "From is not a valid change command"
        );
        assert_eq!(refusal(&["COPY a b"]), "COPY is not a valid change command");
        assert_eq!(
            refusal(&["MAINTAINER me"]),
            "MAINTAINER is not a valid change command"
        );
        assert_eq!(refusal(&["bogus x"]), "bogus is not a valid change command");
        assert_eq!(refusal(&[""]), "file with no instructions");
        // Parsing comes first, then the names, then each instruction, then applying them.
        assert_eq!(refusal(&["RUN x", "ENV A"]), "ENV must have two arguments");
        assert_eq!(
            refusal(&["USER", "RUN x"]),
            "RUN is not a valid change command"
        );
        assert_eq!(
            refusal(&["WORKDIR ${A", "USER"]),
            "USER requires exactly one argument"
        );
        assert_eq!(
            refusal(&["WORKDIR ${A"]),
            "failed to process \"${A\": unsupported modifier (\u{fffd}) in substitution"
        );
        assert_eq!(refusal(&["WORKDIR \"\""]), "cannot normalize nothing");
        assert_eq!(
            refusal(&["VOLUME $NONE"]),
            "VOLUME specified can not be an empty string"
        );
        assert_eq!(refusal(&["STOPSIGNAL SIGFOO"]), "invalid signal: SIGFOO");
        assert_eq!(refusal(&["STOPSIGNAL 0"]), "invalid signal: 0");
        assert_eq!(refusal(&["EXPOSE b a"]), "invalid containerPort: a");
        assert_eq!(refusal(&["EXPOSE 80/xyz"]), "invalid proto: xyz");
        assert_eq!(
            refusal(&["ONBUILD ONBUILD CMD x"]),
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        );
        assert_eq!(
            refusal(&["ONBUILD FROM x"]),
            "FROM isn't allowed as an ONBUILD trigger"
        );
        // A refused import leaves the config as it was.
        let mut c = ContainerConfig::default();
        let changes = strings(&["ENV A=1", "STOPSIGNAL nope"]);
        assert!(apply_changes(&changes, &mut c).is_err());
        assert_eq!(c, ContainerConfig::default());
    }

    #[test]
    fn changes_are_one_dockerfile() {
        // Joined with newlines: a continuation spans changes, a directive applies to all.
        let c = apply(&[
            "# escape=`",
            "ENV A=x\\",
            "LABEL l=1 `",
            "  m=2",
            "# just a comment",
        ])
        .expect("valid");
        // With ` as the escape token a backslash is an ordinary character.
        assert_eq!(c.env, Some(strings(&["A=x\\"])));
        assert_eq!(c.labels.expect("labels").len(), 2);
        let c = apply(&["USER a \\", "b"]).expect("valid");
        assert_eq!(c.user.as_deref(), Some("a b"));
    }

    /// Text inside double quotes with `"`, `$` and `\` escaped.
    fn double_quoted(v: &str) -> String {
        let mut out = String::from("\"");
        for c in v.chars() {
            if matches!(c, '"' | '$' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }

    proptest! {
        /// Any value (without a newline) survives ENV and comes back through `$VAR`.
        #[test]
        fn env_values_round_trip(v in "[^\n]{0,40}") {
            let c = apply(&[
                &format!("ENV V={}", double_quoted(&v)),
                "LABEL l=\"$V\"",
                "USER ${V:-empty}",
            ]).expect("valid");
            prop_assert_eq!(c.env, Some(vec![format!("V={v}")]));
            prop_assert_eq!(&c.labels.expect("labels")["l"], &v);
            let user = if v.is_empty() { "empty".to_string() } else { v.clone() };
            prop_assert_eq!(c.user, Some(user));
        }

        /// Words without special characters are left alone (a leading `--` would be a flag).
        #[test]
        fn plain_words_are_unchanged(w in "[a-zA-Z0-9_./:@+=,][a-zA-Z0-9_./:@+=,-]{0,29}") {
            let c = apply(&[&format!("USER {w}")]).expect("valid");
            prop_assert_eq!(c.user, Some(w));
        }

        /// Single quotes keep everything but a single quote literally.
        #[test]
        fn single_quotes_are_literal(w in "[^'\n]{0,30}") {
            let c = apply(&[&format!("LABEL k='{w}'")]).expect("valid");
            prop_assert_eq!(&c.labels.expect("labels")["k"], &w);
        }

        /// Any duration Go would print in nanoseconds reads back exactly.
        #[test]
        fn healthcheck_durations_in_nanoseconds(ms in 1u64..10_000_000, frac in 0u32..1000) {
            let c = apply(&[&format!("HEALTHCHECK --timeout={ms}.{frac:03}ms CMD true")])
                .expect("valid");
            let want = ms as i64 * 1_000_000 + i64::from(frac) * 1_000;
            prop_assert_eq!(c.healthcheck.expect("healthcheck").timeout, Some(want));
        }

        /// Arbitrary text never panics; it either applies or is refused.
        #[test]
        fn arbitrary_changes_do_not_panic(lines in proptest::collection::vec(".{0,40}", 1..4)) {
            let mut c = ContainerConfig::default();
            let _ = apply_changes(&lines, &mut c);
        }
    }
}
