//! What the API is served on: a Unix socket, a TCP socket, or a TCP socket with TLS (dockerd's
//! `-H unix://`, `-H tcp://`, `-H fd://`, with or without `--tls`/`--tlsverify`).
//!
//! One listener type and one connection type for all three, so that one router, one serving
//! function and one hijack path (attach, exec start) serve them all.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;

/// How long a client may take over the TLS handshake before its connection is dropped.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// Handshaken TLS connections waiting for the server to take them.
const TLS_BACKLOG: usize = 64;

/// A listening socket the API is served on.
#[derive(Debug)]
pub struct Listener {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Unix(UnixListener),
    Tcp(TcpListener),
    /// Connections accepted and handshaken by a task of their own, so that a slow or failing
    /// handshake never holds up the next client.
    Tls(mpsc::Receiver<TlsStream<TcpStream>>),
}

impl Listener {
    /// Serves on a listening Unix socket.
    pub fn unix(l: UnixListener) -> Self {
        Listener {
            kind: Kind::Unix(l),
        }
    }

    /// Serves plain HTTP on a listening TCP socket.
    pub fn tcp(l: TcpListener) -> Self {
        Listener { kind: Kind::Tcp(l) }
    }

    /// Serves HTTPS on a listening TCP socket; a client the `config` refuses (without a
    /// certificate its client verifier accepts) is dropped at the handshake. Must be called
    /// inside the runtime: the handshakes run on tasks of their own.
    pub fn tls(l: TcpListener, config: Arc<ServerConfig>) -> Self {
        let (tx, rx) = mpsc::channel(TLS_BACKLOG);
        tokio::spawn(accept_tls(l, TlsAcceptor::from(config), tx));
        Listener {
            kind: Kind::Tls(rx),
        }
    }
}

impl From<UnixListener> for Listener {
    fn from(l: UnixListener) -> Self {
        Listener::unix(l)
    }
}

/// Accepts TCP connections and handshakes each on its own task until the server goes.
async fn accept_tls(l: TcpListener, acceptor: TlsAcceptor, tx: mpsc::Sender<TlsStream<TcpStream>>) {
    loop {
        let accepted = tokio::select! {
            a = l.accept() => a,
            () = tx.closed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                accept_failed(e).await;
                continue;
            }
        };
        let (acceptor, tx) = (acceptor.clone(), tx.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send(tls).await;
                }
                Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake refused"),
                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// What an accept error costs: too many open files passes, so wait a moment (as axum does).
async fn accept_failed(e: io::Error) {
    tracing::warn!(error = %e, "accepting an API connection failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

impl axum::serve::Listener for Listener {
    type Io = Conn;
    type Addr = ();

    async fn accept(&mut self) -> (Conn, ()) {
        loop {
            let conn = match &mut self.kind {
                Kind::Unix(l) => UnixListener::accept(l).await.map(|(s, _)| Conn::Unix(s)),
                Kind::Tcp(l) => TcpListener::accept(l).await.map(|(s, _)| {
                    let _ = s.set_nodelay(true);
                    Conn::Tcp(s)
                }),
                Kind::Tls(rx) => match rx.recv().await {
                    Some(s) => Ok(Conn::Tls(Box::new(s))),
                    // The acceptor is gone (it never ends while the listener lives).
                    None => std::future::pending().await,
                },
            };
            match conn {
                Ok(c) => return (c, ()),
                Err(e) => accept_failed(e).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<()> {
        Ok(())
    }
}

/// One accepted API connection.
#[derive(Debug)]
pub enum Conn {
    /// On a Unix socket.
    Unix(UnixStream),
    /// Plain TCP.
    Tcp(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsRawFd for Conn {
    /// The socket's descriptor (under TLS, the TCP socket's).
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Conn::Unix(s) => s.as_raw_fd(),
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Tls(s) => s.get_ref().0.as_raw_fd(),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_flush(cx),
            Conn::Tcp(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Unix(s) => s.is_write_vectored(),
            Conn::Tcp(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }
}
