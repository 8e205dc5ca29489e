//! The monitor's command line.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::logconfig::LogSettings;
use crate::state::{ContainerDir, Runtime};

/// What the monitor needs to know; everything else is in the bundle's `config.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorArgs {
    /// The container ID.
    pub id: String,
    /// The container's state directory (the bundle); absolute.
    pub state_dir: PathBuf,
    /// The runtime binary and its state root.
    pub runtime: Runtime,
    /// Whether the process's stdin is a pipe attach clients write to (`-i`).
    pub open_stdin: bool,
    /// `--exec ID`: the monitor runs exec `ID` in the running container `id` (`runc exec`
    /// with the `process.json` of `state_dir`, the exec's own directory) instead of the
    /// container itself.
    pub exec: Option<String>,
    /// `--bundle DIR`: with `--exec`, the container's bundle (its state directory), whose
    /// `config.json` the native exec path reads (seccomp, namespaces).
    pub bundle: Option<PathBuf>,
    /// How the container's output is logged (`--log`, as JSON).
    pub log: LogSettings,
}

impl MonitorArgs {
    /// Parses the arguments that follow `monitor` on the command line.
    pub fn parse<I, S>(args: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut id = None;
        let mut state_dir = None;
        let mut binary = None;
        let mut root = None;
        let mut open_stdin = false;
        let mut exec = None;
        let mut bundle = None;
        let mut log = LogSettings::default();
        let mut it = args.into_iter().map(Into::into);
        while let Some(flag) = it.next() {
            let mut value = |name: &str| {
                it.next().ok_or_else(|| {
                    Error::InvalidParameter(format!("monitor flag {name} needs a value"))
                })
            };
            match flag.to_str() {
                Some("--id") => id = Some(value("--id")?),
                Some("--state-dir") => state_dir = Some(PathBuf::from(value("--state-dir")?)),
                Some("--runtime") => binary = Some(PathBuf::from(value("--runtime")?)),
                Some("--runtime-root") => root = Some(PathBuf::from(value("--runtime-root")?)),
                Some("--stdin") => open_stdin = true,
                Some("--exec") => exec = Some(value("--exec")?),
                Some("--bundle") => bundle = Some(PathBuf::from(value("--bundle")?)),
                Some("--log") => {
                    let v = value("--log")?;
                    log = serde_json::from_slice(v.as_encoded_bytes())
                        .map_err(|e| Error::InvalidParameter(format!("monitor flag --log: {e}")))?;
                }
                _ => {
                    return Err(Error::InvalidParameter(format!(
                        "unknown monitor argument {}",
                        flag.to_string_lossy()
                    )));
                }
            }
        }
        let missing =
            |name: &str| Error::InvalidParameter(format!("monitor flag {name} is required"));
        let id = id
            .ok_or_else(|| missing("--id"))?
            .into_string()
            .map_err(|_| Error::InvalidParameter("monitor --id is not UTF-8".to_owned()))?;
        crate::spec::validate_id(&id)?;
        let exec = exec
            .map(|e| {
                e.into_string()
                    .map_err(|_| Error::InvalidParameter("monitor --exec is not UTF-8".to_owned()))
            })
            .transpose()?;
        if let Some(e) = &exec {
            crate::spec::validate_id(e)?;
        }
        let state_dir = state_dir.ok_or_else(|| missing("--state-dir"))?;
        if !state_dir.is_absolute() {
            return Err(Error::InvalidParameter(format!(
                "monitor --state-dir {} is not absolute",
                state_dir.display()
            )));
        }
        Ok(MonitorArgs {
            id,
            state_dir,
            runtime: Runtime {
                binary: binary.ok_or_else(|| missing("--runtime"))?,
                root: root.ok_or_else(|| missing("--runtime-root"))?,
            },
            open_stdin,
            exec,
            bundle,
            log,
        })
    }

    /// The arguments [`MonitorArgs::parse`] reads back.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut out: Vec<OsString> = vec![
            "--id".into(),
            self.id.clone().into(),
            "--state-dir".into(),
            self.state_dir.clone().into(),
            "--runtime".into(),
            self.runtime.binary.clone().into(),
            "--runtime-root".into(),
            self.runtime.root.clone().into(),
        ];
        if self.open_stdin {
            out.push("--stdin".into());
        }
        if let Some(e) = &self.exec {
            out.push("--exec".into());
            out.push(e.into());
        }
        if let Some(b) = &self.bundle {
            out.push("--bundle".into());
            out.push(b.into());
        }
        if self.log != LogSettings::default() {
            let json = serde_json::to_string(&self.log).expect("log settings serialize");
            out.extend(["--log".into(), json.into()]);
        }
        out
    }

    /// The monitor's state directory: the container's, or the exec's (named after the exec).
    pub fn dir(&self) -> ContainerDir {
        ContainerDir::new(self.exec.as_deref().unwrap_or(&self.id), &self.state_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = MonitorArgs {
            id: "abc".into(),
            state_dir: "/var/lib/wharf/containers/abc".into(),
            runtime: Runtime::runc("/run/wharf/runc"),
            open_stdin: true,
            exec: None,
            bundle: None,
            log: LogSettings::default(),
        };
        assert_eq!(MonitorArgs::parse(a.to_args()).unwrap(), a);
        let e = MonitorArgs {
            exec: Some("e1".into()),
            bundle: Some("/var/lib/wharf/containers/abc".into()),
            ..a.clone()
        };
        assert_eq!(MonitorArgs::parse(e.to_args()).unwrap(), e);
        assert_eq!(e.dir().id(), "e1");
        let b = MonitorArgs {
            log: LogSettings {
                format: crate::LogFormat::Local,
                max_size: Some(1000),
                max_file: 3,
                compress: true,
                attrs: [("a".to_owned(), "b".to_owned())].into(),
            },
            ..a
        };
        assert_eq!(MonitorArgs::parse(b.to_args()).unwrap(), b);
    }

    #[test]
    fn bad_arguments() {
        assert!(MonitorArgs::parse(["--id", "x"]).is_err());
        assert!(MonitorArgs::parse(["--bogus"]).is_err());
        let rel = [
            "--id",
            "x",
            "--state-dir",
            "rel",
            "--runtime",
            "r",
            "--runtime-root",
            "/r",
        ];
        assert!(MonitorArgs::parse(rel).is_err());
        let bad_id = [
            "--id",
            "../x",
            "--state-dir",
            "/s",
            "--runtime",
            "r",
            "--runtime-root",
            "/r",
        ];
        assert!(MonitorArgs::parse(bad_id).is_err());
    }
}
