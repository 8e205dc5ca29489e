//! One container's `127.0.0.11:53`, UDP and TCP: the sockets are opened inside its network
//! namespace on a short-lived thread (`nsexec::run_in_netns`), then served by tokio tasks of the
//! caller's runtime. No thread per container: an idle listener is two registered sockets.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::message::Outcome;
use super::{Client, Shared};
use crate::error::{Context, Result};
use crate::nsexec;

/// The embedded DNS server's address inside every container (dockerd's).
pub const ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);

/// Its port.
pub const PORT: u16 = 53;

/// The receive buffer of a container's UDP socket.
const QUERY_BUFFER: usize = 4096;

/// Open TCP connections per container; more wait in the kernel's backlog.
const TCP_CONNECTIONS: usize = 16;

/// How long a TCP connection may stay silent before it is closed.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// A container's running listener; dropping it stops every task it started (sockets closed).
#[derive(Debug)]
pub(crate) struct Listener {
    /// The namespace the sockets live in.
    pub(crate) netns: PathBuf,
    /// The container served.
    pub(crate) client: Arc<Client>,
    /// Signals the tasks by being dropped.
    _stop: watch::Sender<()>,
}

impl Listener {
    /// Opens `127.0.0.11:53` in `netns` and serves it for `client`.
    pub(crate) async fn start(
        shared: Arc<Shared>,
        client: Arc<Client>,
        netns: &Path,
    ) -> Result<Listener> {
        let ns = std::fs::File::open(netns)
            .with_context(|| format!("opening the network namespace {}", netns.display()))?;
        let what = format!("the embedded DNS server of container {}", client.id);
        let place = netns.display().to_string();
        let (udp, tcp) = nsexec::run_in_netns(ns, what.clone(), move || {
            let addr = SocketAddr::from((ADDRESS, PORT));
            let udp = std::net::UdpSocket::bind(addr)
                .with_context(|| format!("binding udp {addr} in {place}"))?;
            let tcp = std::net::TcpListener::bind(addr)
                .with_context(|| format!("binding tcp {addr} in {place}"))?;
            udp.set_nonblocking(true)
                .context("setting a socket non-blocking")?;
            tcp.set_nonblocking(true)
                .context("setting a socket non-blocking")?;
            Ok((udp, tcp))
        })
        .await?;
        // Registered with the caller's runtime here, on its side of the thread boundary.
        let udp = Arc::new(UdpSocket::from_std(udp).with_context(|| format!("serving {what}"))?);
        let tcp = TcpListener::from_std(tcp).with_context(|| format!("serving {what}"))?;
        let (stop, stopped) = watch::channel(());
        tokio::spawn(serve_udp(
            shared.clone(),
            client.clone(),
            udp,
            stopped.clone(),
        ));
        tokio::spawn(serve_tcp(shared, client.clone(), tcp, stopped));
        Ok(Listener {
            netns: netns.to_path_buf(),
            client,
            _stop: stop,
        })
    }
}

/// Answers datagrams until the listener is dropped. Answers from the table are sent at once;
/// forwarded queries run as tasks of their own, within the container's and the daemon's bounds.
async fn serve_udp(
    shared: Arc<Shared>,
    client: Arc<Client>,
    sock: Arc<UdpSocket>,
    mut stop: watch::Receiver<()>,
) {
    // Queries are small; a bigger datagram is cut, fails to parse and is dropped.
    let mut buf = vec![0u8; QUERY_BUFFER];
    loop {
        let (n, peer) = tokio::select! {
            _ = stop.changed() => return,
            got = sock.recv_from(&mut buf) => match got {
                Ok(got) => got,
                Err(e) => {
                    tracing::debug!("embedded DNS of container {}: receiving: {e}", client.id);
                    continue;
                }
            },
        };
        let packet = &buf[..n];
        match shared.decide(&client.id, packet, false) {
            Outcome::Drop => {}
            Outcome::Answer(answer) => {
                let _ = sock.send_to(&answer, peer).await;
            }
            Outcome::Forward(query) => {
                let Some(slot) = slots(&shared, &client) else {
                    continue;
                };
                let (shared, client, sock, mut stop) =
                    (shared.clone(), client.clone(), sock.clone(), stop.clone());
                let packet = packet.to_vec();
                tokio::spawn(async move {
                    let _slot = slot;
                    let upstreams = client.upstreams(&shared);
                    tokio::select! {
                        _ = stop.changed() => {}
                        answer = shared.forwarder.forward(&upstreams, &query, &packet, false) => {
                            let _ = sock.send_to(&answer, peer).await;
                        }
                    }
                });
            }
        }
    }
}

/// The slots a forwarded query takes: one of the container's, one of the daemon's.
fn slots(shared: &Shared, client: &Client) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
    let Ok(own) = client.forwards.clone().try_acquire_owned() else {
        shared
            .forwarder
            .log_refusal(&client.id, &format!("container {}", client.id));
        return None;
    };
    Some((own, shared.forwarder.slot(&client.id)?))
}

/// Accepts connections until the listener is dropped, at most [`TCP_CONNECTIONS`] at a time.
async fn serve_tcp(
    shared: Arc<Shared>,
    client: Arc<Client>,
    listener: TcpListener,
    mut stop: watch::Receiver<()>,
) {
    let connections = Arc::new(Semaphore::new(TCP_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            _ = stop.changed() => return,
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let stream = tokio::select! {
            _ = stop.changed() => return,
            got = listener.accept() => match got {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::debug!("embedded DNS of container {}: accepting: {e}", client.id);
                    continue;
                }
            },
        };
        let (shared, client, mut stop) = (shared.clone(), client.clone(), stop.clone());
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                _ = stop.changed() => {}
                () = serve_connection(&shared, &client, stream) => {}
            }
        });
    }
}

/// Answers the queries of one TCP connection in order, until the client closes it, stays
/// silent for [`TCP_IDLE`], or sends what is not a query.
async fn serve_connection(shared: &Shared, client: &Client, mut stream: TcpStream) {
    loop {
        let packet = match tokio::time::timeout(TCP_IDLE, super::tcp::read_frame(&mut stream)).await
        {
            Ok(Ok(Some(packet))) => packet,
            _ => return,
        };
        let answer = match shared.decide(&client.id, &packet, true) {
            Outcome::Drop => return,
            Outcome::Answer(answer) => answer,
            Outcome::Forward(query) => {
                let Some(_slot) = slots(shared, client) else {
                    return;
                };
                let upstreams = client.upstreams(shared);
                shared
                    .forwarder
                    .forward(&upstreams, &query, &packet, true)
                    .await
            }
        };
        if super::tcp::write_frame(&mut stream, &answer).await.is_err() {
            return;
        }
    }
}
