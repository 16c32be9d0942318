//! IP addresses and networks of access rules: `203.0.113.7` or `203.0.113.0/24`,
//! `2001:db8::1` or `2001:db8::/32`. A rule matches the addresses from its first to its
//! last, stored as 16-byte big-endian keys (IPv4 as IPv4-mapped IPv6), so that SQLite's
//! byte-wise BLOB comparison orders them as numbers and one range query finds every rule
//! that contains a client's address.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// An address or a network, canonical: IPv4-mapped IPv6 written as IPv4, host bits
/// cleared, and a single address written without a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

/// Why a text is not an address or network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IpNetError {
    /// Not an IP address (before the `/`, if any).
    #[error("must be an IP address or a network such as 203.0.113.0/24")]
    Address,
    /// The prefix length is not a number within the address's bits.
    #[error("the prefix length must be 0 to 32 for IPv4 and 0 to 128 for IPv6")]
    Prefix,
}

impl IpNet {
    /// Parses `address` or `address/prefix`.
    pub fn parse(text: &str) -> Result<Self, IpNetError> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr = addr
            .parse::<IpAddr>()
            .map_err(|_| IpNetError::Address)?
            .to_canonical();
        let bits = max_prefix(addr);
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or(IpNetError::Prefix)?,
        };
        let first = key(addr) & !host_mask(addr, prefix);
        Ok(Self {
            addr: from_key(first, addr.is_ipv4()),
            prefix,
        })
    }

    /// The single address `addr`.
    pub fn host(addr: IpAddr) -> Self {
        let addr = addr.to_canonical();
        Self {
            addr,
            prefix: max_prefix(addr),
        }
    }

    /// Whether `addr` is in the network.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let key = Self::host(addr).first();
        self.first() <= key && key <= self.last()
    }

    /// The first address's key.
    pub fn first(&self) -> [u8; 16] {
        key(self.addr).to_be_bytes()
    }

    /// The last address's key.
    pub fn last(&self) -> [u8; 16] {
        (key(self.addr) | host_mask(self.addr, self.prefix)).to_be_bytes()
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == max_prefix(self.addr) {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

/// The address as a 128-bit number (IPv4 as IPv4-mapped IPv6).
fn key(addr: IpAddr) -> u128 {
    let v6 = match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    u128::from(v6)
}

fn from_key(key: u128, ipv4: bool) -> IpAddr {
    let v6 = Ipv6Addr::from(key);
    match v6.to_ipv4_mapped() {
        Some(v4) if ipv4 => IpAddr::V4(v4),
        _ => IpAddr::V6(v6),
    }
}

/// The bits of `addr`'s key that vary within a network of `prefix` bits.
fn host_mask(addr: IpAddr, prefix: u8) -> u128 {
    let host_bits = u32::from(max_prefix(addr) - prefix);
    1u128
        .checked_shl(host_bits)
        .map_or(u128::MAX, |bit| bit - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        IpNet::parse(text).unwrap()
    }

    #[test]
    fn canonical_text() {
        for (input, canonical) in [
            ("203.0.113.7", "203.0.113.7"),
            (" 203.0.113.7/32 ", "203.0.113.7"),
            ("203.0.113.77/24", "203.0.113.0/24"),
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::ffff:1.2.3.4", "1.2.3.4"),
            ("2001:DB8::1/32", "2001:db8::/32"),
            ("2001:db8::1/128", "2001:db8::1"),
            ("::/0", "::/0"),
        ] {
            assert_eq!(net(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn rejections() {
        for bad in ["", "1.2.3", "1.2.3.4.5", "host.example", "/24", "1.2.3.4/"] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(IpNet::parse("1.2.3.4/33"), Err(IpNetError::Prefix));
        assert_eq!(IpNet::parse("::1/129"), Err(IpNetError::Prefix));
        assert_eq!(IpNet::parse("1.2.3.4/x"), Err(IpNetError::Prefix));
        assert_eq!(IpNet::parse("1.2.3.4/-1"), Err(IpNetError::Prefix));
    }

    /// Keys order addresses as numbers, so a range comparison is membership.
    #[test]
    fn ranges_contain_exactly_their_addresses() {
        let contains = |n: &IpNet, ip: &str| n.contains(ip.parse().unwrap());
        let v4 = net("203.0.113.0/24");
        assert!(contains(&v4, "203.0.113.0") && contains(&v4, "203.0.113.255"));
        assert!(!contains(&v4, "203.0.112.255") && !contains(&v4, "203.0.114.0"));
        assert!(
            contains(&v4, "::ffff:203.0.113.9"),
            "mapped clients match IPv4 rules"
        );
        let all_v4 = net("0.0.0.0/0");
        assert!(contains(&all_v4, "255.255.255.255") && !contains(&all_v4, "2001:db8::1"));
        let v6 = net("2001:db8::/32");
        assert!(contains(&v6, "2001:db8:ffff::1") && !contains(&v6, "2001:db9::"));
        let all = net("::/0");
        assert!(contains(&all, "::") && contains(&all, "1.2.3.4"));
        let host = net("10.0.0.1");
        assert_eq!(host.first(), host.last());
    }
}
