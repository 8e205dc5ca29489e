//! `top`: as dockerd's `ContainerTop`, `ps` runs on the host with the client's arguments (and
//! `-q` with the container's PIDs, dropped if `ps` refuses the mix), and the rows whose PID is
//! one of the container's processes (read from its cgroup) are kept. `ps` is spawned like
//! `runc` (posix_spawn on the blocking pool), never by forking the daemon.

use std::process::{Command, Stdio};

use api::types::{ContainerStatus, ContainerTopResponse};

use super::Containers;
use crate::blocking::blocking;
use crate::error::{Error, IoContext};

impl Containers {
    /// The processes of the running container `term` names, as `ps ps_args` shows them
    /// (`-ef` when empty).
    pub(crate) async fn top(
        &self,
        term: &str,
        ps_args: &str,
    ) -> Result<ContainerTopResponse, Error> {
        let ps_args = match ps_args {
            "" => "-ef".to_owned(),
            a => a.to_owned(),
        };
        validate_ps_args(&ps_args)?;
        let c = self.get(term)?;
        let rec = {
            let l = c.live();
            match l.record.state.status {
                ContainerStatus::Running | ContainerStatus::Paused => {}
                ContainerStatus::Restarting => {
                    return Err(Error::Conflict(format!(
                        "Container {} is restarting, wait until the container is running",
                        c.id
                    )));
                }
                _ => return Err(Error::NotRunning(c.id.clone())),
            }
            l.record.clone()
        };
        let cgroup = self.cgroup(&rec);
        let top = blocking(move || {
            let pids = cgroup
                .pids()
                .with_ctx(|| format!("reading the processes of container {}", rec.id))?;
            let output = run_ps(&ps_args, &pids)?;
            parse_ps_output(&output, &pids)
        })
        .await??;
        self.event(&c, "top", &[]);
        Ok(top)
    }
}

/// moby's `validatePSArgs`: a `-o` column may be renamed to `PID` only when it is the pid
/// column (`pid=PID`), so that the PID column stays the PIDs.
fn validate_ps_args(args: &str) -> Result<(), Error> {
    let b = args.as_bytes();
    let mut i = 0;
    while let Some(off) = args[i..].find('=') {
        let eq = i + off;
        let start = args[..eq]
            .rfind(|c: char| c.is_ascii_whitespace())
            .map_or(0, |p| p + 1);
        let preceded = start > 0 && b[start - 1].is_ascii_whitespace();
        let rest = args[eq + 1..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        if preceded && rest.starts_with("PID") {
            let key = &args[start..eq];
            let value: &str = rest
                .split(|c: char| c.is_ascii_whitespace())
                .next()
                .unwrap_or_default();
            if key != "pid" {
                return Err(Error::System(format!(
                    "specifying \"{key}={value}\" is not allowed"
                )));
            }
        }
        i = eq + 1;
    }
    Ok(())
}

/// Runs `ps` with the arguments split on single spaces (as moby's `strings.Split`) plus
/// `-q<pids>`; without `-q` if that fails (some options, such as `f`, refuse it).
fn run_ps(args: &str, pids: &[u32]) -> Result<Vec<u8>, Error> {
    let args: Vec<&str> = args.split(' ').collect();
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let with_pids = format!("-q{}", list.join(","));
    let run = |extra: Option<&str>| {
        Command::new("ps")
            .args(&args)
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .ctx("running ps")
    };
    let out = run(Some(&with_pids))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let out = run(None)?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = match stderr.lines().next() {
        Some(line) if !line.is_empty() => line.to_owned(),
        _ => out.status.to_string(),
    };
    Err(Error::System(format!("ps: {why}")))
}

/// moby's `parsePSOutput`: the first line gives the titles; a row is kept when its PID is
/// the container's (and a thread row, PID `-`, when its process was kept); the last column
/// takes the rest of the line.
fn parse_ps_output(output: &[u8], pids: &[u32]) -> Result<ContainerTopResponse, Error> {
    let text = String::from_utf8_lossy(output);
    let mut lines = text.split('\n');
    let titles = fields(lines.next().unwrap_or_default());
    let pid_index = titles
        .iter()
        .position(|t| t == "PID")
        .ok_or_else(|| Error::System("Couldn't find PID field in ps output".into()))?;
    let mut processes = Vec::new();
    let mut kept_previous = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let f = fields(line);
        let Some(pid) = f.get(pid_index) else {
            continue;
        };
        if pid == "-" {
            if kept_previous {
                processes.push(row(&f, titles.len()));
            }
            continue;
        }
        let p: u32 = pid.parse().map_err(|_| {
            Error::System(format!(
                "Unexpected pid '{pid}': strconv.Atoi: parsing {pid:?}: invalid syntax"
            ))
        })?;
        kept_previous = pids.contains(&p);
        if kept_previous {
            processes.push(row(&f, titles.len()));
        }
    }
    Ok(ContainerTopResponse { titles, processes })
}

/// moby's `fieldsASCII`: split on ASCII white space only.
fn fields(line: &str) -> Vec<String> {
    line.split(['\t', '\n', '\x0c', '\r', ' '])
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

/// As many values as titles, the overhanging fields joined into the last.
fn row(f: &[String], titles: usize) -> Vec<String> {
    let last = titles.saturating_sub(1).min(f.len());
    let mut out = f[..last].to_vec();
    out.push(f[last..].join(" "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_args_may_rename_only_the_pid_column() {
        assert!(validate_ps_args("-ef").is_ok());
        assert!(validate_ps_args("-o pid=PID,comm").is_ok());
        let e = validate_ps_args("-o user=PID").expect_err("renames another column");
        assert_eq!(e.to_string(), "specifying \"user=PID\" is not allowed");
        assert!(validate_ps_args("-o user=NAME").is_ok());
    }

    #[test]
    fn rows_of_the_containers_processes_are_kept() {
        let out = b"UID          PID    PPID  C STIME TTY          TIME CMD\n\
root           1       0  0 09:00 ?        00:00:01 /sbin/init\n\
root         100       1  0 09:01 ?        00:00:00 sleep 300\n\
root         101     100  0 09:01 ?        00:00:00 sh -c while true; do :; done\n";
        let top = parse_ps_output(out, &[100, 101]).expect("parses");
        assert_eq!(
            top.titles,
            ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
        );
        assert_eq!(top.processes.len(), 2);
        assert_eq!(top.processes[0][7], "sleep 300");
        assert_eq!(top.processes[1][7], "sh -c while true; do :; done");
        let threads = b"USER PID TID\nroot 100 -\n- - 100\n- - 102\nroot 7 -\n- - 7\n";
        let top = parse_ps_output(threads, &[100]).expect("parses");
        assert_eq!(top.processes.len(), 3);
        assert!(parse_ps_output(b"USER CMD\nroot x\n", &[1]).is_err());
    }
}
