//! Choosing the bridge's subnet among Docker's default pools.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::Ipv4Net;

/// One of the pools networks are carved from (`--default-address-pool base=CIDR,size=N`):
/// subnets of prefix `size` inside `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressPool {
    /// The range the subnets are taken from.
    pub base: Ipv4Net,
    /// The prefix length of each subnet (at least `base`'s).
    pub size: u8,
}

/// Docker's default local pools (libnetwork's `ipamutils`): `172.17.0.0/16` … `172.31.0.0/16`
/// whole, then `192.168.0.0/16` in /20s.
pub fn default_address_pools() -> Vec<AddressPool> {
    let b16 = (17u8..=31).map(|b| AddressPool {
        base: net(Ipv4Addr::new(172, b, 0, 0), 16),
        size: 16,
    });
    let c20 = std::iter::once(AddressPool {
        base: net(Ipv4Addr::new(192, 168, 0, 0), 16),
        size: 20,
    });
    b16.chain(c20).collect()
}

/// The subnets of `pools` (Docker's defaults when empty), in the order they are tried.
pub fn candidates_in(pools: &[AddressPool]) -> Vec<Ipv4Net> {
    let defaults;
    let pools = match pools {
        [] => {
            defaults = default_address_pools();
            &defaults[..]
        }
        given => given,
    };
    pools
        .iter()
        .flat_map(|p| {
            p.base
                .trunc()
                .subnets(p.size.max(p.base.prefix_len()))
                .into_iter()
                .flatten()
        })
        .collect()
}

/// Docker's default local pools, in the order they are tried: `172.17.0.0/16` … `172.31.0.0/16`,
/// then `192.168.0.0/20` … `192.168.240.0/20`.
pub fn candidates() -> impl Iterator<Item = Ipv4Net> {
    candidates_in(&[]).into_iter()
}

fn net(addr: Ipv4Addr, prefix: u8) -> Ipv4Net {
    Ipv4Net::new(addr, prefix).expect("prefix lengths here are at most 32")
}

/// Whether two subnets share any address.
pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The first subnet of `pools` that overlaps neither a route's destination nor a nameserver.
pub fn first_free(
    pools: &[AddressPool],
    routes: &[Ipv4Net],
    nameservers: &[IpAddr],
) -> Option<Ipv4Net> {
    candidates_in(pools).into_iter().find(|c| {
        !routes.iter().any(|r| overlaps(c, r))
            && !nameservers.iter().any(|ns| match ns {
                IpAddr::V4(v4) => c.contains(v4),
                IpAddr::V6(_) => false,
            })
    })
}

/// The bridge's own address on a chosen subnet: the first host (`.1`), with the subnet's prefix.
pub fn gateway_of(subnet: &Ipv4Net) -> Ipv4Net {
    let first = u32::from(subnet.network()).saturating_add(1);
    net(Ipv4Addr::from(first), subnet.prefix_len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().expect("test literal")
    }

    #[test]
    fn candidates_follow_dockers_default_pools() {
        let all: Vec<Ipv4Net> = candidates().collect();
        assert_eq!(all.len(), 15 + 16);
        assert_eq!(all[0], n("172.17.0.0/16"));
        assert_eq!(all[14], n("172.31.0.0/16"));
        assert_eq!(all[15], n("192.168.0.0/20"));
        assert_eq!(all[16], n("192.168.16.0/20"));
        assert_eq!(all[30], n("192.168.240.0/20"));
    }

    #[test]
    fn skips_routes_and_nameservers() {
        assert_eq!(first_free(&[], &[], &[]), Some(n("172.17.0.0/16")));
        // A narrower route inside a candidate and a wider one around it both count.
        let routes = [n("172.17.5.0/24"), n("172.18.0.0/15")];
        let ns: Vec<IpAddr> = vec![
            "172.20.0.10".parse().expect("literal"),
            "::1".parse().expect("literal"),
        ];
        assert_eq!(first_free(&[], &routes, &ns), Some(n("172.21.0.0/16")));
        // A default route is not a destination and is never passed in; a /8 hides every /16.
        let wide = [n("172.16.0.0/12")];
        assert_eq!(first_free(&[], &wide, &[]), Some(n("192.168.0.0/20")));
    }

    #[test]
    fn nothing_free_is_none() {
        assert_eq!(
            first_free(&[], &[n("172.16.0.0/12"), n("192.168.0.0/16")], &[]),
            None
        );
    }

    #[test]
    fn gateway_is_the_first_host() {
        assert_eq!(gateway_of(&n("172.17.0.0/16")), n("172.17.0.1/16"));
        assert_eq!(gateway_of(&n("192.168.16.0/20")), n("192.168.16.1/20"));
    }

    #[test]
    fn overlap_is_symmetric() {
        assert!(overlaps(&n("10.0.0.0/8"), &n("10.1.0.0/16")));
        assert!(overlaps(&n("10.1.0.0/16"), &n("10.0.0.0/8")));
        assert!(!overlaps(&n("10.1.0.0/16"), &n("10.2.0.0/16")));
    }

    #[test]
    fn configured_pools_are_carved_in_order() {
        let pools = [
            AddressPool {
                base: n("10.10.0.0/16"),
                size: 24,
            },
            AddressPool {
                base: n("10.20.0.0/23"),
                size: 24,
            },
        ];
        let all = candidates_in(&pools);
        assert_eq!(all.len(), 256 + 2);
        assert_eq!(all[0], n("10.10.0.0/24"));
        assert_eq!(all[255], n("10.10.255.0/24"));
        assert_eq!(all[257], n("10.20.1.0/24"));
        let routes = [n("10.10.0.0/24")];
        assert_eq!(first_free(&pools, &routes, &[]), Some(n("10.10.1.0/24")));
    }
}
