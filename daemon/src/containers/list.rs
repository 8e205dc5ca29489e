//! `GET /containers/json`: filters, newest first, Docker's `Status` and `Command` texts.

use std::collections::HashSet;
use std::time::Duration;

use crate::error::Error;
use api::backend::ContainerListOptions;
use api::types::{ContainerStatus, ContainerSummary, SummaryHostConfig, SummaryNetworkSettings};
use jiff::Timestamp;

use super::{Containers, Record, list_filters, mounts};
use crate::blocking::blocking;

impl Containers {
    /// The containers `opts` selects.
    pub(crate) async fn list(
        &self,
        opts: ContainerListOptions,
    ) -> Result<Vec<ContainerSummary>, Error> {
        let mut ancestors = HashSet::new();
        for name in opts.filters.get("ancestor") {
            if let Ok(d) = self.inner.images.details(name).await {
                ancestors.insert(d.id.to_string());
            }
        }
        // Many containers, or containers with many mounts, make this real work: it runs on
        // the blocking pool.
        let this = self.clone();
        blocking(move || this.select(&opts, &ancestors)).await?
    }

    /// The summaries of the containers `opts` selects, newest first. Blocks.
    fn select(
        &self,
        opts: &ContainerListOptions,
        ancestors: &HashSet<String>,
    ) -> Result<Vec<ContainerSummary>, Error> {
        let f = &opts.filters;
        let mut records: Vec<Record> = self.all().iter().map(|c| c.record()).collect();
        records.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
        let created_of =
            |term: &str| -> Result<Timestamp, Error> { Ok(self.get(term)?.live().record.created) };
        let before = f
            .get("before")
            .iter()
            .map(|t| created_of(t))
            .collect::<Result<Vec<_>, _>>()?;
        let since = f
            .get("since")
            .iter()
            .map(|t| created_of(t))
            .collect::<Result<Vec<_>, _>>()?;

        let ports = list_filters::PortFilters::parse(f)?;
        let now = Timestamp::now();
        let mut out = Vec::new();
        for rec in records {
            let status = rec.state.status;
            let running = matches!(
                status,
                ContainerStatus::Running | ContainerStatus::Restarting | ContainerStatus::Paused
            );
            if !(opts.all || opts.limit.is_some() || running) {
                continue;
            }
            let ok = f.any("id", |v| rec.id.starts_with(v))
                && f.any("name", |v| name_matches(v, &rec.name))
                && f.any("status", |v| v == status.as_str())
                && f.match_labels(rec.config.labels.as_ref())
                && f.any("ancestor", |v| {
                    ancestors.contains(&rec.image_id) || rec.image == v || rec.image_id == v
                })
                && f.any("exited", |v| {
                    status == ContainerStatus::Exited
                        && v.parse::<i64>().is_ok_and(|c| c == rec.state.exit_code)
                })
                && f.any("network", |v| {
                    self.summary_networks(&rec, false).contains_key(v)
                })
                && before.iter().all(|&t| rec.created < t)
                && since.iter().all(|&t| rec.created > t);
            if !ok {
                continue;
            }
            let summary = self.summary(&rec, running, now);
            let candidate = list_filters::Candidate {
                ports: &summary.ports,
                mounts: &summary.mounts,
                isolation: &rec.host_config.isolation,
            };
            if !list_filters::matches(f, &ports, &candidate) {
                continue;
            }
            out.push(summary);
            if opts.limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
        Ok(out)
    }

    fn summary(&self, rec: &Record, running: bool, now: Timestamp) -> ContainerSummary {
        ContainerSummary {
            id: rec.id.clone(),
            names: vec![rec.name.clone()],
            image: rec.image.clone(),
            image_id: rec.image_id.clone(),
            command: command_text(rec),
            created: rec.created.as_second(),
            ports: self.summary_ports(rec, running),
            size_rw: None,
            size_root_fs: None,
            labels: rec.config.labels.clone().unwrap_or_default(),
            state: rec.state.status,
            status: status_text(rec, now),
            host_config: SummaryHostConfig {
                network_mode: rec.host_config.network_mode.clone(),
                annotations: rec.host_config.annotations.clone(),
            },
            network_settings: SummaryNetworkSettings {
                networks: self.summary_networks(rec, running),
            },
            mounts: mounts::mount_points(rec, &self.inner.volumes),
        }
    }
}

/// moby's list `Command`: the path, then the arguments, those with a space in single quotes.
pub(crate) fn command_text(rec: &Record) -> String {
    if rec.args.is_empty() {
        return rec.path.clone();
    }
    let args: Vec<String> = rec
        .args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect();
    format!("{} {}", rec.path, args.join(" "))
}

/// moby's `State.String`: `Up 3 seconds`, `Exited (3) 2 seconds ago`, `Created`, ...
pub(crate) fn status_text(rec: &Record, now: Timestamp) -> String {
    let st = &rec.state;
    let since = |t: Option<Timestamp>| {
        human_duration(
            t.and_then(|t| Duration::try_from(now.duration_since(t)).ok())
                .unwrap_or_default(),
        )
    };
    match st.status {
        ContainerStatus::Running => format!("Up {}", since(st.started_at)),
        ContainerStatus::Paused => format!("Up {} (Paused)", since(st.started_at)),
        ContainerStatus::Restarting => {
            format!(
                "Restarting ({}) {} ago",
                st.exit_code,
                since(st.finished_at)
            )
        }
        ContainerStatus::Removing => "Removal In Progress".to_owned(),
        ContainerStatus::Dead => "Dead".to_owned(),
        _ if st.started_at.is_none() => "Created".to_owned(),
        _ if st.finished_at.is_none() => String::new(),
        _ => format!("Exited ({}) {} ago", st.exit_code, since(st.finished_at)),
    }
}

/// go-units' `HumanDuration`.
pub(crate) fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let minutes = secs / 60;
    let hours = (d.as_secs_f64() / 3600.0 + 0.5) as u64;
    match () {
        () if secs < 1 => "Less than a second".to_owned(),
        () if secs == 1 => "1 second".to_owned(),
        () if secs < 60 => format!("{secs} seconds"),
        () if minutes == 1 => "About a minute".to_owned(),
        () if minutes < 60 => format!("{minutes} minutes"),
        () if hours == 1 => "About an hour".to_owned(),
        () if hours < 48 => format!("{hours} hours"),
        () if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        () if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        () if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        () => format!("{} years", secs / 3600 / 24 / 365),
    }
}

/// The `name` filter: moby matches a regular expression against `/name`; wharf supports the
/// common forms: a substring, optionally anchored with `^` and `$`.
fn name_matches(pattern: &str, name: &str) -> bool {
    if pattern == name || pattern == name.trim_start_matches('/') {
        return true;
    }
    let (anchored_start, rest) = match pattern.strip_prefix('^') {
        Some(r) => (true, r),
        None => (false, pattern),
    };
    let (anchored_end, lit) = match rest.strip_suffix('$') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let lit = lit.replace("\\.", ".");
    match (anchored_start, anchored_end) {
        (true, true) => name == lit || name == format!("/{}", lit.trim_start_matches('/')),
        (true, false) => {
            name.starts_with(&lit) || name.starts_with(&format!("/{}", lit.trim_start_matches('/')))
        }
        (false, true) => name.ends_with(&lit),
        (false, false) => name.contains(&lit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::record::RunState;

    fn rec(status: ContainerStatus) -> Record {
        Record {
            id: "e".repeat(64),
            name: "/web".into(),
            created: Timestamp::UNIX_EPOCH,
            image: "busybox".into(),
            image_id: String::new(),
            path: "sh".into(),
            args: vec!["-c".into(), "echo hello-from-c1; sleep 300".into()],
            config: Default::default(),
            host_config: Default::default(),
            driver: "vfs".into(),
            layer_dirs: vec![],
            state: RunState {
                status,
                ..RunState::default()
            },
            restart_count: 0,
            manually_stopped: false,
            anonymous_volumes: Default::default(),
            volumes_populated: false,
            volumes_from: Vec::new(),
            networks: None,
        }
    }

    #[test]
    fn texts_as_docker_shows_them() {
        let now = Timestamp::from_second(1000).unwrap();
        let mut r = rec(ContainerStatus::Created);
        assert_eq!(command_text(&r), "sh -c 'echo hello-from-c1; sleep 300'");
        assert_eq!(status_text(&r, now), "Created");
        r.state.status = ContainerStatus::Running;
        r.state.started_at = Some(now - Duration::from_secs(3));
        assert_eq!(status_text(&r, now), "Up 3 seconds");
        r.state.status = ContainerStatus::Exited;
        r.state.exit_code = 3;
        r.state.finished_at = Some(now - Duration::from_millis(200));
        assert_eq!(status_text(&r, now), "Exited (3) Less than a second ago");
        assert_eq!(human_duration(Duration::from_secs(90)), "About a minute");
        assert_eq!(human_duration(Duration::from_secs(3600 * 30)), "30 hours");
        assert_eq!(human_duration(Duration::from_secs(3600 * 24 * 3)), "3 days");
    }

    #[test]
    fn name_filters() {
        assert!(name_matches("web", "/web"));
        assert!(name_matches("we", "/web"));
        assert!(name_matches("^/web$", "/web"));
        assert!(name_matches("^web", "/web"));
        assert!(!name_matches("^eb", "/web"));
        assert!(!name_matches("db", "/web"));
    }
}
