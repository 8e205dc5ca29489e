//! Typed instructions from parsed lines, checked as buildkit's `instructions.ParseCommand`
//! checks them (argument counts, builder flags, HEALTHCHECK options, ONBUILD triggers).

use crate::config::Health as HealthConfig;
use crate::gostd;
use crate::parse::Node;

/// The arguments of COPY and ADD.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyArgs {
    /// The sources, as written (expanded by the builder).
    pub sources: Vec<String>,
    /// The destination, as written.
    pub dest: String,
    /// `--from` (COPY only): a stage name or index, or an image.
    pub from: String,
    /// `--chown`.
    pub chown: String,
    /// `--chmod`.
    pub chmod: String,
}

/// One instruction, checked, arguments not yet expanded.
#[derive(Debug, Clone, PartialEq)]
pub enum Instruction {
    /// `FROM [--platform=p] image [AS name]`.
    From {
        /// The image reference, as written.
        image: String,
        /// The stage name, lower case.
        name: Option<String>,
        /// `--platform`.
        platform: Option<String>,
    },
    /// `ARG name[=default] ...`.
    Arg(Vec<(String, Option<String>)>),
    /// `RUN`: the command line and whether it is shell form.
    Run(Vec<String>, bool),
    /// `COPY`.
    Copy(CopyArgs),
    /// `ADD`.
    Add(CopyArgs),
    /// `SHELL`: the JSON array.
    Shell(Vec<String>),
    /// `MAINTAINER`.
    Maintainer(String),
    /// `ENV k=v ...`.
    Env(Vec<(String, String)>),
    /// `LABEL k=v ...`.
    Label(Vec<(String, String)>),
    /// `CMD`: the command line and whether the shell is prepended (shell form).
    Cmd(Vec<String>, bool),
    /// `ENTRYPOINT`, as CMD.
    Entrypoint(Vec<String>, bool),
    /// `HEALTHCHECK`.
    Healthcheck(HealthConfig),
    /// `EXPOSE`: the port words, sorted.
    Expose(Vec<String>),
    /// `USER`.
    User(String),
    /// `WORKDIR`.
    Workdir(String),
    /// `VOLUME`.
    Volume(Vec<String>),
    /// `STOPSIGNAL`.
    StopSignal(String),
    /// `ONBUILD`: the trigger as written.
    Onbuild(String),
}

/// The HEALTHCHECK options.
const HEALTH_FLAGS: [&str; 5] = [
    "interval",
    "timeout",
    "start-period",
    "start-interval",
    "retries",
];

/// `container.MinimumDuration` (1ms), in nanoseconds.
const MINIMUM_DURATION: i64 = 1_000_000;

/// Every instruction name, lower case (for the suggestion of an unknown one).
const NAMES: [&str; 18] = [
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// Checks one instruction (buildkit's `ParseInstruction`), its errors without location.
pub fn parse(node: &Node) -> Result<Instruction, String> {
    let args = node.all_args();
    let no_flags = || flags(&node.flags, &[]).map(|_| ());
    Ok(match gostd::to_lower(&node.value).as_str() {
        "from" => from(args, node)?,
        "arg" => {
            at_least_one(&args, "ARG")?;
            no_flags()?;
            Instruction::Arg(
                args.iter()
                    .map(|a| match a.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (a.clone(), None),
                    })
                    .collect(),
            )
        }
        "run" => {
            at_least_one(&args, "RUN")?;
            no_flags()?;
            Instruction::Run(json_args(&args, node.json), !node.json)
        }
        "copy" => Instruction::Copy(copy_args(args, node, "COPY", &COPY_FLAGS)?),
        "add" => Instruction::Add(copy_args(args, node, "ADD", &ADD_FLAGS)?),
        "shell" => {
            at_least_one(&args, "SHELL")?;
            no_flags()?;
            if !node.json {
                return Err("SHELL requires the arguments to be in JSON form".into());
            }
            Instruction::Shell(args)
        }
        "maintainer" => {
            let who = exactly_one(args, "MAINTAINER")?;
            no_flags()?;
            Instruction::Maintainer(who)
        }
        "env" => {
            no_flags()?;
            Instruction::Env(key_values(&args, "ENV")?)
        }
        "label" => {
            no_flags()?;
            Instruction::Label(key_values(&args, "LABEL")?)
        }
        "cmd" => {
            no_flags()?;
            Instruction::Cmd(json_args(&args, node.json), !node.json)
        }
        "entrypoint" => {
            no_flags()?;
            Instruction::Entrypoint(json_args(&args, node.json), !node.json)
        }
        "healthcheck" => Instruction::Healthcheck(healthcheck(&args, node)?),
        "expose" => {
            at_least_one(&args, "EXPOSE")?;
            no_flags()?;
            let mut ports = args;
            ports.sort();
            Instruction::Expose(ports)
        }
        "user" => {
            let user = exactly_one(args, "USER")?;
            no_flags()?;
            Instruction::User(user)
        }
        "workdir" => {
            let path = exactly_one(args, "WORKDIR")?;
            no_flags()?;
            Instruction::Workdir(path)
        }
        "volume" => {
            at_least_one(&args, "VOLUME")?;
            no_flags()?;
            let mut volumes = Vec::with_capacity(args.len());
            for v in &args {
                let v = v.trim();
                if v.is_empty() {
                    return Err("VOLUME specified can not be an empty string".into());
                }
                volumes.push(v.to_string());
            }
            Instruction::Volume(volumes)
        }
        // STOPSIGNAL never looks at its flags.
        "stopsignal" => Instruction::StopSignal(exactly_one(args, "STOPSIGNAL")?),
        "onbuild" => {
            at_least_one(&args, "ONBUILD")?;
            no_flags()?;
            let trigger = gostd::to_upper(args[0].trim());
            match trigger.as_str() {
                "ONBUILD" => {
                    return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into());
                }
                "MAINTAINER" | "FROM" => {
                    return Err(format!("{trigger} isn't allowed as an ONBUILD trigger"));
                }
                _ => {}
            }
            let mut expression = strip_onbuild(&node.original).to_string();
            for h in &node.heredocs {
                expression.push('\n');
                expression.push_str(&h.content);
                expression.push_str(&h.name);
            }
            Instruction::Onbuild(expression)
        }
        _ => {
            let err = format!("unknown instruction: {}", node.value);
            return Err(suggest(err, &gostd::to_lower(&node.value), &NAMES));
        }
    })
}

/// Checks every instruction as the classic builder's `instructions.Parse` does: the first
/// refusal names its line as dockerd 20.10 does (`dockerfile parse error line N: ...`).
pub fn parse_all(nodes: &[Node]) -> Result<Vec<Instruction>, String> {
    nodes
        .iter()
        .map(|n| parse(n).map_err(|e| format!("dockerfile parse error line {}: {e}", n.start_line)))
        .collect()
}

/// COPY's flags (`--link`, `--parents` and `--exclude` are buildkit's: refused here).
const COPY_FLAGS: [&str; 3] = ["from", "chown", "chmod"];
/// ADD's flags.
const ADD_FLAGS: [&str; 2] = ["chown", "chmod"];

fn copy_args(
    mut args: Vec<String>,
    node: &Node,
    cmd: &str,
    defined: &[&str],
) -> Result<CopyArgs, String> {
    if args.len() < 2 {
        return Err(format!(
            "{cmd} requires at least two arguments, but only one was provided. Destination could not be determined."
        ));
    }
    let values = flags(&node.flags, defined)?;
    let value = |name: &str| {
        defined
            .iter()
            .position(|d| *d == name)
            .map(|i| values[i].clone())
            .unwrap_or_default()
    };
    let dest = args.pop().unwrap_or_default();
    Ok(CopyArgs {
        sources: args,
        dest,
        from: value("from"),
        chown: value("chown"),
        chmod: value("chmod"),
    })
}

fn from(args: Vec<String>, node: &Node) -> Result<Instruction, String> {
    let values = flags(&node.flags, &["platform"])?;
    let name = match args.as_slice() {
        [_] => None,
        [_, r#as, name] if r#as.eq_ignore_ascii_case("as") => {
            let name = gostd::to_lower(name);
            if !valid_stage_name(&name) {
                return Err(format!(
                    "invalid name for build stage: {}, name can't start with a number or contain symbols",
                    gostd::quote(&name)
                ));
            }
            Some(name)
        }
        _ => return Err("FROM requires either one or three arguments".into()),
    };
    let platform = values.into_iter().next().filter(|p| !p.is_empty());
    Ok(Instruction::From {
        image: args[0].clone(),
        name,
        platform,
    })
}

/// `^[a-z][a-z0-9-_\.]*$`.
fn valid_stage_name(name: &str) -> bool {
    let mut b = name.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(&c))
}

fn at_least_one(args: &[String], cmd: &str) -> Result<(), String> {
    match args.is_empty() {
        true => Err(format!("{cmd} requires at least one argument")),
        false => Ok(()),
    }
}

fn exactly_one(args: Vec<String>, cmd: &str) -> Result<String, String> {
    match <[String; 1]>::try_from(args) {
        Ok([one]) => Ok(one),
        Err(_) => Err(format!("{cmd} requires exactly one argument")),
    }
}

fn key_values(args: &[String], cmd: &str) -> Result<Vec<(String, String)>, String> {
    at_least_one(args, cmd)?;
    args.chunks(2)
        .map(|kv| match kv {
            [k, _] if k.is_empty() => Err(format!("{cmd} names can not be blank")),
            [k, v] => Ok((k.clone(), v.clone())),
            _ => Err(format!("Bad input to {cmd}, too many arguments")),
        })
        .collect()
}

/// The exec form as is; the shell form as one string.
fn json_args(args: &[String], json: bool) -> Vec<String> {
    if args.is_empty() || json {
        return args.to_vec();
    }
    vec![args.join(" ")]
}

/// Builder flags against the ones an instruction defines (all take a value): the value of
/// each defined flag, empty when not given.
fn flags(given: &[String], defined: &[&str]) -> Result<Vec<String>, String> {
    let mut values = vec![String::new(); defined.len()];
    let mut used = vec![false; defined.len()];
    for a in given {
        if a == "--" {
            break;
        }
        if !a.starts_with("--") {
            return Err(format!("arg should start with -- : {a}"));
        }
        let (flag, value) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (a.as_str(), None),
        };
        let name = &flag[2..];
        let Some(i) = defined.iter().position(|d| *d == name) else {
            return Err(suggest(format!("unknown flag: {flag}"), name, defined));
        };
        if std::mem::replace(&mut used[i], true) {
            return Err(format!("duplicate flag specified: {flag}"));
        }
        let Some(value) = value else {
            return Err(format!("missing a value on flag: {flag}"));
        };
        values[i] = value.to_string();
    }
    Ok(values)
}

/// buildkit's `suggest.WrapError`: the closest option within an edit distance of 2.
fn suggest(err: String, val: &str, options: &[&str]) -> String {
    let mut best: Option<(&str, usize)> = None;
    for opt in options {
        let dist = gostd::levenshtein(val, opt);
        if dist < best.map_or(3, |(_, d)| d) {
            best = Some((opt, dist));
        }
    }
    match best {
        Some((m, _)) => format!("{err} (did you mean {m}?)"),
        None => err,
    }
}

fn healthcheck(args: &[String], node: &Node) -> Result<HealthConfig, String> {
    at_least_one(args, "HEALTHCHECK")?;
    let typ = gostd::to_upper(&args[0]);
    let rest = &args[1..];
    if typ == "NONE" {
        // The options are not even looked at.
        if !rest.is_empty() {
            return Err("HEALTHCHECK NONE takes no arguments".into());
        }
        return Ok(HealthConfig {
            test: Some(vec![typ]),
            ..HealthConfig::default()
        });
    }
    let values = flags(&node.flags, &HEALTH_FLAGS)?;
    let test = match typ.as_str() {
        "CMD" => {
            let cmd = json_args(rest, node.json);
            if cmd.is_empty() {
                return Err("Missing command after HEALTHCHECK CMD".into());
            }
            let kind = if node.json { "CMD" } else { "CMD-SHELL" };
            std::iter::once(kind.to_string()).chain(cmd).collect()
        }
        _ => {
            return Err(format!(
                "Unknown type {} in HEALTHCHECK (try CMD)",
                gostd::quote(&typ)
            ));
        }
    };
    let mut durations = [0i64; 4];
    for (d, (name, value)) in durations.iter_mut().zip(HEALTH_FLAGS.iter().zip(&values)) {
        *d = interval(name, value)?;
    }
    let retries = match values[4].as_str() {
        "" => 0,
        v => gostd::parse_int32(v)?,
    };
    if retries < 0 {
        return Err(format!("--retries cannot be negative ({retries})"));
    }
    let nonzero = |v: i64| (v != 0).then_some(v);
    Ok(HealthConfig {
        test: Some(test),
        interval: nonzero(durations[0]),
        timeout: nonzero(durations[1]),
        start_period: nonzero(durations[2]),
        start_interval: nonzero(durations[3]),
        retries: nonzero(retries),
    })
}

/// buildkit's `parseOptInterval`: empty or zero is 0; otherwise at least 1ms.
fn interval(name: &str, value: &str) -> Result<i64, String> {
    if value.is_empty() {
        return Ok(0);
    }
    let d = mobyport::time::parse_duration(value)?;
    if d != 0 && d < MINIMUM_DURATION {
        return Err(format!(
            "Interval {} cannot be less than 1ms",
            gostd::quote(name)
        ));
    }
    Ok(d)
}

/// The trigger: the line without `(?i)^\s*ONBUILD\s*`.
fn strip_onbuild(original: &str) -> &str {
    let t = original.trim_start_matches(gostd::is_re_space);
    match t.get(..7) {
        Some(w) if w.eq_ignore_ascii_case("onbuild") => {
            t[7..].trim_start_matches(gostd::is_re_space)
        }
        _ => original,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn check(line: &str) -> Result<Instruction, String> {
        let p = parse::parse(line)?;
        super::parse(&p.nodes[0])
    }

    fn health(line: &str) -> HealthConfig {
        match check(line) {
            Ok(Instruction::Healthcheck(h)) => h,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn healthcheck_forms_and_options() {
        let h = health(
            "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=0 --start-interval=100ms \
             --retries=3 CMD curl -f http://localhost/",
        );
        assert_eq!(
            h,
            HealthConfig {
                test: Some(vec!["CMD-SHELL".into(), "curl -f http://localhost/".into()]),
                interval: Some(30_000_000_000),
                timeout: Some(90_000_000_000),
                start_period: None,
                start_interval: Some(100_000_000),
                retries: Some(3),
            }
        );
        let h = health(r#"healthcheck cmd ["/bin/check", "-q"]"#);
        assert_eq!(
            h.test,
            Some(vec!["CMD".into(), "/bin/check".into(), "-q".into()])
        );
        let h = health("HEALTHCHECK --bogus NONE");
        assert_eq!(h.test, Some(vec!["NONE".into()]));
    }

    #[test]
    fn healthcheck_refusals_are_dockers() {
        let cases = [
            ("HEALTHCHECK", "HEALTHCHECK requires at least one argument"),
            (
                "HEALTHCHECK --interval=5s",
                "HEALTHCHECK requires at least one argument",
            ),
            ("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
            ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
            (
                "HEALTHCHECK CMD []",
                "Missing command after HEALTHCHECK CMD",
            ),
            (
                "HEALTHCHECK foo x",
                r#"Unknown type "FOO" in HEALTHCHECK (try CMD)"#,
            ),
            (
                "HEALTHCHECK --intervl=5s CMD x",
                "unknown flag: --intervl (did you mean interval?)",
            ),
            ("HEALTHCHECK --foo=5s CMD x", "unknown flag: --foo"),
            (
                "HEALTHCHECK --interval 5s CMD x",
                "missing a value on flag: --interval",
            ),
            (
                "HEALTHCHECK --retries=1 --retries=2 CMD x",
                "duplicate flag specified: --retries",
            ),
            (
                "HEALTHCHECK --interval=5 CMD x",
                r#"time: missing unit in duration "5""#,
            ),
            (
                "HEALTHCHECK --timeout=500us CMD x",
                r#"Interval "timeout" cannot be less than 1ms"#,
            ),
            (
                "HEALTHCHECK --start-interval=-1s CMD x",
                r#"Interval "start-interval" cannot be less than 1ms"#,
            ),
            (
                "HEALTHCHECK --retries=-1 CMD x",
                "--retries cannot be negative (-1)",
            ),
            (
                "HEALTHCHECK --retries=x CMD x",
                r#"strconv.ParseInt: parsing "x": invalid syntax"#,
            ),
            (
                "HEALTHCHECK --bad CMD [1]",
                "when using JSON array syntax, arrays must be comprised of strings only",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(check(line), Err(want.to_string()), "{line}");
        }
    }

    #[test]
    fn argument_checks() {
        let cases = [
            ("ENV", "ENV requires at least one argument"),
            ("ENV =x", "ENV names can not be blank"),
            ("LABEL --x a=b", "unknown flag: --x"),
            ("CMD --x a", "unknown flag: --x"),
            ("EXPOSE", "EXPOSE requires at least one argument"),
            ("USER", "USER requires exactly one argument"),
            ("USER --x", "USER requires exactly one argument"),
            ("WORKDIR --x /a", "unknown flag: --x"),
            ("STOPSIGNAL", "STOPSIGNAL requires exactly one argument"),
            ("VOLUME", "VOLUME requires at least one argument"),
            ("VOLUME []", "VOLUME requires at least one argument"),
            (
                r#"VOLUME ["/a", " "]"#,
                "VOLUME specified can not be an empty string",
            ),
            ("ONBUILD", "ONBUILD requires at least one argument"),
            (
                "ONBUILD ONBUILD CMD x",
                "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
            ),
            ("ONBUILD from x", "FROM isn't allowed as an ONBUILD trigger"),
            (
                "ONBUILD Maintainer me",
                "MAINTAINER isn't allowed as an ONBUILD trigger",
            ),
            ("ONBUILD --x RUN a", "unknown flag: --x"),
        ];
        for (line, want) in cases {
            assert_eq!(check(line), Err(want.to_string()), "{line}");
        }
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(
            check("STOPSIGNAL --x SIGKILL"),
            Ok(Instruction::StopSignal("SIGKILL".into()))
        );
        assert_eq!(check("CMD"), Ok(Instruction::Cmd(vec![], true)));
        assert_eq!(check("CMD []"), Ok(Instruction::Cmd(vec![], false)));
        assert_eq!(
            check("EXPOSE 90 8080 443"),
            Ok(Instruction::Expose(vec![
                "443".into(),
                "8080".into(),
                "90".into()
            ]))
        );
        assert_eq!(
            check(r#"VOLUME [" /data "]"#),
            Ok(Instruction::Volume(vec!["/data".into()]))
        );
        assert_eq!(
            check("  onbuild\tRUN   echo $HOME  "),
            Ok(Instruction::Onbuild("RUN   echo $HOME  ".into()))
        );
        assert_eq!(
            check("ONBUILD RUN <<EOF\necho hi\nEOF"),
            Ok(Instruction::Onbuild("RUN <<EOF\necho hi\nEOF".into()))
        );
        assert_eq!(
            check("ONBUILD COPY --from=x a b"),
            Ok(Instruction::Onbuild("COPY --from=x a b".into()))
        );
    }
}

#[cfg(test)]
mod builder_tests {
    use super::*;
    use crate::parse;

    fn one(text: &str) -> Result<Instruction, String> {
        let p = parse::parse(text)?;
        parse_all(&p.nodes).map(|mut v| v.remove(0))
    }

    #[test]
    fn build_instructions_are_typed() {
        assert_eq!(
            one("FROM --platform=linux/amd64 busybox AS Base"),
            Ok(Instruction::From {
                image: "busybox".into(),
                name: Some("base".into()),
                platform: Some("linux/amd64".into()),
            })
        );
        assert_eq!(
            one("ARG A=1 B"),
            Ok(Instruction::Arg(vec![
                ("A".into(), Some("1".into())),
                ("B".into(), None)
            ]))
        );
        assert_eq!(
            one("RUN echo $A"),
            Ok(Instruction::Run(vec!["echo $A".into()], true))
        );
        assert_eq!(
            one(r#"RUN ["a", "b"]"#),
            Ok(Instruction::Run(vec!["a".into(), "b".into()], false))
        );
        assert_eq!(
            one("COPY --from=base --chown=1:2 --chmod=755 a b /dst/"),
            Ok(Instruction::Copy(CopyArgs {
                sources: vec!["a".into(), "b".into()],
                dest: "/dst/".into(),
                from: "base".into(),
                chown: "1:2".into(),
                chmod: "755".into(),
            }))
        );
        assert_eq!(
            one(r#"ADD ["x y", "/z"]"#),
            Ok(Instruction::Add(CopyArgs {
                sources: vec!["x y".into()],
                dest: "/z".into(),
                ..CopyArgs::default()
            }))
        );
        assert_eq!(
            one(r#"SHELL ["/bin/bash", "-c"]"#),
            Ok(Instruction::Shell(vec!["/bin/bash".into(), "-c".into()]))
        );
        assert_eq!(
            one("MAINTAINER me"),
            Ok(Instruction::Maintainer("me".into()))
        );
    }

    #[test]
    fn build_refusals_name_their_line() {
        let cases = [
            (
                "FROM",
                "dockerfile parse error line 1: FROM requires either one or three arguments",
            ),
            (
                "FROM a b",
                "dockerfile parse error line 1: FROM requires either one or three arguments",
            ),
            (
                "FROM a AS 1x",
                "dockerfile parse error line 1: invalid name for build stage: \"1x\", name can't start with a number or contain symbols",
            ),
            (
                "\n\nRUN",
                "dockerfile parse error line 3: RUN requires at least one argument",
            ),
            (
                "COPY a",
                "dockerfile parse error line 1: COPY requires at least two arguments, but only one was provided. Destination could not be determined.",
            ),
            (
                "ADD --from=x a b",
                "dockerfile parse error line 1: unknown flag: --from",
            ),
            (
                "SHELL sh -c",
                "dockerfile parse error line 1: SHELL requires the arguments to be in JSON form",
            ),
            (
                "FROBNICATE x",
                "dockerfile parse error line 1: unknown instruction: FROBNICATE",
            ),
            (
                "RUNN x",
                "dockerfile parse error line 1: unknown instruction: RUNN (did you mean run?)",
            ),
            (
                "FROM a\nARG",
                "dockerfile parse error line 2: ARG requires at least one argument",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(one_of_all(text), Err(want.to_string()), "{text}");
        }
    }

    fn one_of_all(text: &str) -> Result<Vec<Instruction>, String> {
        let p = parse::parse(text)?;
        parse_all(&p.nodes)
    }
}
