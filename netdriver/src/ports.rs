//! Published ports: which host ports are taken, and the sockets that keep them taken.
//!
//! Each binding holds a socket bound (not listening) to its host address and port, as dockerd
//! does: a port some process already uses is refused at publish time, and no process can take a
//! published port later. Traffic itself never reaches these sockets; the nftables DNAT rules send
//! it to the container before local delivery.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Host ports handed out for `host_port = 0`, as dockerd's default ephemeral range.
pub const EPHEMERAL_PORTS: RangeInclusive<u16> = 32768..=60999;

/// A transport protocol that can be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        })
    }
}

impl std::str::FromStr for Protocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            other => Err(Error::InvalidParameter(format!(
                "invalid protocol {other}: only tcp and udp can be published"
            ))),
        }
    }
}

/// One published port: traffic to `host_ip:host_port` goes to `container_ip:container_port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortBinding {
    /// The container whose endpoint receives the traffic.
    pub container_id: String,
    /// The host address (`0.0.0.0` for every local address).
    pub host_ip: IpAddr,
    /// The host port (never 0: an ephemeral request is resolved).
    pub host_port: u16,
    /// The endpoint's address.
    pub container_ip: Ipv4Addr,
    /// The port inside the container.
    pub container_port: u16,
    /// TCP or UDP.
    pub proto: Protocol,
}

impl PortBinding {
    /// Whether this binding and a request for `ip:port/proto` cannot coexist.
    fn collides(&self, ip: IpAddr, port: u16, proto: Protocol) -> bool {
        self.proto == proto
            && self.host_port == port
            && (self.host_ip == ip || self.host_ip.is_unspecified() || ip.is_unspecified())
    }
}

/// A socket that holds a host port for a binding; the port is free again when it is dropped.
#[derive(Debug)]
pub(crate) enum Reservation {
    /// A bound, never listening, TCP socket.
    Tcp {
        /// Held only to keep the port.
        _socket: tokio::net::TcpSocket,
    },
    /// A bound UDP socket.
    Udp {
        /// Held only to keep the port.
        _socket: std::net::UdpSocket,
    },
}

/// Binds a socket to `ip:port` to keep the port for wharf.
pub(crate) fn reserve(ip: Ipv4Addr, port: u16, proto: Protocol) -> io::Result<Reservation> {
    let addr = SocketAddr::V4(SocketAddrV4::new(ip, port));
    Ok(match proto {
        Protocol::Tcp => {
            let s = tokio::net::TcpSocket::new_v4()?;
            s.bind(addr)?;
            Reservation::Tcp { _socket: s }
        }
        Protocol::Udp => Reservation::Udp {
            _socket: std::net::UdpSocket::bind(addr)?,
        },
    })
}

/// The message dockerd gives for a port that is taken.
fn already_allocated(ip: IpAddr, port: u16) -> Error {
    Error::Conflict(format!(
        "Bind for {ip}:{port} failed: port is already allocated"
    ))
}

fn not_local(ip: IpAddr) -> Error {
    Error::InvalidParameter(format!("host ip {ip} is not an address of this host"))
}

/// The published ports of the bridge, each with the socket that reserves it.
#[derive(Debug, Default)]
pub(crate) struct PortTable {
    entries: Vec<(PortBinding, Reservation)>,
    /// Where the next ephemeral search starts, so ports are not reused at once.
    next_ephemeral: u16,
}

impl PortTable {
    /// All bindings, in the order they were made.
    pub(crate) fn bindings(&self) -> impl Iterator<Item = &PortBinding> {
        self.entries.iter().map(|(b, _)| b)
    }

    fn taken(&self, ip: IpAddr, port: u16, proto: Protocol) -> bool {
        self.bindings().any(|b| b.collides(ip, port, proto))
    }

    /// Reserves the binding's host port (an ephemeral one if it is 0) and records it; `reserve`
    /// is the socket binder (a parameter so tests can fake the host).
    pub(crate) fn add(
        &mut self,
        mut binding: PortBinding,
        reserve: impl Fn(Ipv4Addr, u16, Protocol) -> io::Result<Reservation>,
    ) -> Result<PortBinding> {
        let IpAddr::V4(ip4) = binding.host_ip else {
            return Err(Error::InvalidParameter(format!(
                "host ip {} is not an ipv4 address: only ipv4 ports can be published",
                binding.host_ip
            )));
        };
        let (ip, proto) = (binding.host_ip, binding.proto);
        if binding.host_port != 0 {
            if self.taken(ip, binding.host_port, proto) {
                return Err(already_allocated(ip, binding.host_port));
            }
            let r = reserve(ip4, binding.host_port, proto).map_err(|e| match e.kind() {
                io::ErrorKind::AddrInUse => already_allocated(ip, binding.host_port),
                io::ErrorKind::AddrNotAvailable => not_local(ip),
                _ => Error::system(format!("binding {ip}:{}/{proto}", binding.host_port), e),
            })?;
            self.entries.push((binding.clone(), r));
            return Ok(binding);
        }
        let (lo, hi) = (*EPHEMERAL_PORTS.start(), *EPHEMERAL_PORTS.end());
        let start = if EPHEMERAL_PORTS.contains(&self.next_ephemeral) {
            self.next_ephemeral
        } else {
            lo
        };
        for port in (start..=hi).chain(lo..start) {
            if self.taken(ip, port, proto) {
                continue;
            }
            match reserve(ip4, port, proto) {
                Ok(r) => {
                    binding.host_port = port;
                    self.next_ephemeral = if port == hi { lo } else { port + 1 };
                    self.entries.push((binding.clone(), r));
                    return Ok(binding);
                }
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => return Err(not_local(ip)),
                Err(e) => return Err(Error::system(format!("binding {ip}:{port}/{proto}"), e)),
            }
        }
        Err(Error::Exhausted(format!(
            "no available {proto} ports in range {lo}-{hi} on {ip}"
        )))
    }

    /// Drops every binding `gone` selects, freeing their ports; returns what was dropped.
    pub(crate) fn remove_matching(
        &mut self,
        gone: impl Fn(&PortBinding) -> bool,
    ) -> Vec<PortBinding> {
        let (gone, kept) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|(b, _)| gone(b));
        self.entries = kept;
        gone.into_iter().map(|(b, _)| b).collect()
    }

    /// Drops one binding, freeing its port; returns whether it existed.
    pub(crate) fn remove(&mut self, binding: &PortBinding) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(b, _)| b != binding);
        self.entries.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(ip: &str, port: u16, proto: Protocol) -> PortBinding {
        PortBinding {
            container_id: "c1".into(),
            host_ip: ip.parse().expect("literal"),
            host_port: port,
            container_ip: Ipv4Addr::new(172, 17, 0, 2),
            container_port: 80,
            proto,
        }
    }

    /// A fake host where nothing else holds a port.
    fn free(_: Ipv4Addr, _: u16, _: Protocol) -> io::Result<Reservation> {
        Ok(Reservation::Udp {
            _socket: std::net::UdpSocket::bind("127.0.0.1:0")?,
        })
    }

    #[test]
    fn explicit_port_conflicts_like_dockerd() {
        let mut t = PortTable::default();
        t.add(binding("0.0.0.0", 8080, Protocol::Tcp), free)
            .expect("free");
        let e = t
            .add(binding("0.0.0.0", 8080, Protocol::Tcp), free)
            .expect_err("taken");
        assert!(matches!(e, Error::Conflict(_)));
        assert_eq!(
            e.to_string(),
            "Bind for 0.0.0.0:8080 failed: port is already allocated"
        );
        // A specific address collides with the wildcard, another protocol does not.
        assert!(
            t.add(binding("127.0.0.1", 8080, Protocol::Tcp), free)
                .is_err()
        );
        t.add(binding("0.0.0.0", 8080, Protocol::Udp), free)
            .expect("udp is separate");
    }

    #[test]
    fn specific_addresses_do_not_collide() {
        let mut t = PortTable::default();
        t.add(binding("127.0.0.1", 80, Protocol::Tcp), free)
            .expect("free");
        t.add(binding("127.0.0.2", 80, Protocol::Tcp), free)
            .expect("other address");
        assert!(t.add(binding("0.0.0.0", 80, Protocol::Tcp), free).is_err());
    }

    #[test]
    fn host_refusal_is_reported_as_allocated() {
        let mut t = PortTable::default();
        let busy = |_: Ipv4Addr, _: u16, _: Protocol| -> io::Result<Reservation> {
            Err(io::ErrorKind::AddrInUse.into())
        };
        let e = t
            .add(binding("0.0.0.0", 8080, Protocol::Tcp), busy)
            .expect_err("busy");
        assert_eq!(
            e.to_string(),
            "Bind for 0.0.0.0:8080 failed: port is already allocated"
        );
    }

    #[test]
    fn ephemeral_ports_skip_taken_ones_and_advance() {
        let mut t = PortTable::default();
        t.add(binding("0.0.0.0", 32768, Protocol::Tcp), free)
            .expect("free");
        let busy_32769 = |_: Ipv4Addr, port: u16, _: Protocol| {
            if port == 32769 {
                Err(io::ErrorKind::AddrInUse.into())
            } else {
                free(Ipv4Addr::UNSPECIFIED, port, Protocol::Udp)
            }
        };
        let a = t
            .add(binding("0.0.0.0", 0, Protocol::Tcp), busy_32769)
            .expect("ephemeral");
        assert_eq!(a.host_port, 32770);
        let b = t
            .add(binding("0.0.0.0", 0, Protocol::Tcp), free)
            .expect("ephemeral");
        assert_eq!(b.host_port, 32771);
        assert_eq!(t.remove_matching(|b| b.container_id == "c1").len(), 3);
        assert_eq!(t.bindings().count(), 0);
    }

    #[test]
    fn ephemeral_exhaustion_is_an_error() {
        let mut t = PortTable::default();
        let busy = |_: Ipv4Addr, _: u16, _: Protocol| -> io::Result<Reservation> {
            Err(io::ErrorKind::AddrInUse.into())
        };
        let e = t
            .add(binding("0.0.0.0", 0, Protocol::Udp), busy)
            .expect_err("nothing free");
        assert!(matches!(e, Error::Exhausted(_)));
    }

    #[test]
    fn ipv6_host_ip_is_refused() {
        let mut t = PortTable::default();
        let e = t
            .add(binding("::", 80, Protocol::Tcp), free)
            .expect_err("v6");
        assert!(matches!(e, Error::InvalidParameter(_)));
    }

    #[test]
    fn protocol_parses() {
        assert_eq!("udp".parse::<Protocol>().expect("udp"), Protocol::Udp);
        assert!("sctp".parse::<Protocol>().is_err());
    }
}
