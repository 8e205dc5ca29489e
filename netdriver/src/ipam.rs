//! Address allocation over the bridge's subnet. Pure bookkeeping: the driver persists the result.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::error::{Error, Result};

/// The addresses in use on one subnet. The network address, the broadcast address and the
/// gateway are never handed out.
#[derive(Debug, Clone)]
pub(crate) struct Ipam {
    subnet: Ipv4Net,
    gateway: Ipv4Addr,
    used: BTreeSet<Ipv4Addr>,
    /// `--ip-range`: where addresses are handed out from when none is asked for.
    range: Option<Ipv4Net>,
    /// The last address handed out: allocation continues after it, as Docker's allocator does,
    /// so that an address just released is not reused at once.
    last: u32,
}

impl Ipam {
    /// An empty allocator for `subnet` whose `gateway` belongs to the bridge.
    pub(crate) fn new(subnet: Ipv4Net, gateway: Ipv4Addr) -> Self {
        Ipam {
            subnet: subnet.trunc(),
            gateway,
            used: BTreeSet::new(),
            range: None,
            last: u32::from(gateway),
        }
    }

    /// Hands out addresses from `range` (inside the subnet) when none is asked for; asked-for
    /// addresses may still be anywhere in the subnet, as dockerd's allocator has it.
    pub(crate) fn with_range(mut self, range: Option<Ipv4Net>) -> Self {
        self.range = range.map(|r| r.trunc());
        self
    }

    /// The subnet this allocator hands out addresses from.
    pub(crate) fn subnet(&self) -> Ipv4Net {
        self.subnet
    }

    /// The gateway's address (never handed out).
    pub(crate) fn gateway(&self) -> Ipv4Addr {
        self.gateway
    }

    fn first_host(&self) -> u32 {
        let first = u32::from(self.subnet.network()) + 1;
        self.range
            .map_or(first, |r| first.max(u32::from(r.network())))
    }

    fn last_host(&self) -> u32 {
        let last = u32::from(self.subnet.broadcast()).saturating_sub(1);
        self.range
            .map_or(last, |r| last.min(u32::from(r.broadcast())))
    }

    /// Why `ip` can never be handed out, if it cannot.
    fn check_assignable(&self, ip: Ipv4Addr) -> Result<()> {
        if !self.subnet.contains(&ip) {
            return Err(Error::InvalidParameter(format!(
                "address {ip} is not in subnet {}",
                self.subnet
            )));
        }
        if ip == self.subnet.network() || ip == self.subnet.broadcast() {
            return Err(Error::InvalidParameter(format!(
                "address {ip} is the network or broadcast address of subnet {}",
                self.subnet
            )));
        }
        if ip == self.gateway || self.used.contains(&ip) {
            return Err(Error::Conflict(format!("address {ip} is already in use")));
        }
        Ok(())
    }

    /// Takes `requested` if it is free and assignable, else the next free address.
    pub(crate) fn allocate(&mut self, requested: Option<Ipv4Addr>) -> Result<Ipv4Addr> {
        if let Some(ip) = requested {
            self.check_assignable(ip)?;
            self.used.insert(ip);
            return Ok(ip);
        }
        let (first, last) = (self.first_host(), self.last_host());
        if first <= last {
            let start = if self.last >= first && self.last < last {
                self.last + 1
            } else {
                first
            };
            let candidates = (start..=last).chain(first..start);
            for n in candidates {
                let ip = Ipv4Addr::from(n);
                if ip != self.gateway && !self.used.contains(&ip) {
                    self.used.insert(ip);
                    self.last = n;
                    return Ok(ip);
                }
            }
        }
        Err(Error::Exhausted(format!(
            "no available ipv4 addresses in subnet {}",
            self.subnet
        )))
    }

    /// Records an address allocated before a restart; refuses one that is not assignable.
    pub(crate) fn restore(&mut self, ip: Ipv4Addr) -> Result<()> {
        self.check_assignable(ip)?;
        self.used.insert(ip);
        self.last = self.last.max(u32::from(ip));
        Ok(())
    }

    /// Returns `ip` to the pool; releasing a free address does nothing.
    pub(crate) fn release(&mut self, ip: Ipv4Addr) {
        self.used.remove(&ip);
    }

    /// How many addresses are in use (the gateway not counted).
    #[cfg(test)]
    pub(crate) fn in_use(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipam(s: &str) -> Ipam {
        let net: Ipv4Net = s.parse().expect("test literal");
        Ipam::new(net.trunc(), net.addr())
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("test literal")
    }

    #[test]
    fn hands_out_sequentially_after_the_gateway() {
        let mut a = ipam("172.17.0.1/16");
        assert_eq!(a.allocate(None).expect("free"), ip("172.17.0.2"));
        assert_eq!(a.allocate(None).expect("free"), ip("172.17.0.3"));
        a.release(ip("172.17.0.2"));
        // Released addresses are not reused at once.
        assert_eq!(a.allocate(None).expect("free"), ip("172.17.0.4"));
        assert_eq!(a.in_use(), 2);
    }

    #[test]
    fn honours_or_refuses_requests() {
        let mut a = ipam("172.17.0.1/16");
        assert_eq!(
            a.allocate(Some(ip("172.17.3.4"))).expect("free"),
            ip("172.17.3.4")
        );
        let again = a.allocate(Some(ip("172.17.3.4"))).expect_err("taken");
        assert!(matches!(again, Error::Conflict(_)), "{again}");
        assert_eq!(again.to_string(), "address 172.17.3.4 is already in use");
        let gw = a.allocate(Some(ip("172.17.0.1"))).expect_err("gateway");
        assert!(matches!(gw, Error::Conflict(_)));
        let outside = a.allocate(Some(ip("10.0.0.5"))).expect_err("outside");
        assert!(matches!(outside, Error::InvalidParameter(_)));
        assert_eq!(
            outside.to_string(),
            "address 10.0.0.5 is not in subnet 172.17.0.0/16"
        );
        for special in ["172.17.0.0", "172.17.255.255"] {
            let e = a.allocate(Some(ip(special))).expect_err("special");
            assert!(matches!(e, Error::InvalidParameter(_)), "{e}");
        }
    }

    #[test]
    fn exhaustion_is_an_error_and_release_frees() {
        // A /29 has six hosts; the gateway takes one.
        let mut a = ipam("10.9.0.1/29");
        let got: Vec<Ipv4Addr> = (0..5).map(|_| a.allocate(None).expect("free")).collect();
        assert_eq!(got.first(), Some(&ip("10.9.0.2")));
        assert_eq!(got.last(), Some(&ip("10.9.0.6")));
        let e = a.allocate(None).expect_err("exhausted");
        assert!(matches!(e, Error::Exhausted(_)));
        assert_eq!(
            e.to_string(),
            "no available ipv4 addresses in subnet 10.9.0.0/29"
        );
        a.release(ip("10.9.0.4"));
        assert_eq!(a.allocate(None).expect("freed"), ip("10.9.0.4"));
    }

    #[test]
    fn gateway_need_not_be_first() {
        let mut a = ipam("10.9.0.5/29");
        let got: Vec<Ipv4Addr> = (0..5).map(|_| a.allocate(None).expect("free")).collect();
        assert!(!got.contains(&ip("10.9.0.5")));
        assert_eq!(
            got,
            ["10.9.0.6", "10.9.0.1", "10.9.0.2", "10.9.0.3", "10.9.0.4"].map(ip)
        );
    }

    #[test]
    fn restore_continues_after_the_highest() {
        let mut a = ipam("172.17.0.1/16");
        a.restore(ip("172.17.0.7")).expect("assignable");
        a.restore(ip("172.17.0.3")).expect("assignable");
        assert!(a.restore(ip("172.17.0.3")).is_err());
        assert_eq!(a.allocate(None).expect("free"), ip("172.17.0.8"));
    }

    #[test]
    fn a_range_bounds_what_is_handed_out_not_what_is_asked_for() {
        let net: Ipv4Net = "10.50.0.0/24".parse().expect("literal");
        let range = "10.50.0.128/25".parse().expect("literal");
        let mut a = Ipam::new(net, ip("10.50.0.254")).with_range(Some(range));
        assert_eq!(a.allocate(None).expect("free"), ip("10.50.0.128"));
        assert_eq!(
            a.allocate(Some(ip("10.50.0.7"))).expect("asked for"),
            ip("10.50.0.7")
        );
        let got: Vec<Ipv4Addr> = (0..125).map(|_| a.allocate(None).expect("free")).collect();
        assert_eq!(got.last(), Some(&ip("10.50.0.253")));
        assert!(matches!(a.allocate(None), Err(Error::Exhausted(_))));
    }

    #[test]
    fn tiny_subnets_have_nothing() {
        let mut a = ipam("10.9.0.1/31");
        assert!(matches!(a.allocate(None), Err(Error::Exhausted(_))));
    }
}
