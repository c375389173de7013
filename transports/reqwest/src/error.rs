//! reqwest errors to [`TransportError`], with the right [`Delivery`].

use std::error::Error as StdError;
use std::io;

use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind as K};
use pasarela_transport_kit::Progress;

/// Maps a reqwest error, given how far the request got.
pub(crate) fn map(e: reqwest::Error, progress: &Progress) -> TransportError {
    let (kind, delivery, what) = classify(&e, progress);
    // Drop the URL from reqwest's message: it may carry an id; the kind and
    // cause are what matter.
    let message = format!("{what}: {}", chain(&e));
    TransportError::new(kind, delivery, message).with_source(e.without_url())
}

fn classify(e: &reqwest::Error, progress: &Progress) -> (K, Delivery, &'static str) {
    if e.is_builder() {
        return (K::InvalidRequest, Delivery::NotSent, "invalid request");
    }
    if e.is_connect() {
        // The connector failed: DNS, TCP, TLS handshake or its timeout. No
        // byte of the request was written.
        let kind = if e.is_timeout() {
            (K::Connect, "connect timed out")
        } else if find::<rustls::Error>(e).is_some() {
            (K::Tls, "TLS handshake failed")
        } else if is_dns(e) {
            (K::Dns, "host name did not resolve")
        } else {
            (K::Connect, "connect failed")
        };
        return (kind.0, Delivery::NotSent, kind.1);
    }
    let delivery = progress.get().delivery();
    if e.is_timeout() {
        return (K::Timeout, delivery, "timed out");
    }
    if e.is_redirect() {
        return (K::Protocol, Delivery::MaybeSent, "redirect");
    }
    if let Some(h) = find::<hyper::Error>(e) {
        if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
            return (K::ConnectionBroken, delivery, "connection broken");
        }
        if h.is_parse() || h.is_parse_status() || h.is_parse_too_large() {
            return (K::Protocol, delivery, "invalid HTTP response");
        }
    }
    if let Some(io) = find::<io::Error>(e) {
        return match io.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::NotConnected
            | io::ErrorKind::WriteZero
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable => {
                (K::ConnectionBroken, delivery, "connection broken")
            }
            io::ErrorKind::TimedOut => (K::Timeout, delivery, "timed out"),
            io::ErrorKind::InvalidData => (K::Protocol, delivery, "invalid data"),
            _ => (K::Other, delivery, "I/O error"),
        };
    }
    if find::<rustls::Error>(e).is_some() {
        return (K::Tls, delivery, "TLS error");
    }
    (K::Other, delivery, "HTTP call failed")
}

/// hyper-util's connector says "dns error" for a resolver failure; reqwest
/// has no `is_dns`. Only the kind depends on it, never the delivery.
fn is_dns(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(err) = source {
        if err.to_string().starts_with("dns error") {
            return true;
        }
        source = err.source();
    }
    false
}

fn find<T: StdError + 'static>(e: &reqwest::Error) -> Option<&T> {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(err) = source {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        source = err.source();
    }
    None
}

/// The error and its causes, for the message.
fn chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(err) = source {
        let text = err.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = err.source();
    }
    out
}
