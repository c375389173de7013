//! ureq errors to [`TransportError`], with the right [`Delivery`].
//!
//! The rule: `NotSent` only for failures that can only happen before the
//! first byte of the request is written (name resolution, TCP connect, TLS
//! handshake, a request that cannot be expressed). Everything else, and
//! anything unknown, is `MaybeSent`.

use std::io;

use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};
use ureq::Timeout;

/// Where in the call the error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Between the start of the call and the complete response head.
    Exchange,
    /// Reading the body, after the response head arrived: the request
    /// certainly reached the server.
    Body,
}

use Delivery::{MaybeSent, NotSent};
use TransportErrorKind as K;

/// Maps a ureq error to a transport error.
pub(crate) fn map(error: ureq::Error, phase: Phase) -> TransportError {
    let (kind, delivery, what) = classify(&error);
    let delivery = match phase {
        Phase::Exchange => delivery,
        Phase::Body => MaybeSent,
    };
    let message = match phase {
        Phase::Exchange => format!("{what}: {error}"),
        Phase::Body => format!("{what} while reading the response body: {error}"),
    };
    TransportError::new(kind, delivery, message).with_source(error)
}

fn classify(error: &ureq::Error) -> (TransportErrorKind, Delivery, &'static str) {
    use ureq::Error as E;
    match error {
        E::HostNotFound => (K::Dns, NotSent, "host not found"),
        E::Timeout(timeout) => classify_timeout(*timeout),
        E::Io(e) => classify_io(e),
        E::ConnectionFailed => (K::Connect, NotSent, "connection failed"),
        E::ConnectProxyFailed(_) => (K::Connect, NotSent, "proxy connection failed"),
        E::Tls(_) | E::TlsRequired | E::Pem(_) => (K::Tls, NotSent, "TLS set-up failed"),
        // Raised by ureq only while building the TLS client for a new
        // connection (errors on an established connection arrive as `Io`).
        E::Rustls(_) => (K::Tls, NotSent, "TLS set-up failed"),
        E::BadUri(_) | E::Http(_) | E::RequireHttpsOnly(_) | E::InvalidProxyUrl => {
            (K::InvalidRequest, NotSent, "invalid request")
        }
        E::BodyExceedsLimit(_) => (K::BodyTooLarge, MaybeSent, "response body too large"),
        E::Protocol(_) | E::LargeResponseHeader(_, _) | E::BodyStalled => {
            (K::Protocol, MaybeSent, "invalid HTTP response")
        }
        // Cannot happen with the settings the transport uses; if they do,
        // a response was received.
        E::StatusCode(_) | E::RedirectFailed | E::TooManyRedirects => (
            K::Protocol,
            MaybeSent,
            "unexpected redirect or status handling",
        ),
        _ => (K::Other, MaybeSent, "HTTP call failed"),
    }
}

fn classify_timeout(timeout: Timeout) -> (TransportErrorKind, Delivery, &'static str) {
    match timeout {
        Timeout::Resolve => (K::Dns, NotSent, "DNS resolution timed out"),
        // Covers TCP connect and the TLS handshake (and proxy negotiation).
        Timeout::Connect => (K::Connect, NotSent, "connect timed out"),
        // Global and PerCall do not say in which phase they fired.
        _ => (K::Timeout, MaybeSent, "timed out"),
    }
}

fn classify_io(e: &io::Error) -> (TransportErrorKind, Delivery, &'static str) {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return if is_handshake_failure(tls) {
            (K::Tls, NotSent, "TLS handshake failed")
        } else {
            (K::Tls, MaybeSent, "TLS error")
        };
    }
    match e.kind() {
        // Only `connect(2)`/`bind(2)` report these: nothing was written.
        io::ErrorKind::ConnectionRefused => (K::Connect, NotSent, "connection refused"),
        io::ErrorKind::AddrNotAvailable => (K::Connect, NotSent, "address not available"),
        // An established connection whose retransmissions die after an ICMP
        // unreachable also reports these, on read or write, after the
        // request may have been written; ureq's I/O error does not say
        // which phase it came from, so stay on the safe side.
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => (
            K::ConnectionBroken,
            MaybeSent,
            "host or network unreachable",
        ),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotConnected
        | io::ErrorKind::WriteZero => (K::ConnectionBroken, MaybeSent, "connection broken"),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (K::Timeout, MaybeSent, "timed out"),
        io::ErrorKind::InvalidData => (K::Protocol, MaybeSent, "invalid data"),
        _ => (K::Other, MaybeSent, "I/O error"),
    }
}

/// Whether a rustls error can only come out of the handshake, before any
/// application data (the request) was written.
fn is_handshake_failure(e: &rustls::Error) -> bool {
    use rustls::AlertDescription as A;
    use rustls::Error as R;
    match e {
        R::InvalidCertificate(_)
        | R::NoCertificatesPresented
        | R::UnsupportedNameType
        | R::PeerIncompatible(_)
        | R::InappropriateHandshakeMessage { .. }
        | R::HandshakeNotComplete
        | R::NoApplicationProtocol
        | R::InvalidCertRevocationList(_)
        | R::InvalidEncryptedClientHello(_) => true,
        R::AlertReceived(alert) => matches!(
            alert,
            A::HandshakeFailure
                | A::ProtocolVersion
                | A::InsufficientSecurity
                | A::BadCertificate
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::CertificateUnknown
                | A::UnknownCA
                | A::UnrecognisedName
                | A::MissingExtension
                | A::UnsupportedExtension
                | A::NoApplicationProtocol
                | A::InappropriateFallback
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pasarela_core::transport::TransportFailure;

    fn check(error: ureq::Error, kind: TransportErrorKind, delivery: Delivery) {
        let text = error.to_string();
        let mapped = map(error, Phase::Exchange);
        assert_eq!(mapped.kind(), kind, "{text}");
        assert_eq!(mapped.delivery(), delivery, "{text}");
    }

    fn io(kind: io::ErrorKind) -> ureq::Error {
        ureq::Error::Io(io::Error::from(kind))
    }

    #[test]
    fn before_sending_is_not_sent() {
        check(ureq::Error::HostNotFound, K::Dns, NotSent);
        check(ureq::Error::Timeout(Timeout::Resolve), K::Dns, NotSent);
        check(ureq::Error::Timeout(Timeout::Connect), K::Connect, NotSent);
        check(io(io::ErrorKind::ConnectionRefused), K::Connect, NotSent);
        check(io(io::ErrorKind::AddrNotAvailable), K::Connect, NotSent);
        check(ureq::Error::ConnectionFailed, K::Connect, NotSent);
        check(ureq::Error::BadUri("x".into()), K::InvalidRequest, NotSent);
        check(ureq::Error::Tls("bad name"), K::Tls, NotSent);
    }

    #[test]
    fn tls_handshake_failures_are_not_sent() {
        let cert = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, cert));
        check(e, K::Tls, NotSent);
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        let e = ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, alert));
        check(e, K::Tls, NotSent);
        let mac = rustls::Error::DecryptError;
        let e = ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, mac));
        check(e, K::Tls, MaybeSent);
    }

    #[test]
    fn unreachable_may_strike_an_established_connection() {
        check(
            io(io::ErrorKind::NetworkUnreachable),
            K::ConnectionBroken,
            MaybeSent,
        );
        check(
            io(io::ErrorKind::HostUnreachable),
            K::ConnectionBroken,
            MaybeSent,
        );
    }

    #[test]
    fn after_sending_or_unknown_is_maybe_sent() {
        for t in [
            Timeout::Global,
            Timeout::PerCall,
            Timeout::SendRequest,
            Timeout::SendBody,
            Timeout::RecvResponse,
            Timeout::RecvBody,
            Timeout::PerRead,
            Timeout::PerWrite,
        ] {
            check(ureq::Error::Timeout(t), K::Timeout, MaybeSent);
        }
        check(
            io(io::ErrorKind::ConnectionReset),
            K::ConnectionBroken,
            MaybeSent,
        );
        check(
            io(io::ErrorKind::UnexpectedEof),
            K::ConnectionBroken,
            MaybeSent,
        );
        check(
            io(io::ErrorKind::BrokenPipe),
            K::ConnectionBroken,
            MaybeSent,
        );
        check(io(io::ErrorKind::Other), K::Other, MaybeSent);
        check(ureq::Error::BodyExceedsLimit(1), K::BodyTooLarge, MaybeSent);
        check(ureq::Error::Other("?".into()), K::Other, MaybeSent);
    }

    #[test]
    fn body_phase_is_always_maybe_sent() {
        let e = map(ureq::Error::Timeout(Timeout::Connect), Phase::Body);
        use pasarela_core::transport::TransportFailure as _;
        assert_eq!(e.delivery(), MaybeSent);
        assert!(e.message().contains("response body"));
    }
}
