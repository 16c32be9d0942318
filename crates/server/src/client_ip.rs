//! Who the client is: the TCP peer, or, when the peer is a trusted reverse proxy, the
//! address that proxy (and any trusted proxies before it) saw, from `X-Forwarded-For`.
//!
//! The header is read from the right, the end the nearest proxy appended to: each hop is
//! believed only while the address that handed it over is trusted, so a client cannot
//! choose its own address by sending the header itself. An entry that is not an IP
//! address stops the walk at the last address known. `Forwarded` (RFC 7239) is not read.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::ipnet::IpNet;

/// The client's address, canonical (IPv4-mapped IPv6 as IPv4).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    let mut client = peer.to_canonical();
    if trusted_proxies.is_empty() {
        return client;
    }
    let trusted = |addr: IpAddr| trusted_proxies.iter().any(|net| net.contains(addr));
    // Later header lines were added by nearer proxies, as were later entries in a line.
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        .flat_map(|line| line.to_str().unwrap_or("").rsplit(','));
    for hop in hops {
        if !trusted(client) {
            break;
        }
        match hop.trim().parse::<IpAddr>() {
            Ok(addr) => client = addr.to_canonical(),
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append("x-forwarded-for", HeaderValue::from_str(line).unwrap());
        }
        map
    }

    #[test]
    fn the_header_counts_only_from_trusted_proxies() {
        let proxies = [IpNet::parse("10.0.0.0/8").unwrap()];
        let forwarded = headers(&["203.0.113.7"]);
        // No trusted proxies, or an untrusted peer: the peer.
        assert_eq!(client_ip(ip("10.0.0.2"), &forwarded, &[]), ip("10.0.0.2"));
        assert_eq!(
            client_ip(ip("198.51.100.1"), &forwarded, &proxies),
            ip("198.51.100.1")
        );
        // A trusted peer: the address it saw.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &forwarded, &proxies),
            ip("203.0.113.7")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &proxies),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn walks_from_the_right_through_trusted_hops_only() {
        let proxies = [IpNet::parse("10.0.0.0/8").unwrap()];
        let peer = ip("10.0.0.2");
        // The client sent a forged first entry; the untrusted hop before the proxies wins.
        let forged = headers(&["1.1.1.1, 198.51.100.9, 10.0.0.5"]);
        assert_eq!(client_ip(peer, &forged, &proxies), ip("198.51.100.9"));
        // Several header lines read as one list, in order.
        let lines = headers(&["1.1.1.1", "198.51.100.9", "10.0.0.5"]);
        assert_eq!(client_ip(peer, &lines, &proxies), ip("198.51.100.9"));
        // Every hop trusted: the leftmost.
        let all = headers(&["10.1.1.1, 10.0.0.5"]);
        assert_eq!(client_ip(peer, &all, &proxies), ip("10.1.1.1"));
        // Garbage stops the walk at the last address known.
        let junk = headers(&["198.51.100.9, not-an-ip, 10.0.0.5"]);
        assert_eq!(client_ip(peer, &junk, &proxies), ip("10.0.0.5"));
        // Mapped IPv6 is IPv4.
        let mapped = headers(&["::ffff:203.0.113.7"]);
        assert_eq!(client_ip(peer, &mapped, &proxies), ip("203.0.113.7"));
    }
}
