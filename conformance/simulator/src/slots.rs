//! What the loopback server's clients may take: connection slots (a cap in
//! all and a lower one per client address, so that one address cannot take
//! every slot) and memory for bodies (request and answer bodies held at
//! once: a cap in all and a share per client address).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

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
        // Checked before any entry is made: a refused address leaves none.
        if by_address.get(&ip).is_some_and(|n| *n >= self.per_address) {
            return Err(format!(
                "too many connections from {ip}: the simulator serves at most {} at once from \
                 one client address ({} in all; raise it with --max-connections-per-address)",
                self.per_address, self.max
            ));
        }
        let Ok(permit) = self.all.clone().try_acquire_owned() else {
            return Err(format!(
                "too many connections: the simulator serves at most {} at once",
                self.max
            ));
        };
        *by_address.entry(ip).or_insert(0) += 1;
        Ok(Slot {
            slots: self.clone(),
            ip,
            _permit: permit,
        })
    }
}

#[cfg(test)]
impl Slots {
    /// Addresses with an entry in the per-address count.
    fn addresses(&self) -> usize {
        self.by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
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

/// Memory for request and answer bodies, in KiB: a total shared by all
/// connections, of which one client address may hold at most its share, so
/// that one address cannot starve the others. Taken as bytes arrive, never
/// waited for: what cannot be had at once is refused (the caller answers
/// `503`).
pub(crate) struct Budget {
    usage: Mutex<Usage>,
    total: u64,
    per_address: u64,
}

/// What is held, in KiB.
#[derive(Default)]
struct Usage {
    all: u64,
    by_address: HashMap<IpAddr, u64>,
}

/// One body's part of the [`Budget`], given back when dropped.
pub(crate) struct Reservation {
    budget: Arc<Budget>,
    ip: IpAddr,
    kib: u64,
}

/// KiB of the largest request body, which an address's share always holds.
const LARGEST_BODY_KIB: u64 = 1024;

impl Budget {
    /// The budget of `limits`: [`ServerLimits::max_buffered_bytes`] in all;
    /// per address the same fraction of it as of the connections (a
    /// quarter by default), at most half and at least one largest body.
    pub(crate) fn new(limits: &ServerLimits) -> Arc<Self> {
        let total = u64::try_from(limits.max_buffered_bytes / 1024)
            .unwrap_or(u64::MAX)
            .max(1);
        let fraction = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let floor = LARGEST_BODY_KIB.min(total);
        let per_address = (total / fraction(limits.max_connections.max(1)))
            .saturating_mul(fraction(limits.connections_per_address()))
            .clamp(floor, (total / 2).max(floor));
        Arc::new(Self {
            usage: Mutex::new(Usage::default()),
            total,
            per_address,
        })
    }

    /// An empty reservation for a body from `ip`.
    pub(crate) fn reservation(self: &Arc<Self>, ip: IpAddr) -> Reservation {
        Reservation {
            budget: self.clone(),
            ip: ip.to_canonical(),
            kib: 0,
        }
    }

    fn usage(&self) -> std::sync::MutexGuard<'_, Usage> {
        self.usage.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Reservation {
    /// Grows the reservation to cover `bytes` in all, or says why it
    /// cannot (one line): the address holds its share, or the budget is
    /// taken. Never waits.
    pub(crate) fn cover(&mut self, bytes: usize) -> Result<(), String> {
        let want = u64::try_from(bytes.div_ceil(1024)).unwrap_or(u64::MAX);
        let Some(more) = want.checked_sub(self.kib).filter(|m| *m > 0) else {
            return Ok(());
        };
        let budget = &self.budget;
        let mut usage = budget.usage();
        let mine = usage.by_address.get(&self.ip).copied().unwrap_or(0);
        if mine.saturating_add(more) > budget.per_address {
            return Err(format!(
                "busy: {} holds its share of the memory for request and answer bodies ({} KiB \
                 of {} KiB, one client address's share); retry once its requests are answered",
                self.ip, budget.per_address, budget.total
            ));
        }
        if usage.all.saturating_add(more) > budget.total {
            return Err(format!(
                "busy: the memory for request and answer bodies ({} KiB, all clients together) \
                 is taken; retry",
                budget.total
            ));
        }
        usage.all += more;
        *usage.by_address.entry(self.ip).or_insert(0) += more;
        self.kib = want;
        Ok(())
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.kib == 0 {
            return;
        }
        let mut usage = self.budget.usage();
        usage.all = usage.all.saturating_sub(self.kib);
        if let Some(mine) = usage.by_address.get_mut(&self.ip) {
            *mine = mine.saturating_sub(self.kib);
            if *mine == 0 {
                usage.by_address.remove(&self.ip);
            }
        }
    }
}

/// An answer body that holds its share of the [`Budget`] until hyper has
/// written it (or dropped the connection).
pub(crate) struct Held {
    body: Full<Bytes>,
    _reserved: Option<Reservation>,
}

impl Held {
    pub(crate) fn new(body: Bytes, reserved: Option<Reservation>) -> Self {
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
    fn one_address_cannot_take_all_the_memory_for_bodies() {
        // 8 MiB in all, 2 MiB (a quarter, as of the connections) per address.
        let budget = Budget::new(&ServerLimits::default().with_max_buffered_bytes(8 << 20));
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        // Nothing is taken for nothing.
        let mut empty = budget.reservation(a);
        empty.cover(0).unwrap();
        assert_eq!(budget.usage().all, 0);
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut r = budget.reservation(a);
            r.cover(512 << 10).unwrap();
            held.push(r);
        }
        let mut more = budget.reservation("::ffff:127.0.0.1".parse().unwrap());
        let why = more.cover(1).unwrap_err();
        assert!(
            why.contains("127.0.0.1 holds its share") && why.contains("2048 KiB"),
            "{why}"
        );
        // A second address is served meanwhile, up to its own share.
        let mut other = budget.reservation(b);
        other.cover(1 << 20).unwrap();
        other.cover(2 << 20).unwrap();
        assert!(other.cover((2 << 20) + 1).is_err());
        // Growing counts only the difference; dropping gives it all back.
        assert_eq!(budget.usage().all, 4096);
        drop(held.pop());
        more.cover(100 << 10).unwrap();
        more.cover(512 << 10).unwrap();
        assert!(more.cover((512 << 10) + 1).is_err());
        drop((held, more, other));
        let usage = budget.usage();
        assert_eq!((usage.all, usage.by_address.len()), (0, 0));
        drop(usage);
        // The whole budget: shares of many addresses add up to it at most.
        let small = Budget::new(&ServerLimits::default().with_max_buffered_bytes(4 << 20));
        let mut taken = Vec::new();
        for last in 1..=4u8 {
            let mut r = small.reservation(IpAddr::from([127, 0, 0, last]));
            if last < 4 {
                r.cover(1 << 20).unwrap();
            } else {
                r.cover((1 << 20) + 1024).unwrap_err();
            }
            taken.push(r);
        }
        taken[3].cover(1 << 20).unwrap();
        let mut fifth = small.reservation(IpAddr::from([127, 0, 0, 5]));
        let why = fifth.cover(1).unwrap_err();
        assert!(why.contains("all clients together"), "{why}");
        // Shares follow the connection caps, within one largest body and half.
        let share = |limits: ServerLimits| Budget::new(&limits).per_address;
        assert_eq!(share(ServerLimits::default()), 16 << 10);
        let all_one = ServerLimits::default()
            .with_max_connections(8)
            .with_max_connections_per_address(8);
        assert_eq!(share(all_one), 32 << 10);
        let tiny = ServerLimits::default().with_max_buffered_bytes(1 << 20);
        assert_eq!(share(tiny), 1024);
    }

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
        // An address refused at the global cap leaves no entry behind.
        for last in 4..=200u8 {
            assert!(slots.take(IpAddr::from([127, 0, 0, last])).is_err());
        }
        assert_eq!(slots.addresses(), 2);
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
