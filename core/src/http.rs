//! HTTP: the [`http`](https://docs.rs/http) crate, re-exported whole
//! (`pasarela_core::http::Request`, `HeaderMap`, `Response`, `Method`, …, so
//! your code and the core agree on one version), plus the two plain values
//! the core works with: the request it prepares and the response it parses.
//!
//! [`PreparedRequest`] is everything a transport needs to make the call: the
//! method, the URL, the headers in the order they are sent and the body bytes
//! that were signed or hashed. [`RawResponse`] is everything the core needs
//! back. Neither knows about sockets.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroize;

#[doc(no_inline)]
pub use ::http::*;

/// A fully formed HTTP request, ready for any transport.
///
/// `Debug` shows the method, the URL and the header *names* only: header
/// values (signatures, the Monnet `authorization` hash) and the body (which
/// for Monnet carries card data) never print. [`to_wire_text`] renders the
/// whole request as HTTP/1.1 text for snapshots, with card data masked;
/// the exact bytes to send come from [`body`] or [`into_http`].
///
/// The body is wiped from memory when the request is dropped, so a CVV does
/// not outlive the request that carries it.
///
/// [`to_wire_text`]: PreparedRequest::to_wire_text
/// [`body`]: PreparedRequest::body
/// [`into_http`]: PreparedRequest::into_http
pub struct PreparedRequest {
    method: Method,
    url: url::Url,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Byte ranges of `body` that hold card data, masked in wire text.
    masked: Vec<Range<usize>>,
    /// Names of headers whose values are credentials, masked in wire text.
    masked_headers: Vec<&'static str>,
}

impl PreparedRequest {
    /// Builds a request. Header order is kept as given.
    pub fn new(
        method: Method,
        url: url::Url,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        Self {
            method,
            url,
            headers,
            body,
            masked: Vec::new(),
            masked_headers: Vec::new(),
        }
    }

    /// Marks byte ranges of the body as cardholder data: every byte in them is
    /// shown as `*` by [`to_wire_text`](Self::to_wire_text).
    pub(crate) fn with_masked(mut self, masked: Vec<Range<usize>>) -> Self {
        self.masked = masked;
        self
    }

    /// Marks headers whose values are long-lived credentials (Monnet's
    /// `authorization` hash replays forever): [`to_wire_text`](Self::to_wire_text)
    /// shows their values as `*`.
    pub(crate) fn with_masked_headers(mut self, names: Vec<&'static str>) -> Self {
        self.masked_headers = names;
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The absolute URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The headers, in the order they are sent, with their original case.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The exact body bytes to send: the bytes that were signed or hashed.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Renders the request as HTTP/1.1 wire text (CRLF line ends): request
    /// line with origin-form target, `Host`, the headers in order,
    /// `Content-Length`, a blank line, the body. Card data in the body (`*`
    /// for every byte of the PAN, CVV and expiry) and credential header
    /// values (Monnet's `authorization`) are masked, so this is safe to
    /// snapshot; every other byte is what goes on the wire.
    pub fn to_wire_text(&self) -> String {
        let mut out = String::with_capacity(self.body.len() + 256);
        let target = match self.url.query() {
            Some(q) => format!("{}?{}", self.url.path(), q),
            None => self.url.path().to_owned(),
        };
        out.push_str(&format!("{} {} HTTP/1.1\r\n", self.method, target));
        if let Some(host) = self.url.host_str() {
            match self.url.port() {
                Some(port) => out.push_str(&format!("Host: {host}:{port}\r\n")),
                None => out.push_str(&format!("Host: {host}\r\n")),
            }
        }
        for (name, value) in &self.headers {
            if self
                .masked_headers
                .iter()
                .any(|m| m.eq_ignore_ascii_case(name))
            {
                out.push_str(&format!("{name}: {}\r\n", "*".repeat(value.len())));
            } else {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        out.push_str(&String::from_utf8_lossy(&self.masked_body()));
        out
    }

    fn masked_body(&self) -> Vec<u8> {
        let mut body = self.body.clone();
        for range in &self.masked {
            if let Some(slice) = body.get_mut(range.clone()) {
                slice.fill(b'*');
            }
        }
        body
    }

    /// Converts into an [`http::Request`] carrying the exact body bytes.
    ///
    /// The body then belongs to the caller and is no longer wiped on drop:
    /// for a Monnet create it holds the card data, so keep its lifetime to
    /// the call (the same goes for [`into_body`](Self::into_body) and for
    /// copies a transport makes while sending).
    ///
    /// Header names are lower-cased by the `http` crate (HTTP header names
    /// are case-insensitive). Fails only if a header value holds bytes that
    /// HTTP forbids, which the core never produces.
    pub fn into_http(self) -> std::result::Result<http::Request<Vec<u8>>, http::Error> {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(self.url.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(self.into_body())
    }

    /// Takes the body out. The caller now owns the card data it may hold.
    pub fn into_body(mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }
}

impl TryFrom<PreparedRequest> for http::Request<Vec<u8>> {
    type Error = http::Error;

    fn try_from(value: PreparedRequest) -> std::result::Result<Self, Self::Error> {
        value.into_http()
    }
}

impl Clone for PreparedRequest {
    fn clone(&self) -> Self {
        Self {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            masked: self.masked.clone(),
            masked_headers: self.masked_headers.clone(),
        }
    }
}

impl Drop for PreparedRequest {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("PreparedRequest")
            .field("method", &self.method.as_str())
            .field("url", &self.url.as_str())
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// An HTTP response as the core needs it: status, headers, body bytes.
///
/// `#[non_exhaustive]`, so that what a transport reports can grow (the
/// HTTP version, the peer) without a breaking change: make one with
/// [`RawResponse::new`] and [`with_header`](RawResponse::with_header) /
/// [`with_headers`](RawResponse::with_headers), or from an
/// `http::Response`; read the public fields.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, in received order where the transport keeps it
    /// (the surf transport returns them sorted by name; see its docs).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// A response with this status and body and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds headers in the order given, after any already there (builder
    /// style; what a transport hands over from its HTTP stack).
    ///
    /// ```
    /// use pasarela_core::RawResponse;
    ///
    /// let r = RawResponse::new(200, "{}")
    ///     .with_header("Content-Type", "application/json")
    ///     .with_headers([("X-A", "1"), ("x-a", "2")]);
    /// assert_eq!(r.headers.len(), 3);
    /// assert_eq!(r.header("x-A"), Some("1")); // the first, any case
    /// ```
    pub fn with_headers<N: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        self.headers
            .extend(headers.into_iter().map(|(n, v)| (n.into(), v.into())));
        self
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Renders the response as HTTP/1.1 wire text (for snapshots and logs of
    /// simulated traffic).
    pub fn to_wire_text(&self) -> String {
        let reason = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason);
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        out.push_str(&String::from_utf8_lossy(&self.body));
        out
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl<B: AsRef<[u8]>> From<http::Response<B>> for RawResponse {
    fn from(response: http::Response<B>) -> Self {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Self {
            status,
            headers,
            body: response.body().as_ref().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One masked range is meant here, not the range's elements.
    #[allow(clippy::single_range_in_vec_init)]
    fn sample() -> PreparedRequest {
        let url = url::Url::parse("https://example.com:8443/v2.0/x?a=1").unwrap();
        PreparedRequest::new(
            Method::POST,
            url,
            vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-SIGNATURE".into(), "c2lnbmF0dXJl".into()),
            ],
            br#"{"pan":"4111111111111111"}"#.to_vec(),
        )
        .with_masked(vec![8..24])
    }

    #[test]
    fn debug_shows_names_only() {
        let dbg = format!("{:?}", sample());
        assert!(dbg.contains("X-SIGNATURE"));
        assert!(!dbg.contains("c2lnbmF0dXJl"));
        assert!(!dbg.contains("4111"));
    }

    #[test]
    fn wire_text_is_exact_but_masked() {
        let wire = sample().to_wire_text();
        assert_eq!(
            wire,
            "POST /v2.0/x?a=1 HTTP/1.1\r\nHost: example.com:8443\r\nContent-Type: application/json\r\nX-SIGNATURE: c2lnbmF0dXJl\r\nContent-Length: 26\r\n\r\n{\"pan\":\"****************\"}"
        );
    }

    #[test]
    fn credential_headers_are_masked_in_wire_text_only() {
        let req = sample().with_masked_headers(vec!["x-signature"]);
        let wire = req.to_wire_text();
        assert!(wire.contains("X-SIGNATURE: ************\r\n"), "{wire}");
        assert!(!wire.contains("c2lnbmF0dXJl"));
        assert_eq!(req.header("X-SIGNATURE"), Some("c2lnbmF0dXJl"));
        assert_eq!(
            req.into_http().unwrap().headers()["x-signature"],
            "c2lnbmF0dXJl"
        );
    }

    #[test]
    fn into_http_keeps_exact_body() {
        let req = sample().into_http().unwrap();
        assert_eq!(req.body(), br#"{"pan":"4111111111111111"}"#);
        assert_eq!(req.headers()["x-signature"], "c2lnbmF0dXJl");
        assert_eq!(req.uri(), "https://example.com:8443/v2.0/x?a=1");
    }

    #[test]
    fn raw_response_from_http() {
        let resp = http::Response::builder()
            .status(201)
            .header("X-TIMESTAMP", "t")
            .body("ok")
            .unwrap();
        let raw = RawResponse::from(resp);
        assert_eq!(raw.status, 201);
        assert_eq!(raw.header("x-timestamp"), Some("t"));
        assert_eq!(raw.body, b"ok");
        assert!(raw.is_success());
    }
}
