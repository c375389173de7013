//! How far a request got, and what that means for a failure.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::Poll;
use std::time::Duration;

use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};

/// The stages of one call, in order. A request in [`Queued`](Self::Queued)
/// or [`Connecting`](Self::Connecting) has not had a byte of its body handed
/// to the connection, so the gateway cannot have acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Waiting for a concurrency slot.
    Queued,
    /// Resolving, connecting, TLS handshake, or waiting for a pooled
    /// connection: nothing of the request written.
    Connecting,
    /// The request is being written (or may have been), or its answer is
    /// awaited: it may have reached the gateway.
    Sending,
    /// The response head arrived; reading the body.
    Receiving,
}

impl Phase {
    fn from_u8(v: u8) -> Phase {
        match v {
            0 => Phase::Queued,
            1 => Phase::Connecting,
            2 => Phase::Sending,
            _ => Phase::Receiving,
        }
    }

    /// What a failure in this phase means for delivery.
    pub fn delivery(self) -> Delivery {
        match self {
            Phase::Queued | Phase::Connecting => Delivery::NotSent,
            Phase::Sending | Phase::Receiving => Delivery::MaybeSent,
        }
    }
}

/// The phase's name in spans and events.
#[cfg(feature = "tracing")]
pub(crate) fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued => "queued",
        Phase::Connecting => "connecting",
        Phase::Sending => "sending",
        Phase::Receiving => "receiving",
    }
}

/// The phase of one call, shared between the transport and whatever part of
/// the HTTP stack observes it (a connector, a request body). It only moves
/// forward: once a request may have been sent, nothing makes it "not sent"
/// again.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU8>);

impl Progress {
    /// A call that has not started ([`Phase::Queued`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves to `phase`, unless the call is already further.
    pub fn set(&self, phase: Phase) {
        let before = self.0.fetch_max(phase as u8, Ordering::SeqCst);
        #[cfg(feature = "tracing")]
        if before < phase as u8 {
            tracing::trace!(
                target: "pasarela_transport_kit::phase",
                phase = phase_name(phase),
                "exchange phase"
            );
        }
        #[cfg(not(feature = "tracing"))]
        let _ = before;
    }

    /// The phase reached.
    pub fn get(&self) -> Phase {
        Phase::from_u8(self.0.load(Ordering::SeqCst))
    }

    /// The error for an overall timeout of `after` that fired now.
    pub fn timed_out(&self, after: Duration) -> TransportError {
        match self.get() {
            Phase::Queued => TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::NotSent,
                format!("no connection slot free within the timeout of {after:?}"),
            ),
            Phase::Connecting => TransportError::new(
                TransportErrorKind::Connect,
                Delivery::NotSent,
                format!("not connected within the overall timeout of {after:?}"),
            ),
            Phase::Sending => TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::MaybeSent,
                format!("no response within {after:?}"),
            ),
            Phase::Receiving => TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::MaybeSent,
                format!("response body not complete within {after:?}"),
            ),
        }
    }

    /// An error of `kind` in the current phase: `NotSent` before the
    /// request was handed to the connection, `MaybeSent` after.
    pub fn failed(&self, kind: TransportErrorKind, message: impl Into<String>) -> TransportError {
        TransportError::new(kind, self.get().delivery(), message)
    }
}

/// Runs `exchange` with the overall timeout: if `timer` (a sleep of
/// `timeout` from your runtime) completes first, the exchange is dropped and
/// the error is classified by how far `progress` got.
pub async fn with_deadline<T, F>(
    timer: impl Future<Output = ()>,
    timeout: Duration,
    progress: &Progress,
    exchange: F,
) -> Result<T, TransportError>
where
    F: Future<Output = Result<T, TransportError>>,
{
    let mut timer = pin!(timer);
    let mut exchange = pin!(exchange);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = exchange.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(progress.timed_out(timeout))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use pasarela_core::transport::TransportFailure;

    #[test]
    fn phase_only_moves_forward() {
        let p = Progress::new();
        assert_eq!(p.get(), Phase::Queued);
        p.set(Phase::Sending);
        p.set(Phase::Connecting);
        assert_eq!(p.get(), Phase::Sending);
        let clone = p.clone();
        clone.set(Phase::Receiving);
        assert_eq!(p.get(), Phase::Receiving);
    }

    #[test]
    fn timeouts_are_classified_by_phase() {
        let t = Duration::from_secs(1);
        let p = Progress::new();
        let e = p.timed_out(t);
        assert_eq!(
            (e.kind(), e.delivery()),
            (TransportErrorKind::Timeout, Delivery::NotSent)
        );
        p.set(Phase::Connecting);
        let e = p.timed_out(t);
        assert_eq!(
            (e.kind(), e.delivery()),
            (TransportErrorKind::Connect, Delivery::NotSent)
        );
        p.set(Phase::Sending);
        let e = p.timed_out(t);
        assert_eq!(
            (e.kind(), e.delivery()),
            (TransportErrorKind::Timeout, Delivery::MaybeSent)
        );
        p.set(Phase::Receiving);
        assert_eq!(p.timed_out(t).delivery(), Delivery::MaybeSent);
        assert_eq!(
            p.failed(TransportErrorKind::Other, "x").delivery(),
            Delivery::MaybeSent
        );
    }

    #[test]
    fn deadline_fires_only_if_the_exchange_is_pending() {
        let p = Progress::new();
        let ok = crate::block_on(with_deadline(
            std::future::ready(()),
            Duration::from_secs(1),
            &p,
            async { Ok::<_, TransportError>(7) },
        ));
        assert_eq!(ok.ok(), Some(7));
        p.set(Phase::Connecting);
        let err = crate::block_on(with_deadline(
            std::future::ready(()),
            Duration::from_secs(1),
            &p,
            std::future::pending::<Result<(), TransportError>>(),
        ));
        let err = err.err().map(|e| (e.kind(), e.delivery()));
        assert_eq!(err, Some((TransportErrorKind::Connect, Delivery::NotSent)));
    }
}
