//! A real registry for tests: Debian's `docker-registry` (distribution 2.8) started inside a
//! test's network namespace on its loopback, with a temporary storage directory, optionally
//! behind htpasswd (Basic) or token (bearer) auth and TLS with a test CA. Images go in with
//! `skopeo`. The guard stops the registry by its PID and removes its files on drop. Never run it
//! outside a namespace: the port would be the host's.

mod certs;
mod skopeo;
mod token;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

use crate::NetNs;
pub use certs::{SECURE_IP, TestPki};
pub use token::{ISSUER, SERVICE, TokenServer};

/// Debian's registry binary.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";
/// The user the auth variants accept.
pub const USER: &str = "wharf";
/// Its password.
pub const PASSWORD: &str = "wharf-pass";
/// `USER:bcrypt(PASSWORD)` (cost 4, so each check is fast); distribution's htpasswd reads
/// bcrypt only.
const HTPASSWD: &str = "wharf:$2b$04$Y.V3JCKJahChgfpPrqAZqedFVzuMzOrhYKw.F55fxo0V4cOV54tJq\n";

/// How clients must authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryAuth {
    /// Anyone may pull and push.
    None,
    /// Basic auth against an htpasswd file ([`USER`], [`PASSWORD`]).
    Htpasswd,
    /// Bearer tokens from a [`TokenServer`].
    Token,
}

/// Options of a test registry.
#[derive(Debug)]
pub struct RegistryBuilder<'a> {
    addr: String,
    auth: RegistryAuth,
    token: Option<&'a TokenServer>,
    tls: Option<&'a TestPki>,
    client_certs: bool,
}

impl<'a> RegistryBuilder<'a> {
    /// Listens on `addr` (default `127.0.0.1:5000`; `[::1]:5000` works too).
    pub fn addr(mut self, addr: &str) -> Self {
        self.addr = addr.to_owned();
        self
    }

    /// Requires Basic auth ([`USER`]/[`PASSWORD`]).
    pub fn htpasswd(mut self) -> Self {
        self.auth = RegistryAuth::Htpasswd;
        self
    }

    /// Requires bearer tokens from `server`.
    pub fn token(mut self, server: &'a TokenServer) -> Self {
        self.auth = RegistryAuth::Token;
        self.token = Some(server);
        self
    }

    /// Serves HTTPS with `pki`'s server certificate; with `client_certs`, clients must present
    /// a certificate signed by `pki`'s CA.
    pub fn tls(mut self, pki: &'a TestPki, client_certs: bool) -> Self {
        self.tls = Some(pki);
        self.client_certs = client_certs;
        self
    }

    /// Starts the registry in `ns` and waits until it accepts connections.
    pub fn start(self, ns: &NetNs) -> Result<Registry> {
        anyhow::ensure!(
            Path::new(REGISTRY_BINARY).exists(),
            "{REGISTRY_BINARY} is missing: install docker-registry (cargo xtask test does)"
        );
        let dir = tempfile::Builder::new()
            .prefix("wharf-registry-")
            .tempdir()?;
        let config = dir.path().join("config.yml");
        std::fs::write(&config, self.config_yaml(dir.path())?)?;
        let log_path = dir.path().join("registry.log");
        let log = std::fs::File::create(&log_path)?;
        let mut cmd = ns.command(
            REGISTRY_BINARY,
            &["serve", config.to_str().context("temp paths are UTF-8")?],
        );
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // nsenter with only `--net` execs the program itself, so this PID is the registry's.
        let child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
        // skopeo reads a client certificate from a directory of `*.cert`/`*.key`.
        let cert_dir = match self.tls {
            Some(pki) if self.client_certs => {
                let d = dir.path().join("skopeo-certs");
                std::fs::create_dir(&d)?;
                pki.install(&d, "", true)?;
                Some(d)
            }
            _ => None,
        };
        let mut registry = Registry {
            child: Some(child),
            cert_dir,
            dir,
            addr: self.addr.clone(),
            scheme: if self.tls.is_some() { "https" } else { "http" },
            auth: self.auth,
        };
        registry.wait_ready(ns, Duration::from_secs(15))?;
        Ok(registry)
    }

    fn config_yaml(&self, dir: &Path) -> Result<String> {
        let storage = dir.join("storage");
        let mut yaml = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  \
             maintenance:\n    uploadpurging:\n      enabled: false\n\
             http:\n  addr: {}\n  secret: wharf-test-secret\n",
            storage.display(),
            self.addr
        );
        if let Some(pki) = self.tls {
            yaml += &format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                pki.server_cert.display(),
                pki.server_key.display()
            );
            if self.client_certs {
                yaml += &format!("    clientcas:\n      - {}\n", pki.ca_cert.display());
            }
        }
        match (self.auth, self.token) {
            (RegistryAuth::None, _) => {}
            (RegistryAuth::Htpasswd, _) => {
                let htpasswd = dir.join("htpasswd");
                std::fs::write(&htpasswd, HTPASSWD)?;
                yaml += &format!(
                    "auth:\n  htpasswd:\n    realm: wharf-test\n    path: {}\n",
                    htpasswd.display()
                );
            }
            (RegistryAuth::Token, Some(server)) => {
                let bundle = dir.join("token.crt");
                token::write_bundle(server, &bundle)?;
                yaml += &format!(
                    "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                    server.realm(),
                    bundle.display()
                );
            }
            (RegistryAuth::Token, None) => bail!("token auth needs a token server"),
        }
        Ok(yaml)
    }
}

/// A running registry; stopped (by PID) and deleted on drop.
#[derive(Debug)]
pub struct Registry {
    child: Option<Child>,
    cert_dir: Option<PathBuf>,
    dir: TempDir,
    addr: String,
    scheme: &'static str,
    auth: RegistryAuth,
}

impl Registry {
    /// Options for a registry (plain HTTP, no auth, on 127.0.0.1:5000 unless told).
    pub fn builder<'a>() -> RegistryBuilder<'a> {
        RegistryBuilder {
            addr: "127.0.0.1:5000".to_owned(),
            auth: RegistryAuth::None,
            token: None,
            tls: None,
            client_certs: false,
        }
    }

    /// `host:port`, as image references name the registry.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.scheme
    }

    /// How clients authenticate.
    pub fn auth(&self) -> RegistryAuth {
        self.auth
    }

    /// The directory of the client certificate skopeo presents, when the registry wants one.
    pub fn cert_dir(&self) -> Option<&Path> {
        self.cert_dir.as_deref()
    }

    /// The registry's storage root.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The file holding a blob's bytes (`sha256:<hex>`), to corrupt it in a test.
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The registry's own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self, ns: &NetNs, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let addr = self.addr.clone();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("docker-registry exited ({status}):\n{}", self.log());
            }
            let up = ns.run_in(|| std::net::TcpStream::connect(&addr).is_ok());
            if up {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "docker-registry not listening on {addr} after {timeout:?}:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = Pid::from_raw(child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
