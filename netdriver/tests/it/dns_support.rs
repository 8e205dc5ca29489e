//! Helpers of the embedded DNS tests: a DNS client that asks from inside a namespace, and a fake
//! upstream resolver on the daemon namespace's loopback.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, Metadata, Query, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use nix::sched::CloneFlags;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The embedded server, as containers reach it.
pub const SERVER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(127, 0, 0, 11)), 53);

/// A query for `name`/`rtype` with a fixed ID.
pub fn query(name: &str, rtype: RecordType) -> Message {
    let mut m = Message::query();
    m.metadata.id = 0x4242;
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_ascii(name).expect("a name"), rtype));
    m
}

/// How a test asks: over UDP or TCP, from inside a namespace.
#[derive(Clone, Copy, Debug)]
pub enum Proto {
    /// One datagram, one answer.
    Udp,
    /// One connection, one framed query and answer.
    Tcp,
}

/// Sends `bytes` to `to` over `proto` from the calling thread's namespace; the answer's bytes.
pub fn exchange_bytes(
    to: SocketAddr,
    bytes: &[u8],
    proto: Proto,
    wait: Duration,
) -> std::io::Result<Vec<u8>> {
    match proto {
        Proto::Udp => {
            let s = UdpSocket::bind("127.0.0.1:0")?;
            s.set_read_timeout(Some(wait))?;
            s.send_to(bytes, to)?;
            let mut buf = vec![0u8; 65535];
            let n = s.recv(&mut buf)?;
            buf.truncate(n);
            Ok(buf)
        }
        Proto::Tcp => {
            let mut s = TcpStream::connect_timeout(&to, wait)?;
            s.set_read_timeout(Some(wait))?;
            let mut frame = (bytes.len() as u16).to_be_bytes().to_vec();
            frame.extend_from_slice(bytes);
            s.write_all(&frame)?;
            let mut len = [0u8; 2];
            s.read_exact(&mut len)?;
            let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut buf)?;
            Ok(buf)
        }
    }
}

/// Enters `ns` on the calling thread (only threads the tests spawn).
fn enter(ns: &Path) {
    let f = std::fs::File::open(ns).expect("the namespace exists");
    nix::sched::setns(&f, CloneFlags::CLONE_NEWNET).expect("entering the namespace");
}

/// Runs the blocking `f` on a new thread inside `ns`, without blocking the caller's runtime
/// (which keeps serving meanwhile).
pub async fn on_thread_in<T, F>(ns: &Path, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let ns: PathBuf = ns.to_path_buf();
    let joined = tokio::task::spawn_blocking(move || {
        std::thread::spawn(move || {
            enter(&ns);
            f()
        })
        .join()
    })
    .await
    .expect("the blocking task");
    match joined {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Asks the embedded server from inside `ns`; `None` when nothing came back within two
/// seconds.
pub async fn ask(ns: &Path, q: Message, proto: Proto) -> Option<Message> {
    let bytes = q.to_vec().expect("encoding a query");
    let got = on_thread_in(ns, move || {
        exchange_bytes(SERVER, &bytes, proto, Duration::from_secs(2))
    })
    .await;
    got.ok()
        .map(|b| Message::from_vec(&b).expect("a well-formed answer"))
}

/// The A addresses of an answer, in order.
pub fn addresses(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0.to_string()),
            _ => None,
        })
        .collect()
}

/// A fake upstream resolver on `127.0.0.1:PORT` (UDP and TCP) of the namespace whose runtime
/// runs it. It answers `example.test` A with 192.0.2.7; `big.test` with TC over UDP and 40
/// records over TCP; `fail.test` (or everything, when `failing`) with SERVFAIL; `slow.test`
/// never; anything else NXDOMAIN (authoritative). It counts the queries it received.
pub struct FakeUpstream {
    /// Its address.
    pub addr: SocketAddr,
    /// Queries received, over both transports.
    pub received: Arc<AtomicUsize>,
}

impl FakeUpstream {
    /// Starts it on the current runtime.
    pub async fn start(failing: bool) -> FakeUpstream {
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("binding the fake upstream");
        let addr = udp.local_addr().expect("its address");
        let tcp = tokio::net::TcpListener::bind(addr)
            .await
            .expect("binding the fake upstream over tcp");
        let received = Arc::new(AtomicUsize::new(0));
        let count = received.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65535];
            while let Ok((n, peer)) = udp.recv_from(&mut buf).await {
                count.fetch_add(1, Ordering::Relaxed);
                if let Some(answer) = answer(&buf[..n], false, failing) {
                    let _ = udp.send_to(&answer, peer).await;
                }
            }
        });
        let count = received.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = tcp.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    let mut len = [0u8; 2];
                    if s.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                    if s.read_exact(&mut q).await.is_err() {
                        return;
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                    if let Some(a) = answer(&q, true, failing) {
                        let mut frame = (a.len() as u16).to_be_bytes().to_vec();
                        frame.extend_from_slice(&a);
                        let _ = s.write_all(&frame).await;
                    }
                });
            }
        });
        FakeUpstream { addr, received }
    }
}

/// The fake upstream's answer to `packet`.
fn answer(packet: &[u8], tcp: bool, failing: bool) -> Option<Vec<u8>> {
    let q = Message::from_vec(packet).ok()?;
    let question = q.queries.first()?.clone();
    let mut a = Message::response(q.metadata.id, q.metadata.op_code);
    a.metadata = Metadata::response_from_request(&q.metadata);
    a.metadata.message_type = MessageType::Response;
    a.queries = vec![question.clone()];
    let name = question.name().to_ascii().to_ascii_lowercase();
    let record = |i: u8| {
        Record::from_rdata(
            question.name().clone(),
            60,
            RData::A(A(Ipv4Addr::new(192, 0, 2, i))),
        )
    };
    match name.as_str() {
        _ if failing => a.metadata.response_code = ResponseCode::ServFail,
        "example.test." if question.query_type() == RecordType::A => a.answers.push(record(7)),
        "big.test." if tcp => a.answers = (1..=40).map(record).collect(),
        "big.test." => a.metadata.truncation = true,
        "fail.test." => a.metadata.response_code = ResponseCode::ServFail,
        "slow.test." => return None,
        _ => {
            a.metadata.authoritative = true;
            a.metadata.response_code = ResponseCode::NXDomain;
        }
    }
    a.to_vec().ok()
}
