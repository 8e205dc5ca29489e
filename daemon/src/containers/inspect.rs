//! `GET /containers/{id}/json`.

use crate::error::Error;
use api::types::{ContainerInspect, ContainerState, ContainerStatus, DriverData};

use super::etc::EtcFiles;
use super::record::go_time_opt;
use super::{Containers, mounts, rootfs};

impl Containers {
    /// The container `term` names, as `docker inspect` shows it.
    pub(crate) fn inspect(&self, term: &str) -> Result<ContainerInspect, Error> {
        let c = self.get(term)?;
        let rec = c.record();
        let st = &rec.state;
        let running = matches!(
            st.status,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Restarting
        );
        let etc = EtcFiles::of(&c.dir);
        Ok(ContainerInspect {
            id: rec.id.clone(),
            created: rec.created.to_string(),
            path: rec.path.clone(),
            args: rec.args.clone(),
            state: ContainerState {
                status: st.status,
                running,
                paused: st.status == ContainerStatus::Paused,
                restarting: st.status == ContainerStatus::Restarting,
                oom_killed: st.oom_killed,
                dead: st.status == ContainerStatus::Dead,
                pid: st.pid,
                exit_code: st.exit_code,
                error: st.error.clone(),
                started_at: go_time_opt(st.started_at),
                finished_at: go_time_opt(st.finished_at),
                health: None,
            },
            image: rec.image_id.clone(),
            resolv_conf_path: etc.resolv_conf.display().to_string(),
            hostname_path: etc.hostname.display().to_string(),
            hosts_path: etc.hosts.display().to_string(),
            log_path: super::logging::log_path(&rec, &c.exec_dir()),
            name: rec.name.clone(),
            restart_count: rec.restart_count,
            driver: rec.driver.clone(),
            platform: "linux".into(),
            mount_label: String::new(),
            process_label: String::new(),
            app_armor_profile: String::new(),
            exec_ids: None,
            host_config: rec.host_config.clone(),
            graph_driver: DriverData {
                name: rec.driver.clone(),
                data: rootfs::driver_data(&rec.driver, &c.dir, &rec.layer_dirs),
            },
            size_rw: None,
            size_root_fs: None,
            mounts: mounts::mount_points(&rec, &self.inner.volumes),
            network_settings: self.network_settings(&rec, st.status == ContainerStatus::Running),
            config: rec.config.clone(),
        })
    }
}
