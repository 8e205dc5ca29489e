//! Every `-H` as a listening socket (moby's `loadListeners` and `listeners.Init`): Unix sockets
//! published as [`ApiSocket`] does, TCP sockets (TLS or, when asked for explicitly, plain), and
//! the sockets systemd passed (`fd://`, `fd://N`, sd_listen_fds semantics).

use std::net::{TcpListener, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use nix::sys::socket::{AddressFamily, SockaddrLike, SockaddrStorage, getsockname};
use tracing::warn;

use crate::config::{Config, Host};
use crate::socket::ApiSocket;

/// systemd passes its sockets from this descriptor on (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: RawFd = 3;

/// The sockets systemd passed (`LISTEN_FDS`, for this process by `LISTEN_PID`), each taken at
/// most once by the `fd://` hosts.
#[derive(Debug, Default)]
pub struct Activated {
    fds: Vec<Option<OwnedFd>>,
}

impl Activated {
    /// Takes the passed sockets (marked close-on-exec, the variables unset so that no child
    /// sees them) when a host asks for them. Must run while the process has one thread: it
    /// changes the environment.
    pub fn take(hosts: &[Host]) -> Result<Activated> {
        if !hosts.iter().any(|h| matches!(h, Host::Fd(_))) {
            return Ok(Activated::default());
        }
        let fds = sd_notify::listen_fds().context("reading the sockets systemd passed")?;
        let fds = fds
            .map(|fd| {
                // SAFETY: sd_listen_fds' contract: descriptors 3..3+LISTEN_FDS were passed to
                // this process (LISTEN_PID checked) and nothing else owns them.
                Some(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
            })
            .collect();
        Ok(Activated { fds })
    }

    /// What `fd://ADDR` names, as moby's `listenFD`: all the sockets not taken yet, or the
    /// one with descriptor number ADDR.
    fn select(&mut self, addr: Option<&str>) -> Result<Vec<OwnedFd>> {
        if self.fds.is_empty() {
            bail!(
                "no sockets found via socket activation: make sure the service was started by systemd"
            );
        }
        let Some(addr) = addr else {
            return Ok(self.fds.iter_mut().filter_map(Option::take).collect());
        };
        let n: RawFd = addr.parse().map_err(|_| {
            anyhow!("failed to parse systemd fd address: should be a number: {addr}")
        })?;
        let slot = usize::try_from(n - LISTEN_FDS_START)
            .ok()
            .and_then(|i| self.fds.get_mut(i))
            .ok_or_else(|| anyhow!("too few socket activated files passed in by systemd"))?;
        let fd = slot
            .take()
            .ok_or_else(|| anyhow!("failed to listen on systemd activated file: fd {n}"))?;
        Ok(vec![fd])
    }
}

/// One listening socket of the API.
#[derive(Debug)]
pub struct Bound {
    /// The host as the log names it.
    pub host: String,
    /// The listening socket.
    pub socket: Socket,
    /// The published socket file, removed when dropped (none for passed sockets).
    pub guard: Option<ApiSocket>,
}

/// A listening socket, before the runtime takes it.
#[derive(Debug)]
pub enum Socket {
    /// A Unix socket.
    Unix(UnixListener),
    /// A TCP socket (TLS is the configuration's).
    Tcp(TcpListener),
}

/// Opens every host of `config`, in order; the first failure stops start-up.
pub fn bind_all(config: &Config, activated: &mut Activated) -> Result<Vec<Bound>> {
    let mut out = Vec::new();
    for host in &config.hosts {
        let name = host.to_string();
        match host {
            Host::Unix(path) => {
                let (l, guard) = ApiSocket::bind(path, config.group.as_deref())
                    .with_context(|| format!("can't create unix socket {}", path.display()))?;
                out.push(Bound {
                    host: name,
                    socket: Socket::Unix(l),
                    guard: Some(guard),
                });
            }
            Host::Tcp(addr) => {
                check_tcp_security(config, &name, addr)?;
                out.push(Bound {
                    host: name,
                    socket: Socket::Tcp(bind_tcp(addr)?),
                    guard: None,
                });
            }
            Host::Fd(addr) => {
                for fd in activated.select(addr.as_deref())? {
                    let socket = passed_socket(fd)?;
                    if matches!(socket, Socket::Tcp(_)) {
                        check_tcp_security(config, &name, "")?;
                    }
                    out.push(Bound {
                        host: name.clone(),
                        socket,
                        guard: None,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// dockerd's warnings for TCP without client authentication, and its refusal unless TLS was
/// set either way (`--tls=false` or `--tlsverify=false` say "I know").
fn check_tcp_security(config: &Config, host: &str, addr: &str) -> Result<()> {
    if config.tls.as_ref().is_some_and(|t| t.verify) {
        return Ok(());
    }
    warn!(
        host,
        "Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network."
    );
    warn!(
        host,
        "Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!"
    );
    if config.tcp_without_auth_allowed || is_loopback(addr) {
        return Ok(());
    }
    bail!(
        "refusing to listen on {host} without TLS: Binding to an IP address without --tlsverify \
         is deprecated. Please consider generating tls certificates with client validation to \
         prevent exposing unauthenticated root access to your network. You can override this by \
         explicitly specifying '--tls=false' or '--tlsverify=false'"
    )
}

/// dockerd lets a loopback address (or `localhost`) through with the warnings only.
fn is_loopback(addr: &str) -> bool {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn bind_tcp(addr: &str) -> Result<TcpListener> {
    let mut last = None;
    for a in addr
        .to_socket_addrs()
        .with_context(|| format!("resolving {addr}"))?
    {
        match TcpListener::bind(a) {
            Ok(l) => {
                l.set_nonblocking(true)?;
                return Ok(l);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(
        || anyhow!("{addr} resolves to no address"),
        |e| anyhow!(e).context(format!("listen tcp {addr}")),
    ))
}

/// A passed socket as a Unix or TCP listener, by its address family.
fn passed_socket(fd: OwnedFd) -> Result<Socket> {
    let addr: SockaddrStorage =
        getsockname(fd.as_raw_fd()).context("reading the address of a passed socket")?;
    match addr.family() {
        Some(AddressFamily::Unix) => {
            let l = UnixListener::from(fd);
            l.set_nonblocking(true)?;
            Ok(Socket::Unix(l))
        }
        Some(AddressFamily::Inet | AddressFamily::Inet6) => {
            let l = TcpListener::from(fd);
            l.set_nonblocking(true)?;
            Ok(Socket::Tcp(l))
        }
        other => bail!("a passed socket of family {other:?} cannot serve the API"),
    }
}

impl Bound {
    /// The socket as the API serves it (inside the runtime: TLS handshakes run on tasks).
    pub fn into_api(
        self,
        tls: Option<&Arc<rustls::ServerConfig>>,
    ) -> Result<(api::Listener, Option<ApiSocket>)> {
        let listener = match self.socket {
            Socket::Unix(l) => api::Listener::unix(tokio::net::UnixListener::from_std(l)?),
            Socket::Tcp(l) => {
                let l = tokio::net::TcpListener::from_std(l)?;
                match tls {
                    Some(config) => api::Listener::tls(l, Arc::clone(config)),
                    None => api::Listener::tcp(l),
                }
            }
        };
        Ok((listener, self.guard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("127.0.0.1:2375"));
        assert!(is_loopback("localhost:2375"));
        assert!(is_loopback("[::1]:2375"));
        assert!(!is_loopback("0.0.0.0:2375"));
        assert!(!is_loopback("10.0.0.1:2375"));
    }

    #[test]
    fn fd_hosts_take_the_passed_sockets_as_moby_does() {
        let e = Activated::default().select(None).unwrap_err().to_string();
        assert!(
            e.starts_with("no sockets found via socket activation"),
            "{e}"
        );
        let (a, b) = std::os::unix::net::UnixStream::pair().expect("pair");
        let mut act = Activated {
            fds: vec![Some(OwnedFd::from(a)), Some(OwnedFd::from(b))],
        };
        let e = act.select(Some("x")).unwrap_err().to_string();
        assert_eq!(
            e,
            "failed to parse systemd fd address: should be a number: x"
        );
        let e = act.select(Some("5")).unwrap_err().to_string();
        assert_eq!(e, "too few socket activated files passed in by systemd");
        assert_eq!(act.select(Some("4")).expect("fd 4").len(), 1);
        let e = act.select(Some("4")).unwrap_err().to_string();
        assert_eq!(e, "failed to listen on systemd activated file: fd 4");
        assert_eq!(act.select(None).expect("the rest").len(), 1);
    }
}
