//! What a metadata step's history says (`/bin/sh -c #(nop) ...`), as dockerd 20.10 writes it.

use super::*;

/// What a metadata step's history says (after `#(nop) `), as dockerd 20.10 writes it.
pub(super) fn comment_of(i: &Instruction, before: &Settings, after: &Settings) -> String {
    match i {
        Instruction::Env(_) | Instruction::Label(_) => {
            let (word, pairs) = match i {
                Instruction::Env(_) => ("ENV", env_pairs(before, after)),
                _ => ("LABEL", label_pairs(i, before, after)),
            };
            format!("{word} {}", pairs.join(" "))
        }
        Instruction::Cmd(..) => format!(
            "CMD {}",
            describe::q_list(after.cmd.as_deref().unwrap_or_default())
        ),
        Instruction::Entrypoint(..) => format!(
            "ENTRYPOINT {}",
            describe::q_list(after.entrypoint.as_deref().unwrap_or_default())
        ),
        Instruction::Healthcheck(_) => {
            let mut c = ContainerConfig::default();
            set_settings(&mut c, after.clone());
            describe::healthcheck(&c.healthcheck.unwrap_or_default())
        }
        Instruction::Expose(_) => {
            let old = before.exposed_ports.clone().unwrap_or_default();
            let new: Vec<String> = after
                .exposed_ports
                .iter()
                .flatten()
                .filter(|p| !old.contains(*p))
                .cloned()
                .collect();
            format!("EXPOSE {}", new.join(" "))
        }
        Instruction::User(_) => format!("USER {}", after.user.as_deref().unwrap_or_default()),
        Instruction::Workdir(_) => format!(
            "WORKDIR {}",
            after.working_dir.as_deref().unwrap_or_default()
        ),
        Instruction::Volume(_) => {
            let old = before.volumes.clone().unwrap_or_default();
            let new: Vec<String> = after
                .volumes
                .iter()
                .flatten()
                .filter(|p| !old.contains(*p))
                .cloned()
                .collect();
            format!("VOLUME {}", describe::v_list(&new))
        }
        Instruction::StopSignal(_) => format!(
            "STOPSIGNAL {}",
            after.stop_signal.as_deref().unwrap_or_default()
        ),
        Instruction::Onbuild(t) => format!("ONBUILD {t}"),
        Instruction::Shell(_) => format!(
            "SHELL {}",
            describe::v_list(after.shell.as_deref().unwrap_or_default())
        ),
        other => format!("{other:?}"),
    }
}

/// The variables ENV set, `KEY=value`, in the order the config now lists them.
fn env_pairs(before: &Settings, after: &Settings) -> Vec<String> {
    let old: BTreeSet<&String> = before.env.iter().flatten().collect();
    after
        .env
        .iter()
        .flatten()
        .filter(|e| !old.contains(e))
        .cloned()
        .collect()
}

/// The labels LABEL set, `key=value`, in the instruction's order.
fn label_pairs(i: &Instruction, before: &Settings, after: &Settings) -> Vec<String> {
    let Instruction::Label(pairs) = i else {
        return Vec::new();
    };
    let old = before.labels.clone().unwrap_or_default();
    let new = after.labels.clone().unwrap_or_default();
    let mut out = Vec::new();
    let changed: Vec<(&String, &String)> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .collect();
    // The instruction's order where the raw key is the expanded one; the rest after.
    for (k, _) in pairs {
        if let Some((k, v)) = changed.iter().find(|(ck, _)| *ck == k) {
            out.push(format!("{k}={v}"));
        }
    }
    for (k, v) in &changed {
        let line = format!("{k}={v}");
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}
