//! MAC addresses derived from IPv4 addresses, as Docker derives them.

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// Docker's address for `ip`: the locally administered prefix `02:42` followed by the four
    /// bytes of the address (`172.17.0.2` → `02:42:ac:11:00:02`). Stable, and unique on a bridge
    /// because addresses are.
    pub fn from_ipv4(ip: Ipv4Addr) -> Self {
        let [a, b, c, d] = ip.octets();
        MacAddr([0x02, 0x42, a, b, c, d])
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl std::str::FromStr for MacAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut out {
            let part = parts
                .next()
                .ok_or_else(|| format!("invalid mac address {s}"))?;
            *byte = u8::from_str_radix(part, 16).map_err(|_| format!("invalid mac address {s}"))?;
        }
        if parts.next().is_some() {
            return Err(format!("invalid mac address {s}"));
        }
        Ok(MacAddr(out))
    }
}

// As text, the way `ip link` and Docker's JSON show it.
impl Serialize for MacAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MacAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_like_docker() {
        let mac = MacAddr::from_ipv4(Ipv4Addr::new(172, 17, 0, 2));
        assert_eq!(mac.to_string(), "02:42:ac:11:00:02");
        assert_eq!(
            MacAddr::from_ipv4(Ipv4Addr::new(192, 168, 16, 255)).to_string(),
            "02:42:c0:a8:10:ff"
        );
    }

    #[test]
    fn round_trips_as_text() {
        let mac = MacAddr::from_ipv4(Ipv4Addr::new(10, 0, 0, 1));
        let json = serde_json::to_string(&mac).expect("serializable");
        assert_eq!(json, "\"02:42:0a:00:00:01\"");
        assert_eq!(serde_json::from_str::<MacAddr>(&json).expect("parses"), mac);
        assert!("02:42".parse::<MacAddr>().is_err());
        assert!("02:42:0a:00:00:01:02".parse::<MacAddr>().is_err());
    }
}
