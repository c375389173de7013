//! The one driver: convenience clients over any transport.
//!
//! Every call is a [`Call`]: a [`PreparedRequest`] from a `prepare_*`
//! function, the `parse_*` function for its answer, and whether the call can
//! create a payment. [`finish`] turns the transport's result into the
//! caller's result, and it is the only place errors are classified. The
//! blocking and async clients are generated from one method list by
//! `client_methods!`; the only code that differs between them is the one
//! line that calls `send` (with or without `.await`).
//!
//! Errors say what to do ([`ClientError`]):
//!
//! | variant | was anything sent? | what to do |
//! |---|---|---|
//! | `Invalid`, `Sign` | no | fix the input / the signer |
//! | `Rejected` | yes, refused | nothing was created; read the code |
//! | `NotSent` | no | safe to retry |
//! | `OutcomeUnknown` | maybe | **reconcile** (status call) before retrying a payment |
//! | `InvalidResponse` | yes | a query's answer was not the protocol; retrying is safe |

use std::fmt;

use time::OffsetDateTime;

use crate::error::{
    GatewayRejection, ParseError, PrepareError, ResponseError, SignError, ValidationError,
};
use crate::http::{PreparedRequest, RawResponse};
use crate::transport::{Delivery, TransportFailure};

mod smilepayz;

pub use smilepayz::{
    AsyncSmilepayzClient, DEFAULT_NOT_FOUND_CODES, PayInReconciliation, SmilepayzClient,
    SmilepayzSettings,
};

/// Where the clients read the time (for signatures, timestamps and "today").
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock: the only place pasarela reads the time by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

impl<F: Fn() -> OffsetDateTime + Send + Sync> Clock for F {
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// A client call failed. `E` is the transport's error type.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError<E> {
    /// The input broke a protocol rule; nothing was sent.
    Invalid(ValidationError),
    /// The signer failed; nothing was sent.
    Sign(SignError),
    /// The gateway refused the request (nothing was created).
    Rejected(GatewayRejection),
    /// The request certainly never left: safe to retry.
    NotSent(E),
    /// The request may have reached the gateway and the payment may exist.
    /// Query its status (the clients' `reconcile_*` helpers) before retrying.
    OutcomeUnknown(Unknown<E>),
    /// A query's answer was not the protocol (nothing can have been created
    /// by a query, so a retry is safe).
    InvalidResponse(ParseError),
}

/// Why the outcome of a call is unknown.
#[derive(Debug)]
#[non_exhaustive]
pub enum Unknown<E> {
    /// The transport failed after the request may have been written
    /// (timeout, connection broken).
    Transport(E),
    /// An answer came, but not one the protocol describes (an HTTP 500, an
    /// HTML error page, a truncated body).
    Response(ParseError),
}

impl<E> ClientError<E> {
    /// Whether the same call can be repeated without risking a duplicate
    /// payment.
    pub fn is_retry_safe(&self) -> bool {
        matches!(
            self,
            ClientError::NotSent(_) | ClientError::InvalidResponse(_)
        )
    }

    /// Whether the payment may exist at the gateway despite this error.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, ClientError::OutcomeUnknown(_))
    }
}

impl<E: fmt::Display> fmt::Display for ClientError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Invalid(e) => write!(f, "not sent: {e}"),
            ClientError::Sign(e) => write!(f, "not sent: {e}"),
            ClientError::Rejected(e) => e.fmt(f),
            ClientError::NotSent(e) => write!(f, "not sent (safe to retry): {e}"),
            ClientError::OutcomeUnknown(Unknown::Transport(e)) => write!(
                f,
                "outcome unknown, reconcile with a status query before retrying: {e}"
            ),
            ClientError::OutcomeUnknown(Unknown::Response(e)) => write!(
                f,
                "outcome unknown, reconcile with a status query before retrying: {e}"
            ),
            ClientError::InvalidResponse(e) => write!(f, "invalid response: {e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ClientError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Invalid(e) => Some(e),
            ClientError::Sign(e) => Some(e),
            ClientError::Rejected(e) => Some(e),
            ClientError::NotSent(e) | ClientError::OutcomeUnknown(Unknown::Transport(e)) => Some(e),
            ClientError::OutcomeUnknown(Unknown::Response(e)) | ClientError::InvalidResponse(e) => {
                Some(e)
            }
        }
    }
}

impl<E> From<PrepareError> for ClientError<E> {
    fn from(e: PrepareError) -> Self {
        match e {
            PrepareError::Invalid(v) => ClientError::Invalid(v),
            PrepareError::Sign(s) => ClientError::Sign(s),
        }
    }
}

impl<E> From<ValidationError> for ClientError<E> {
    fn from(e: ValidationError) -> Self {
        ClientError::Invalid(e)
    }
}

/// Whether a call can create a payment; decides what an unreadable answer
/// means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Creates a payment: an unreadable answer leaves the outcome unknown.
    Creates,
    /// Only reads: an unreadable answer is just an invalid response.
    Reads,
}

/// One gateway call, ready for any transport.
pub(crate) struct Call<T> {
    pub(crate) request: PreparedRequest,
    pub(crate) parse: fn(RawResponse) -> Result<T, ResponseError>,
    pub(crate) effect: Effect,
}

/// Classifies the transport's result of a call. The single place where
/// transport failures, rejections and unreadable answers become
/// [`ClientError`]s, for blocking and async clients alike.
pub(crate) fn finish<T, E: TransportFailure>(
    parse: fn(RawResponse) -> Result<T, ResponseError>,
    effect: Effect,
    sent: Result<RawResponse, E>,
) -> Result<T, ClientError<E>> {
    let response = match sent {
        Ok(response) => response,
        Err(e) => {
            return Err(match e.delivery() {
                Delivery::NotSent => ClientError::NotSent(e),
                Delivery::MaybeSent => ClientError::OutcomeUnknown(Unknown::Transport(e)),
            });
        }
    };
    match parse(response) {
        Ok(value) => Ok(value),
        Err(ResponseError::Rejected(r)) => Err(ClientError::Rejected(r)),
        Err(ResponseError::Parse(p)) => Err(match effect {
            Effect::Creates => ClientError::OutcomeUnknown(Unknown::Response(p)),
            Effect::Reads => ClientError::InvalidResponse(p),
        }),
    }
}

/// Generates a blocking and an async client struct with the same methods
/// from one definition. Inside method bodies, `run!(self, call)` sends a
/// [`Call`] and classifies its result.
macro_rules! clients {
    (
        $(#[$blocking_meta:meta])* blocking $blocking:ident;
        $(#[$async_meta:meta])* async $async_name:ident;
        shared $shared:ty;
        methods { $($methods:tt)* }
    ) => {
        $(#[$blocking_meta])*
        #[derive(Clone)]
        pub struct $blocking<T> {
            shared: ::std::sync::Arc<$shared>,
            transport: T,
        }

        $(#[$async_meta])*
        #[derive(Clone)]
        pub struct $async_name<T> {
            shared: ::std::sync::Arc<$shared>,
            transport: T,
        }

        impl<T: $crate::transport::BlockingTransport> $blocking<T> {
            /// A client sending through `transport`. Pass the gateway's
            /// `Config` for the defaults (system clock), or settings built
            /// from it.
            pub fn new(settings: impl Into<$shared>, transport: T) -> Self {
                Self { shared: ::std::sync::Arc::new(settings.into()), transport }
            }

            /// The settings.
            pub fn settings(&self) -> &$shared {
                &self.shared
            }

            /// The transport.
            pub fn transport(&self) -> &T {
                &self.transport
            }

            fn execute<R>(
                &self,
                call: $crate::client::Call<R>,
            ) -> Result<R, $crate::client::ClientError<T::Error>> {
                let sent = self.transport.send(call.request);
                $crate::client::finish(call.parse, call.effect, sent)
            }

            $crate::client::client_methods!({} {} $($methods)*);
        }

        impl<T: $crate::transport::AsyncTransport> $async_name<T> {
            /// A client sending through `transport`. Pass the gateway's
            /// `Config` for the defaults (system clock), or settings built
            /// from it.
            pub fn new(settings: impl Into<$shared>, transport: T) -> Self {
                Self { shared: ::std::sync::Arc::new(settings.into()), transport }
            }

            /// The settings.
            pub fn settings(&self) -> &$shared {
                &self.shared
            }

            /// The transport.
            pub fn transport(&self) -> &T {
                &self.transport
            }

            async fn execute<R>(
                &self,
                call: $crate::client::Call<R>,
            ) -> Result<R, $crate::client::ClientError<T::Error>> {
                let sent = self.transport.send(call.request).await;
                $crate::client::finish(call.parse, call.effect, sent)
            }

            $crate::client::client_methods!({async} {.await} $($methods)*);
        }
    };
}

/// Expands a method list for one flavour: `{async}` `{.await}` for the async
/// client, `{}` `{}` for the blocking one. In a body, `call!(expr)` executes
/// a `Call`.
macro_rules! client_methods {
    ($flavor:tt $awaits:tt
        $(
            $(#[$meta:meta])*
            fn $name:ident(&$self:ident $(, $arg:ident : $ty:ty)*) -> $out:ty $body:block
        )*
    ) => {
        $(
            $crate::client::client_methods!(@one $flavor $awaits
                $(#[$meta])* fn $name(&$self $(, $arg: $ty)*) -> $out $body);
        )*
    };
    (@one {$($async:tt)?} {$($await:tt)*}
        $(#[$meta:meta])* fn $name:ident(&$self:ident $(, $arg:ident : $ty:ty)*) -> $out:ty $body:block
    ) => {
        $(#[$meta])*
        pub $($async)? fn $name(&$self $(, $arg: $ty)*) -> Result<$out, $crate::client::ClientError<T::Error>> {
            #[allow(unused_macros)]
            macro_rules! call {
                ($call:expr) => { $self.execute($call) $($await)* };
            }
            $body
        }
    };
}

pub(crate) use {client_methods, clients};
