//! A bounded pool of database connections, shared by the stores: idle
//! connections are reused, new ones opened while fewer than the bound are
//! out, and a caller past the bound waits for one to come back.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::StoreError;

/// Connections of type `C`, at most `max` open.
pub(crate) struct Pool<C> {
    max: usize,
    state: Mutex<State<C>>,
    returned: Condvar,
}

struct State<C> {
    idle: Vec<C>,
    open: usize,
}

impl<C> Pool<C> {
    /// A pool of at most `max` connections, holding `first` (opened by the
    /// caller, so that a database that cannot be reached fails at once).
    pub(crate) fn new(max: usize, first: C) -> Self {
        Self {
            max: max.max(1),
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
            }),
            returned: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<C>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, or a new one from `open` while the bound allows,
    /// else the next one given back.
    pub(crate) fn take(
        &self,
        open: impl FnOnce() -> Result<C, StoreError>,
    ) -> Result<C, StoreError> {
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return open().inspect_err(|_| self.closed());
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Gives `conn` back: kept for the next caller when `healthy`, else
    /// dropped (a new one is opened when needed).
    pub(crate) fn give_back(&self, conn: C, healthy: bool) {
        if healthy {
            self.lock().idle.push(conn);
            self.returned.notify_one();
        } else {
            drop(conn);
            self.closed();
        }
    }

    /// One connection fewer is open: a waiting caller may open another.
    fn closed(&self) {
        let mut state = self.lock();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.returned.notify_one();
    }

    /// Takes the idle connections out (to close them somewhere else).
    #[cfg(feature = "postgres")]
    pub(crate) fn drain_idle(&mut self) -> Vec<C> {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        state.open = state.open.saturating_sub(state.idle.len());
        std::mem::take(&mut state.idle)
    }

    /// Connections open now, idle ones included.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }

    /// Idle connections now.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.lock().idle.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn connections_are_reused_bounded_and_replaced() {
        let pool = Arc::new(Pool::new(2, 0u32));
        let a = pool.take(|| Ok(1)).unwrap();
        assert_eq!(a, 0, "the idle one first");
        let b = pool.take(|| Ok(1)).unwrap();
        assert_eq!((b, pool.open()), (1, 2), "a new one under the bound");
        // Past the bound: waits until one comes back. (A minute is only a
        // guard against a hang.)
        let (answer, answered) = mpsc::channel();
        let waiting = pool.clone();
        std::thread::spawn(move || {
            let _ = answer.send(waiting.take(|| Ok(99)));
        });
        pool.give_back(a, true);
        let c = answered
            .recv_timeout(Duration::from_secs(60))
            .expect("the waiting caller got the connection given back")
            .unwrap();
        assert_eq!((c, pool.open()), (0, 2));
        // An unhealthy one is dropped; a failed open does not count; the
        // next caller opens a new one.
        pool.give_back(b, false);
        assert_eq!(pool.open(), 1);
        assert!(pool.take(|| Err(StoreError::data("refused"))).is_err());
        assert_eq!(pool.open(), 1);
        let d = pool.take(|| Ok(7)).unwrap();
        assert_eq!((d, pool.open()), (7, 2));
        pool.give_back(c, true);
        pool.give_back(d, true);
        assert_eq!(pool.idle(), 2);
    }

    #[test]
    #[cfg(feature = "postgres")]
    fn draining_takes_the_idle_ones() {
        let mut pool = Pool::new(4, "first");
        let taken = pool.take(|| Ok("second")).unwrap();
        pool.give_back(taken, true);
        assert_eq!(pool.drain_idle().len(), 1);
        assert_eq!(pool.open(), 0);
    }
}
