//! What the loopback server's clients may take: connection slots (a cap in
//! all and a lower one per client address, so that one address cannot take
//! every slot) and memory for bodies (request and answer bodies held at
//! once, all connections together).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::config::ServerLimits;

/// Connection slots: `max_connections` in all, `connections_per_address`
/// from one client address.
pub(crate) struct Slots {
    all: Arc<Semaphore>,
    by_address: Mutex<HashMap<IpAddr, usize>>,
    max: usize,
    per_address: usize,
}

/// A connection's slot, given back when dropped.
pub(crate) struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    pub(crate) fn new(limits: &ServerLimits) -> Arc<Self> {
        let max = limits.max_connections.max(1);
        Arc::new(Self {
            all: Arc::new(Semaphore::new(max)),
            by_address: Mutex::new(HashMap::new()),
            max,
            per_address: limits.connections_per_address(),
        })
    }

    /// A slot for a connection from `ip`, or why there is none (one line).
    pub(crate) fn take(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, String> {
        let ip = ip.to_canonical();
        let mut by_address = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mine = by_address.entry(ip).or_insert(0);
        if *mine >= self.per_address {
            return Err(format!(
                "too many connections from {ip}: the simulator serves at most {} at once from \
                 one client address ({} in all)",
                self.per_address, self.max
            ));
        }
        let Ok(permit) = self.all.clone().try_acquire_owned() else {
            return Err(format!(
                "too many connections: the simulator serves at most {} at once",
                self.max
            ));
        };
        *mine += 1;
        Ok(Slot {
            slots: self.clone(),
            ip,
            _permit: permit,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut by_address = self
            .slots
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = by_address.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                by_address.remove(&self.ip);
            }
        }
    }
}

/// Memory for bodies, in KiB, shared by all connections.
pub(crate) struct Budget {
    kib: Arc<Semaphore>,
    total: u32,
}

impl Budget {
    pub(crate) fn new(bytes: usize) -> Self {
        let total = u32::try_from(bytes / 1024).unwrap_or(u32::MAX).max(1);
        Self {
            kib: Arc::new(Semaphore::new(total as usize)),
            total,
        }
    }

    /// Memory for `bytes`, waiting at most `wait` for it to be free; `None`
    /// when it is not (the caller answers `503`).
    pub(crate) async fn reserve(
        &self,
        bytes: usize,
        wait: Duration,
    ) -> Option<OwnedSemaphorePermit> {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.total);
        tokio::time::timeout(wait, self.kib.clone().acquire_many_owned(kib))
            .await
            .ok()?
            .ok()
    }
}

/// An answer body that holds its share of the [`Budget`] until hyper has
/// written it (or dropped the connection).
pub(crate) struct Held {
    body: Full<Bytes>,
    _reserved: Option<OwnedSemaphorePermit>,
}

impl Held {
    pub(crate) fn new(body: Bytes, reserved: Option<OwnedSemaphorePermit>) -> Self {
        Self {
            body: Full::new(body),
            _reserved: reserved,
        }
    }
}

impl Body for Held {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_cannot_take_every_slot() {
        let limits = ServerLimits::default()
            .with_max_connections(4)
            .with_max_connections_per_address(2);
        let slots = Slots::new(&limits);
        let (a, b, c): (IpAddr, IpAddr, IpAddr) = (
            "127.0.0.1".parse().unwrap(),
            "127.0.0.2".parse().unwrap(),
            "::ffff:127.0.0.1".parse().unwrap(),
        );
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        let refused = slots.take(c).err().unwrap();
        assert!(
            refused.contains("from 127.0.0.1") && refused.contains("at most 2"),
            "{refused}"
        );
        let _b1 = slots.take(b).unwrap();
        let _b2 = slots.take(b).unwrap();
        let full = slots.take("127.0.0.3".parse().unwrap()).err().unwrap();
        assert!(full.contains("at most 4 at once"), "{full}");
        drop(first);
        assert!(slots.take(a).is_ok());
        assert_eq!(ServerLimits::default().connections_per_address(), 256);
        assert_eq!(
            ServerLimits::default()
                .with_max_connections(3)
                .connections_per_address(),
            1
        );
        assert_eq!(
            ServerLimits::default()
                .with_max_connections(3)
                .with_max_connections_per_address(10)
                .connections_per_address(),
            3
        );
    }
}
