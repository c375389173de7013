//! The cap on requests in flight.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A cap on requests in flight, shared by a transport and its clones.
///
/// Runtime-agnostic (tokio's semaphore needs no tokio runtime): async
/// transports wait with [`acquire`](Self::acquire) inside their overall
/// timeout; blocking ones with [`acquire_blocking`](Self::acquire_blocking).
/// Fair: waiters get slots in arrival order.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit(Option<Arc<Semaphore>>);

/// A slot, given back when dropped.
#[derive(Debug)]
pub struct Permit(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl ConcurrencyLimit {
    /// At most `max` requests at once; 0 means no cap.
    pub fn new(max: usize) -> Self {
        Self((max > 0).then(|| Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS)))))
    }

    /// Free slots now (`None`: no cap).
    pub fn available(&self) -> Option<usize> {
        self.0.as_ref().map(|s| s.available_permits())
    }

    /// Waits for a slot.
    pub async fn acquire(&self) -> Permit {
        match &self.0 {
            // The semaphore is never closed, so acquiring cannot fail.
            Some(s) => Permit(s.clone().acquire_owned().await.ok()),
            None => Permit(None),
        }
    }

    /// Blocks the thread until a slot is free or `wait` has passed
    /// (`None`: timed out, nothing was sent).
    pub fn acquire_blocking(&self, wait: Duration) -> Option<Permit> {
        let Some(s) = &self.0 else {
            return Some(Permit(None));
        };
        if let Ok(p) = s.clone().try_acquire_owned() {
            return Some(Permit(Some(p)));
        }
        let deadline = Instant::now() + wait;
        let mut acquire = pin!(s.clone().acquire_owned());
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(p) = acquire.as_mut().poll(&mut cx) {
                return Some(Permit(p.ok()));
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            std::thread::park_timeout(deadline - now);
        }
    }
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread, parking between
/// polls. For blocking adapters and tests; not an executor for I/O that
/// needs a runtime's reactor.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_waiters_get_a_slot_when_one_is_freed_or_time_out() {
        let limit = ConcurrencyLimit::new(1);
        let held = limit.acquire_blocking(Duration::ZERO).unwrap();
        assert_eq!(limit.available(), Some(0));
        let start = Instant::now();
        assert!(limit.acquire_blocking(Duration::from_millis(50)).is_none());
        assert!(start.elapsed() >= Duration::from_millis(50));
        let other = limit.clone();
        let waiter = std::thread::spawn(move || {
            other
                .acquire_blocking(Duration::from_secs(5))
                .map(|_| ())
                .is_some()
        });
        std::thread::sleep(Duration::from_millis(30));
        drop(held);
        assert!(waiter.join().unwrap());
        assert_eq!(limit.available(), Some(1));
    }

    #[test]
    fn async_acquire_and_no_cap() {
        let limit = ConcurrencyLimit::new(2);
        let a = block_on(limit.acquire());
        let b = block_on(limit.acquire());
        assert_eq!(limit.available(), Some(0));
        drop((a, b));
        assert_eq!(limit.available(), Some(2));
        let none = ConcurrencyLimit::new(0);
        assert_eq!(none.available(), None);
        let _p = block_on(none.acquire());
        assert!(none.acquire_blocking(Duration::ZERO).is_some());
    }
}
