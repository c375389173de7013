//! Same-origin control: the loopback server acts only on requests from its
//! own origin, so that a web page open in the same browser cannot drive it.
//!
//! - Every request's `Host` must be one of the simulator's own names:
//!   `localhost`, `*.localhost`, a loopback address, the address it listens
//!   on (any address when it listens on all of them: an address cannot be
//!   DNS-rebound), or a host added with `--allow-host`
//!   ([`SimulatorConfig::with_allowed_host`]). A DNS-rebinding page's
//!   requests carry its own name and are refused.
//! - A state-changing request (any method but `GET`, `HEAD`, `OPTIONS`) is
//!   refused when it carries a foreign `Origin` (another host, another
//!   port, or `null`) or `Sec-Fetch-Site: cross-site`. When it listens on
//!   all addresses (`0.0.0.0`, `::`), an `Origin` is its own only when its
//!   authority is the request's `Host` (or its host was added with
//!   `--allow-host`): any address names it, so "an address of this
//!   machine" would let every IP-literal origin in. The official clients
//!   send no `Origin` and pass; so do the simulator's own pages.
//!
//! JSON endpoints also require `Content-Type: application/json` (which a
//! page cannot send cross-origin without the browser asking first), and the
//! pages' forms carry a per-page token: both are checked by the handler,
//! in-process too.

use std::net::{IpAddr, SocketAddr};

use hyper::HeaderMap;

use super::config::{SimulatorConfig, is_loopback_host, normalize_host};

/// Why a request is refused, in one line.
pub(crate) fn check(
    config: &SimulatorConfig,
    bound: SocketAddr,
    method: &hyper::Method,
    headers: &HeaderMap,
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let allowed = || allowed_list(config, bound);
    let Some(host_header) = header("host") else {
        return Err(format!(
            "no Host header: the simulator answers only requests addressed to it (allowed hosts: {})",
            allowed()
        ));
    };
    let Some((host_name, host_port)) =
        parse_authority(&host_header).filter(|(h, _)| own_host(config, bound, h))
    else {
        return Err(format!(
            "foreign Host {}: the simulator answers only requests addressed to its own names \
             (allowed hosts: {}; add more with --allow-host)",
            shown(&host_header),
            allowed()
        ));
    };
    if matches!(
        *method,
        hyper::Method::GET | hyper::Method::HEAD | hyper::Method::OPTIONS
    ) {
        return Ok(());
    }
    let origin = header("origin");
    let explicitly_allowed = origin
        .as_deref()
        .and_then(origin_authority)
        .is_some_and(|(h, _)| listed(config, &h));
    if header("sec-fetch-site").is_some_and(|v| v.trim().eq_ignore_ascii_case("cross-site"))
        && !explicitly_allowed
    {
        return Err(format!(
            "cross-site request (Sec-Fetch-Site: cross-site{}); the simulator accepts control \
             calls only from its own origin (allowed hosts: {}; add more with --allow-host)",
            origin
                .as_deref()
                .map(|o| format!(", Origin {}", shown(o)))
                .unwrap_or_default(),
            allowed()
        ));
    }
    let Some(origin) = origin else {
        return Ok(());
    };
    let own = origin_authority(&origin).is_some_and(|(h, port)| {
        if listed(config, &h) {
            true
        } else if bound.ip().is_unspecified() {
            // Any address names it, so only the request's own authority
            // (a page served by the simulator under that name) counts.
            h == host_name && port.is_some() && port == host_port
        } else {
            own_host(config, bound, &h)
                && (port == Some(bound.port()) || (port.is_some() && port == host_port))
        }
    });
    if own {
        Ok(())
    } else {
        Err(format!(
            "foreign Origin {}; the simulator accepts control calls only from its own origin \
             (allowed hosts: {}; add more with --allow-host)",
            shown(&origin),
            allowed()
        ))
    }
}

/// A header value as shown in a refusal: at most 100 characters, escaped.
fn shown(value: &str) -> String {
    let cut: String = value.chars().take(100).collect();
    cut.escape_debug().to_string()
}

/// The hosts allowed, for messages.
fn allowed_list(config: &SimulatorConfig, bound: SocketAddr) -> String {
    let mut list = vec![
        "localhost".to_owned(),
        "*.localhost".to_owned(),
        "loopback addresses".to_owned(),
    ];
    if bound.ip().is_unspecified() {
        list.push("any address of this machine".to_owned());
    } else if !bound.ip().to_canonical().is_loopback() {
        list.push(bound.ip().to_string());
    }
    list.extend(config.allowed_hosts().iter().cloned());
    list.join(", ")
}

/// `host[:port]` of a `Host` header: the host (normalized) and the port.
fn parse_authority(text: &str) -> Option<(String, Option<u16>)> {
    let text = text.trim();
    if text.is_empty() || text.contains(['/', '@', '?', '#', ' ', '\\']) {
        return None;
    }
    let url = url::Url::parse(&format!("http://{text}/")).ok()?;
    let host = match url.host()? {
        url::Host::Domain(d) => normalize_host(d),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    Some((host, url.port_or_known_default()))
}

/// Host and port of an `Origin` (`null` and anything not http(s) give none).
fn origin_authority(origin: &str) -> Option<(String, Option<u16>)> {
    let url = url::Url::parse(origin.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    parse_authority(&format!(
        "{}:{}",
        url.host_str()?,
        url.port_or_known_default()?
    ))
}

/// Whether `host` (normalized) was added with `--allow-host`.
fn listed(config: &SimulatorConfig, host: &str) -> bool {
    config.allowed_hosts().iter().any(|h| {
        h == host
            || h.parse::<IpAddr>()
                .is_ok_and(|ip| Some(ip) == host.parse::<IpAddr>().ok())
    })
}

/// Whether `host` (normalized) names the simulator.
fn own_host(config: &SimulatorConfig, bound: SocketAddr, host: &str) -> bool {
    if listed(config, host) {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => {
            let ip = ip.to_canonical();
            ip.is_loopback() || ip == bound.ip().to_canonical() || bound.ip().is_unspecified()
        }
        Err(_) => is_loopback_host(&url::Host::Domain(host)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn hosts_and_origins() {
        let config = SimulatorConfig::default().with_allowed_host("Sim.Example");
        let bound: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let post = hyper::Method::POST;
        let get = hyper::Method::GET;
        let ok =
            |m: &hyper::Method, h: &[(&'static str, &str)]| check(&config, bound, m, &headers(h));
        for host in [
            "127.0.0.1:4000",
            "localhost:4000",
            "LOCALHOST.",
            "shop.localhost:4000",
            "[::1]:4000",
            "127.9.9.9",
            "sim.example:8080",
        ] {
            assert_eq!(ok(&get, &[("host", host)]), Ok(()), "{host}");
        }
        for host in [
            "rebind.attacker.example",
            "rebind.attacker.example:4000",
            "10.0.0.1:4000",
            "127.0.0.1.nip.io:4000",
            "",
            "a@127.0.0.1",
        ] {
            let why = ok(&get, &[("host", host)]).unwrap_err();
            assert!(
                why.contains("foreign Host") && why.contains("--allow-host"),
                "{why}"
            );
        }
        assert!(ok(&get, &[]).unwrap_err().contains("no Host header"));
        let host = ("host", "127.0.0.1:4000");
        for origin in [
            "http://127.0.0.1:4000",
            "http://localhost:4000",
            "https://sim.example",
        ] {
            assert_eq!(ok(&post, &[host, ("origin", origin)]), Ok(()), "{origin}");
        }
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:3000",
            "null",
            "file://",
        ] {
            let why = ok(&post, &[host, ("origin", origin)]).unwrap_err();
            assert!(why.starts_with("foreign Origin"), "{why}");
        }
        let why = ok(&post, &[host, ("sec-fetch-site", "cross-site")]).unwrap_err();
        assert!(why.contains("cross-site"), "{why}");
        assert_eq!(
            ok(&post, &[host, ("sec-fetch-site", "same-origin")]),
            Ok(())
        );
        // GETs are navigations: a foreign Origin does not matter.
        assert_eq!(ok(&get, &[host, ("origin", "http://evil.example")]), Ok(()));
        // Listening on all addresses: any address names it.
        let wide: SocketAddr = "0.0.0.0:4000".parse().unwrap();
        assert_eq!(
            check(
                &config,
                wide,
                &get,
                &headers(&[("host", "192.168.1.5:4000")])
            ),
            Ok(())
        );
    }

    #[test]
    fn listening_on_all_addresses_an_origin_must_be_the_hosts_own() {
        let config = SimulatorConfig::default().with_allowed_host("203.0.113.9");
        let post = hyper::Method::POST;
        for wide in ["0.0.0.0:4000", "[::]:4000"] {
            let bound: SocketAddr = wide.parse().unwrap();
            let ok = |h: &[(&'static str, &str)]| check(&config, bound, &post, &headers(h));
            for (host, origin) in [
                ("192.168.1.5:4000", "http://192.168.1.5:4000"),
                ("localhost:4000", "http://localhost:4000"),
                ("[::1]:4000", "http://[::1]:4000"),
                // Listed with --allow-host: any port, whatever the Host.
                ("192.168.1.5:4000", "http://203.0.113.9:8080"),
            ] {
                assert_eq!(
                    ok(&[("host", host), ("origin", origin)]),
                    Ok(()),
                    "{wide} {host} {origin}"
                );
            }
            for (host, origin) in [
                // Another address of the machine, or any IP literal.
                ("192.168.1.5:4000", "http://203.0.113.5:4000"),
                ("192.168.1.5:4000", "http://10.0.0.7:4000"),
                ("192.168.1.5:4000", "http://127.0.0.1:4000"),
                ("192.168.1.5:4000", "http://192.168.1.5:4001"),
                ("localhost:4000", "http://192.168.1.5:4000"),
            ] {
                let why = ok(&[("host", host), ("origin", origin)]).unwrap_err();
                assert!(why.starts_with("foreign Origin"), "{wide} {origin}: {why}");
            }
        }
    }
}
