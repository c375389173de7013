//! No self-calls: a callback or notification URL that points at the
//! address a loopback server of this simulator listens on would make each
//! delivery call the simulator's own API (and settle, and deliver, again).
//! Such a URL is refused when it is received (pay-in `callbackUrl`,
//! `notificationUrl`, the configured notify URLs when the server starts),
//! checked again before a delivery, and once more against the address a
//! delivery's connection actually reached (a name that resolves to the
//! simulator).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};

use super::config::is_loopback_host;

/// The addresses this simulator's loopback servers listen on.
#[derive(Debug, Default)]
pub(crate) struct Listening(Mutex<Vec<SocketAddr>>);

fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

impl Listening {
    fn addrs(&self) -> Vec<SocketAddr> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A server started listening on `addr`.
    pub(crate) fn add(&self, addr: SocketAddr) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(addr);
    }

    /// The server on `addr` stopped.
    pub(crate) fn remove(&self, addr: SocketAddr) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|a| *a != addr);
    }

    /// Why `url` points at the simulator itself, when it does (by its
    /// spelling: an address, `localhost`, `0.0.0.0`, with the port of a
    /// listening address).
    pub(crate) fn points_here(&self, url: &str) -> Option<String> {
        let parsed = url::Url::parse(url).ok()?;
        let port = parsed.port_or_known_default()?;
        let host = parsed.host()?;
        let candidates: Vec<IpAddr> = match host {
            url::Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
            url::Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
            ref name if is_loopback_host(name) => vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            url::Host::Domain(_) => Vec::new(),
        };
        let listening = self.addrs();
        let hit = listening.iter().find(|bound| {
            bound.port() == port && candidates.iter().any(|c| reaches(*c, bound.ip()))
        })?;
        Some(self_call_message(url, *hit))
    }

    /// Why a delivery's connection reached the simulator itself, when it
    /// did: `peer` is the address connected to, `local` the connection's
    /// own end.
    pub(crate) fn reached_here(&self, peer: SocketAddr, local: SocketAddr) -> Option<String> {
        let (peer_ip, local_ip) = (canonical(peer.ip()), canonical(local.ip()));
        let hit = self.addrs().into_iter().find(|bound| {
            let bound_ip = canonical(bound.ip());
            bound.port() == peer.port()
                && (peer_ip == bound_ip
                    || (bound_ip.is_unspecified()
                        && (peer_ip.is_loopback() || peer_ip == local_ip)))
        })?;
        Some(format!(
            "refused, not sent: the callback URL's host resolves to the simulator itself \
             ({peer}, where it listens on {hit}); give the merchant's own URL"
        ))
    }
}

/// Whether connecting to `target` reaches a socket bound to `bound` (same
/// port assumed).
fn reaches(target: IpAddr, bound: IpAddr) -> bool {
    let (target, bound) = (canonical(target), canonical(bound));
    target == bound || target.is_unspecified() || (bound.is_unspecified() && target.is_loopback())
}

fn self_call_message(url: &str, bound: SocketAddr) -> String {
    let shown: String = url.chars().take(80).collect();
    format!(
        "the callback URL {shown:?} points at the simulator itself (it listens on {bound}): \
         a delivery there would call the simulator's own API; give the merchant's own URL"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_the_own_address_are_self_calls() {
        let listening = Listening::default();
        assert_eq!(listening.points_here("http://127.0.0.1:4000/cb"), None);
        listening.add("127.0.0.1:4000".parse().unwrap());
        for own in [
            "http://127.0.0.1:4000/_simulator/smilepayz/complete",
            "http://localhost:4000/x",
            "http://LOCALHOST.:4000/x",
            "http://shop.localhost:4000/x",
            "http://0.0.0.0:4000/x",
            "http://[::ffff:127.0.0.1]:4000/x",
            "http://2130706433:4000/x",
        ] {
            assert!(listening.points_here(own).is_some(), "{own}");
        }
        for other in [
            "http://127.0.0.1:4001/cb",
            "http://127.0.0.2:4000/cb",
            "http://localhost/cb",
            "http://shop.example:4000/cb",
            "not a url",
        ] {
            assert_eq!(listening.points_here(other), None, "{other}");
        }
        let peer = "127.0.0.1:4000".parse().unwrap();
        let local = "127.0.0.1:50000".parse().unwrap();
        assert!(listening.reached_here(peer, local).is_some());
        listening.remove("127.0.0.1:4000".parse().unwrap());
        assert_eq!(listening.reached_here(peer, local), None);
        listening.add("0.0.0.0:4000".parse().unwrap());
        assert!(listening.points_here("http://127.0.0.5:4000/").is_some());
        let lan = "192.168.1.5:4000".parse().unwrap();
        assert!(
            listening
                .reached_here(lan, "192.168.1.5:50000".parse().unwrap())
                .is_some()
        );
        assert_eq!(
            listening.reached_here(lan, "192.168.1.9:50000".parse().unwrap()),
            None
        );
    }
}
