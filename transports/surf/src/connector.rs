//! The HTTP backend under the surf client: one fresh connection per request,
//! async-h1 for HTTP/1.1 and native-tls for HTTPS (what surf's `h1-client`
//! uses), with a connect timeout and exact knowledge of whether the request
//! may have been written.
//!
//! Why not surf's own `H1Client`: its keep-alive pool hands a connection back
//! to the pool when a request is abandoned half-way (a timeout, a body over
//! the limit), so the next request on it can read the previous request's late
//! response; it has no connect timeout; and it reports connect and TLS
//! failures as plain strings, so "not sent" could not be told from "may have
//! been sent".

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use async_std::io::{Read, Write};
use async_std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind as K};
use pasarela_transport_kit::{Phase, Progress};
use surf::http::{Request, Response, StatusCode};

/// The per-request handle on [`Progress`], carried in the request extensions.
#[derive(Clone)]
pub(crate) struct ProgressExt(pub(crate) Progress);

trait Stream: Read + Write + Send + Sync + Unpin {}
impl<T: Read + Write + Send + Sync + Unpin> Stream for T {}

/// surf's HTTP backend for this transport.
pub(crate) struct Connector {
    pub(crate) connect_timeout: Duration,
    pub(crate) tls: Arc<async_native_tls::TlsConnector>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

fn fail(kind: K, delivery: Delivery, message: impl Into<String>) -> TransportError {
    TransportError::new(kind, delivery, message)
}

/// Carries a [`TransportError`] through surf, to be downcast on the other side.
fn wrap(e: TransportError) -> surf::Error {
    surf::Error::new(StatusCode::InternalServerError, e)
}

impl Connector {
    /// Resolves, connects and (for https) completes the TLS handshake, all
    /// within the connect timeout. Every error is `NotSent`.
    async fn open(&self, req: &Request) -> Result<Box<dyn Stream>, TransportError> {
        let url = req.url();
        let host = url
            .host_str()
            .ok_or_else(|| fail(K::InvalidRequest, Delivery::NotSent, "URL has no host"))?;
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(fail(
                    K::InvalidRequest,
                    Delivery::NotSent,
                    format!("unsupported URL scheme {other:?}"),
                ));
            }
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| fail(K::InvalidRequest, Delivery::NotSent, "URL has no port"))?;
        // `host_str` keeps IPv6 literals bracketed; the resolver wants them bare.
        let bare = host.trim_start_matches('[').trim_end_matches(']');

        let open = async {
            let addrs: Vec<SocketAddr> = (bare, port)
                .to_socket_addrs()
                .await
                .map_err(|e| {
                    fail(
                        K::Dns,
                        Delivery::NotSent,
                        format!("cannot resolve {host}: {e}"),
                    )
                    .with_source(e)
                })?
                .collect();
            let tcp = connect_any(host, &addrs).await?;
            let _ = tcp.set_nodelay(true);
            if https {
                let tls = self.tls.connect(bare, tcp).await.map_err(|e| {
                    fail(
                        K::Tls,
                        Delivery::NotSent,
                        format!("TLS handshake with {host} failed: {e}"),
                    )
                    .with_source(e)
                })?;
                Ok::<Box<dyn Stream>, TransportError>(Box::new(tls))
            } else {
                Ok(Box::new(tcp) as Box<dyn Stream>)
            }
        };
        async_std::future::timeout(self.connect_timeout, open)
            .await
            .map_err(|e| {
                fail(
                    K::Connect,
                    Delivery::NotSent,
                    format!(
                        "connecting to {host} timed out after {:?}",
                        self.connect_timeout
                    ),
                )
                .with_source(e)
            })?
    }
}

/// Tries each address in turn; the last failure is reported.
async fn connect_any(host: &str, addrs: &[SocketAddr]) -> Result<TcpStream, TransportError> {
    let mut last: Option<io::Error> = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => fail(
            K::Connect,
            Delivery::NotSent,
            format!("cannot connect to {host}: {e}"),
        )
        .with_source(e),
        None => fail(
            K::Dns,
            Delivery::NotSent,
            format!("{host} resolved to no address"),
        ),
    })
}

/// Classifies an error from async-h1 once the request may have been written.
pub(crate) fn after_send(e: surf::Error) -> TransportError {
    let message = format!("HTTP exchange failed: {e}");
    let kind = match e.downcast_ref::<io::Error>() {
        Some(io) => match io.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::NotConnected
            | io::ErrorKind::WriteZero => K::ConnectionBroken,
            io::ErrorKind::TimedOut => K::Timeout,
            io::ErrorKind::InvalidData => K::Protocol,
            _ => K::Other,
        },
        // async-h1's own words for a connection closed before any response.
        None if matches!(
            e.to_string().as_str(),
            "connection closed" | "empty response"
        ) =>
        {
            K::ConnectionBroken
        }
        None => K::Protocol,
    };
    fail(kind, Delivery::MaybeSent, message)
}

#[surf::utils::async_trait]
impl surf::HttpClient for Connector {
    async fn send(&self, req: Request) -> Result<Response, surf::Error> {
        let progress = req.ext().get::<ProgressExt>().map(|p| p.0.clone());
        if let Some(p) = &progress {
            p.set(Phase::Connecting);
        }
        let stream = self.open(&req).await.map_err(wrap)?;
        if let Some(p) = &progress {
            p.set(Phase::Sending);
        }
        async_h1::client::connect(stream, req)
            .await
            .map_err(|e| wrap(after_send(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pasarela_core::transport::TransportFailure;

    #[test]
    fn errors_after_sending_are_maybe_sent() {
        let reset = surf::Error::from(io::Error::from(io::ErrorKind::ConnectionReset));
        let e = after_send(reset);
        assert_eq!(
            (e.kind(), e.delivery()),
            (K::ConnectionBroken, Delivery::MaybeSent)
        );
        let closed = surf::Error::from_str(StatusCode::InternalServerError, "connection closed");
        let e = after_send(closed);
        assert_eq!(
            (e.kind(), e.delivery()),
            (K::ConnectionBroken, Delivery::MaybeSent)
        );
        let bad = surf::Error::from_str(StatusCode::InternalServerError, "Malformed HTTP head");
        let e = after_send(bad);
        assert_eq!((e.kind(), e.delivery()), (K::Protocol, Delivery::MaybeSent));
    }

    #[test]
    fn transport_errors_survive_the_trip_through_surf() {
        let e = wrap(fail(K::Connect, Delivery::NotSent, "refused"));
        let back = e.downcast::<TransportError>().expect("downcast");
        assert_eq!(back.delivery(), Delivery::NotSent);
    }
}
