//! Forwarding a query the table does not answer to the upstream resolvers, from the daemon's
//! network namespace: over UDP (then TCP when the answer comes back truncated), or over TCP
//! when the client asked over TCP. Each exchange has a fresh socket (a random source port) and
//! a deadline; the number of queries in flight is bounded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::message::{Query, Upstream};

/// How long one upstream has to answer (dockerd's `extIOTimeout`).
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(4);

/// How many upstreams are tried for one query (dockerd's `maxExtDNS`).
const MAX_UPSTREAMS: usize = 3;

/// Forwarded queries in flight at once over the whole daemon: each holds a socket, so a flood
/// from the containers cannot exhaust the daemon's file descriptors.
pub const MAX_FORWARDS: usize = 1024;

/// The receive buffer of one forwarded UDP query: above the 4096 bytes we ever promise a client
/// and the EDNS sizes resolvers use (1232 since the DNS flag day), and small enough that
/// [`MAX_FORWARDS`] of them stay a few megabytes.
const UDP_BUFFER: usize = 8192;

/// The forwarder shared by every container.
#[derive(Debug)]
pub(crate) struct Forwarder {
    /// One per forwarded query in flight.
    slots: Arc<Semaphore>,
    /// How long one upstream has to answer.
    timeout: Duration,
    /// When a refused query was last logged, so a flood logs once in a while.
    last_refusal_log: Mutex<Option<Instant>>,
}

impl Forwarder {
    /// A forwarder giving each upstream `timeout` to answer.
    pub(crate) fn new(timeout: Duration) -> Self {
        Forwarder {
            slots: Arc::new(Semaphore::new(MAX_FORWARDS)),
            timeout,
            last_refusal_log: Mutex::new(None),
        }
    }

    /// A slot for one more forwarded query, or `None` when the daemon-wide bound is reached
    /// (the query is then dropped: its client asks again).
    pub(crate) fn slot(&self, container: &str) -> Option<OwnedSemaphorePermit> {
        let permit = self.slots.clone().try_acquire_owned().ok();
        if permit.is_none() {
            self.log_refusal(container, "the daemon");
        }
        permit
    }

    /// Logs a refused query at most every two seconds (dockerd's `logInterval`).
    pub(crate) fn log_refusal(&self, container: &str, whose: &str) {
        let mut last = self
            .last_refusal_log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(2)) {
            *last = Some(Instant::now());
            tracing::warn!(
                "embedded DNS: too many forwarded queries in flight for {whose}; dropping queries from container {container}"
            );
        }
    }

    /// The answer to `query` (its bytes `packet`) from the first of `upstreams` that gives a
    /// final one; else the last answer received; else SERVFAIL. Fitted to the client's size.
    pub(crate) async fn forward(
        &self,
        upstreams: &[SocketAddr],
        query: &Query,
        packet: &[u8],
        tcp: bool,
    ) -> Vec<u8> {
        let mut last = None;
        for &upstream in upstreams.iter().take(MAX_UPSTREAMS) {
            let got = if tcp {
                self.tcp(upstream, query, packet).await
            } else {
                self.udp_then_tcp(upstream, query, packet).await
            };
            match got {
                Ok((bytes, verdict)) => {
                    if verdict.is_final() {
                        return query.fit(bytes);
                    }
                    tracing::debug!(
                        "embedded DNS: {upstream} answered {} for {}",
                        verdict.code,
                        query.describe()
                    );
                    last = Some(bytes);
                }
                Err(e) => tracing::debug!(
                    "embedded DNS: forwarding {} to {upstream}: {e}",
                    query.describe()
                ),
            }
        }
        match last {
            Some(bytes) => query.fit(bytes),
            None => query.servfail(),
        }
    }

    /// One exchange over UDP; a truncated answer (or one too big for our buffer) is asked
    /// again over TCP, and a truncated one is kept when TCP fails (the client then sees TC and
    /// may retry over TCP itself).
    async fn udp_then_tcp(
        &self,
        upstream: SocketAddr,
        query: &Query,
        packet: &[u8],
    ) -> std::io::Result<(Vec<u8>, Upstream)> {
        let truncated = match self.udp(upstream, query, packet).await? {
            Some((bytes, verdict)) if !verdict.truncated => return Ok((bytes, verdict)),
            truncated => truncated,
        };
        match (self.tcp(upstream, query, packet).await, truncated) {
            (Ok(full), _) => Ok(full),
            (Err(e), Some(truncated)) => {
                tracing::debug!(
                    "embedded DNS: TCP retry of a truncated answer from {upstream}: {e}"
                );
                Ok(truncated)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// One exchange over UDP from a fresh socket connected to `upstream` (so the kernel drops
    /// datagrams from elsewhere); datagrams that do not answer the query are ignored. `None`
    /// when the answer filled the whole buffer: it may have been cut, TCP gets it whole.
    async fn udp(
        &self,
        upstream: SocketAddr,
        query: &Query,
        packet: &[u8],
    ) -> std::io::Result<Option<(Vec<u8>, Upstream)>> {
        let exchange = async {
            let local: SocketAddr = if upstream.is_ipv4() {
                (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let sock = UdpSocket::bind(local).await?;
            sock.connect(upstream).await?;
            sock.send(packet).await?;
            let mut buf = vec![0u8; UDP_BUFFER];
            loop {
                let n = sock.recv(&mut buf).await?;
                if n == buf.len() {
                    return Ok(None);
                }
                if let Some(verdict) = query.check_answer(&buf[..n]) {
                    buf.truncate(n);
                    return Ok(Some((buf, verdict)));
                }
            }
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| timed_out("udp", upstream))?
    }

    /// One exchange over TCP: the query and its answer, each after its two-byte length.
    async fn tcp(
        &self,
        upstream: SocketAddr,
        query: &Query,
        packet: &[u8],
    ) -> std::io::Result<(Vec<u8>, Upstream)> {
        let exchange = async {
            let mut stream = TcpStream::connect(upstream).await?;
            super::tcp::write_frame(&mut stream, packet).await?;
            let answer = super::tcp::read_frame(&mut stream)
                .await?
                .ok_or_else(|| std::io::Error::other("connection closed before the answer"))?;
            let verdict = query
                .check_answer(&answer)
                .ok_or_else(|| std::io::Error::other("an answer to another query"))?;
            // Close our side politely; the answer is what matters.
            let _ = stream.shutdown().await;
            Ok((answer, verdict))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| timed_out("tcp", upstream))?
    }
}

/// The error of an upstream that did not answer in time.
fn timed_out(proto: &str, upstream: SocketAddr) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("no answer over {proto} from {upstream}"),
    )
}
