//! The simulator's own view of HTTP: a request in, an [`Outcome`] out. No
//! sockets here; the loopback server and the in-process transport translate.

use std::time::Duration;

use pasarela_core::RawResponse;
use serde::Serialize;

use super::delivery::DeliveryJob;

/// One HTTP request as the simulator handles it.
#[derive(Clone, PartialEq, Eq)]
pub struct SimRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// Path and optional query, e.g. `/v2.0/transaction/pay-in`.
    pub path: String,
    /// Headers in received order (names in any case).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// Scheme, host and port the client reached the simulator at
    /// (`http://127.0.0.1:40123`): URLs the simulator hands out start with it.
    pub origin: String,
}

impl std::fmt::Debug for SimRequest {
    /// Method, path, origin, header names and body length: a Monnet create
    /// body carries card data and headers carry signatures and credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("SimRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("origin", &self.origin)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl SimRequest {
    /// A request with no headers and an empty body.
    pub fn new(
        method: impl Into<String>,
        path: impl Into<String>,
        origin: impl Into<String>,
    ) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            origin: origin.into(),
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `Content-Type` is `application/json` (parameters such as
    /// `charset` allowed, case ignored): what both gateways' clients send,
    /// and what a web page cannot send cross-origin without the browser
    /// asking first.
    pub fn has_json_body(&self) -> bool {
        self.header("Content-Type").is_some_and(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
    }

    /// The path without the query.
    pub fn path_only(&self) -> &str {
        self.path.split(['?', '#']).next().unwrap_or("")
    }

    /// `host:port` of the origin.
    pub fn authority(&self) -> &str {
        let rest = self
            .origin
            .split_once("://")
            .map_or(self.origin.as_str(), |(_, r)| r);
        rest.trim_end_matches('/')
    }
}

/// A response of the simulator: the core's own [`RawResponse`], so what the
/// simulator answers is exactly what the SDK parses.
pub type SimResponse = RawResponse;

/// Constructors and readers the simulator adds to [`RawResponse`]. Bring the
/// trait into scope to write `SimResponse::json(200, &value)`.
pub trait SimResponseExt: Sized {
    /// A JSON response.
    fn json(status: u16, value: &impl Serialize) -> Self;
    /// A response with a content type and body.
    fn with_type(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self;
    /// The body as JSON (`Null` when it is not JSON).
    fn json_body(&self) -> serde_json::Value;
}

impl SimResponseExt for RawResponse {
    fn json(status: u16, value: &impl Serialize) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Self::with_type(status, "application/json", body)
    }

    fn with_type(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        RawResponse::new(status, body).with_header("Content-Type", content_type)
    }

    fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What the handler decided. The runner (loopback server or in-process
/// transport) carries it out.
#[derive(Debug)]
pub enum Outcome {
    /// Answer now.
    Reply(SimResponse),
    /// Answer, but only after `delay` (the slow-answer trigger). The request
    /// was acted on already. In-process this is a timeout error at once.
    Slow {
        /// How long to wait.
        delay: Duration,
        /// What to answer after waiting.
        response: SimResponse,
    },
    /// Close the connection without answering (the dropped-connection
    /// trigger). The request was acted on already.
    Drop,
    /// A control call that delivers a callback or notification: deliver it
    /// with retries, then answer [`Simulator::finish_delivery`](super::Simulator::finish_delivery).
    Deliver(DeliveryJob),
    /// A hosted-page or dashboard action that delivers a callback or
    /// notification: deliver it as for [`Outcome::Deliver`] (and record it
    /// with [`Simulator::finish_delivery`](super::Simulator::finish_delivery)),
    /// then answer `reply` (a `303` redirect).
    DeliverThen {
        /// What to deliver.
        job: DeliveryJob,
        /// What to answer once delivered.
        reply: SimResponse,
    },
}

impl Outcome {
    /// The response, for outcomes that have one right now.
    pub fn reply(&self) -> Option<&SimResponse> {
        match self {
            Outcome::Reply(r) => Some(r),
            _ => None,
        }
    }
}
