//! Applying instructions to the config, as the classic builder's dispatchers do with
//! `disableCommit` (moby's `builder/dockerfile/dispatchers.go`): ENV, LABEL, USER, VOLUME,
//! WORKDIR and STOPSIGNAL expand their words first (`ProcessWord`), EXPOSE splits them after
//! expansion (`ProcessWords`), all over the environment the config has at that instruction.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Settings;
use crate::instruction::Instruction;
use crate::lex::{Env, Lex};
use crate::ports;

/// What carries over from one metadata instruction to the next.
#[derive(Debug, Clone)]
pub struct State {
    lex: Lex,
    /// A CMD with a command was given (a later ENTRYPOINT then keeps it).
    cmd_set: bool,
}

impl State {
    /// A fresh state for a text whose escape token is `escape`.
    pub fn new(escape: char) -> State {
        State {
            lex: Lex::new(escape),
            cmd_set: false,
        }
    }

    /// The lexer (escape token) of the Dockerfile.
    pub fn lex(&self) -> &Lex {
        &self.lex
    }

    /// Applies one metadata instruction (ENV, LABEL, CMD, ENTRYPOINT, HEALTHCHECK, EXPOSE,
    /// USER, WORKDIR, VOLUME, STOPSIGNAL, ONBUILD, SHELL); `args` are the build arguments in
    /// effect (`KEY=value`), visible to expansion where the config's environment does not set
    /// them. Any other instruction is refused.
    pub fn apply(
        &mut self,
        cfg: &mut Settings,
        i: Instruction,
        args: &[String],
    ) -> Result<(), String> {
        let mut list = args.to_vec();
        list.extend(cfg.env.iter().flatten().cloned());
        let env = Env::from_list(&list);
        let word = |w: &str| self.lex.process_word(w, &env);
        match i {
            Instruction::Env(pairs) => {
                let pairs = expand_pairs(&pairs, word)?;
                let list = cfg.env.get_or_insert_with(Vec::new);
                for (k, v) in pairs {
                    let entry = format!("{k}={v}");
                    // Same key: replaced where it is, not moved to the end.
                    match list
                        .iter_mut()
                        .find(|e| e.split('=').next() == Some(k.as_str()))
                    {
                        Some(e) => *e = entry,
                        None => list.push(entry),
                    }
                }
            }
            Instruction::Label(pairs) => {
                let pairs = expand_pairs(&pairs, word)?;
                cfg.labels.get_or_insert_with(BTreeMap::new).extend(pairs);
            }
            Instruction::Cmd(line, shell) => {
                self.cmd_set |= !line.is_empty();
                // A bare CMD is the shell alone, `CMD []` an empty command.
                cfg.cmd = Some(with_shell(line, shell, cfg));
                cfg.args_escaped = None;
            }
            Instruction::Entrypoint(line, shell) => {
                // A bare ENTRYPOINT or `ENTRYPOINT []` removes it.
                let entrypoint = (!line.is_empty()).then(|| with_shell(line, shell, cfg));
                cfg.entrypoint = entrypoint;
                cfg.args_escaped = None;
                if !self.cmd_set {
                    cfg.cmd = None;
                }
            }
            Instruction::Healthcheck(h) => cfg.healthcheck = Some(h),
            Instruction::Expose(specs) => {
                let mut words = Vec::new();
                for s in &specs {
                    words.extend(self.lex.process_words(s, &env)?);
                }
                let exposed = ports::parse_port_specs(&words)?;
                cfg.exposed_ports
                    .get_or_insert_with(BTreeSet::new)
                    .extend(exposed);
            }
            Instruction::User(u) => cfg.user = Some(word(&u)?),
            Instruction::Workdir(p) => {
                let p = word(&p)?;
                let current = cfg.working_dir.as_deref().unwrap_or_default();
                cfg.working_dir = Some(normalize_workdir(current, &p)?);
            }
            Instruction::Volume(vs) => {
                let vs = vs.iter().map(|v| word(v)).collect::<Result<Vec<_>, _>>()?;
                let set = cfg.volumes.get_or_insert_with(BTreeSet::new);
                for v in vs {
                    if v.is_empty() {
                        return Err("VOLUME specified can not be an empty string".into());
                    }
                    set.insert(v);
                }
            }
            Instruction::StopSignal(s) => {
                let s = word(&s)?;
                check_signal(&s)?;
                cfg.stop_signal = Some(s);
            }
            Instruction::Onbuild(t) => cfg.on_build.get_or_insert_with(Vec::new).push(t),
            Instruction::Shell(s) => cfg.shell = Some(s),
            other => return Err(format!("{other:?} is not a metadata instruction")),
        }
        Ok(())
    }
}

/// Keys and values expanded, all before any is set.
fn expand_pairs(
    pairs: &[(String, String)],
    word: impl Fn(&str) -> Result<String, String>,
) -> Result<Vec<(String, String)>, String> {
    pairs
        .iter()
        .map(|(k, v)| Ok((word(k)?, word(v)?)))
        .collect()
}

/// moby's `resolveCmdLine` on Linux: the shell form run by the config's shell (`/bin/sh -c`
/// by default).
pub fn with_shell(line: Vec<String>, shell: bool, cfg: &Settings) -> Vec<String> {
    if !shell {
        return line;
    }
    let mut cmd = match cfg.shell.as_ref().filter(|s| !s.is_empty()) {
        Some(s) => s.clone(),
        None => vec!["/bin/sh".to_string(), "-c".to_string()],
    };
    cmd.extend(line);
    cmd
}

/// moby's `normalizeWorkdir` on Linux: a relative path is joined to the current one and
/// cleaned; an absolute one is taken as it is.
pub fn normalize_workdir(current: &str, requested: &str) -> Result<String, String> {
    if requested.is_empty() {
        return Err("cannot normalize nothing".into());
    }
    if requested.starts_with('/') {
        return Ok(requested.to_string());
    }
    Ok(mobyport::path::clean(&format!("/{current}/{requested}")))
}

/// moby/sys `signal.ParseSignal`: any non-zero number, or a name of its table with or
/// without `SIG`.
fn check_signal(raw: &str) -> Result<(), String> {
    mobyport::signal::parse_signal(raw)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workdirs_as_moby_normalizes_them() {
        assert_eq!(normalize_workdir("", "app"), Ok("/app".into()));
        assert_eq!(normalize_workdir("/app", "../x/./y/"), Ok("/x/y".into()));
        assert_eq!(normalize_workdir("/a", "/b/../c/"), Ok("/b/../c/".into()));
        assert_eq!(normalize_workdir("/", "../.."), Ok("/".into()));
        assert_eq!(
            normalize_workdir("/a", ""),
            Err("cannot normalize nothing".into())
        );
    }

    #[test]
    fn signals_as_moby_parses_them() {
        for ok in [
            "SIGTERM",
            "term",
            "sigKill",
            "9",
            "-5",
            "+64",
            "RTMIN+15",
            "SIGRTMAX-1",
            "rtmax",
        ] {
            assert_eq!(check_signal(ok), Ok(()), "{ok}");
        }
        for bad in [
            "0",
            "-0",
            "SIGFOO",
            "",
            "RTMIN+16",
            "RTMIN+30",
            "RTMAX-15",
            "RTMAX-0",
            "RTMIN+01",
            "SIG",
            "99999999999999999999",
        ] {
            assert_eq!(
                check_signal(bad),
                Err(format!("invalid signal: {bad}")),
                "{bad}"
            );
        }
    }
}
