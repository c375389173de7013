//! A bounded pool of database connections, shared by the stores: idle
//! connections are reused, new ones opened while fewer than the bound are
//! out, and a caller past the bound waits for one to come back.
//!
//! A connection is lent as a [`Taken`]: given back healthy, it is kept;
//! dropped without being given back (its job panicked: an application's
//! own closure in `Store::transact` or `Store::read`), it is closed and its
//! place freed, so panics never use the pool up.

use std::ops::{Deref, DerefMut};
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
    ) -> Result<Taken<'_, C>, StoreError> {
        let mut state = self.lock();
        let conn = loop {
            if let Some(conn) = state.idle.pop() {
                break conn;
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                break open().inspect_err(|_| self.closed())?;
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        };
        Ok(Taken {
            pool: self,
            conn: Some(conn),
        })
    }

    /// One connection fewer is open: a waiting caller may open another.
    fn closed(&self) {
        let mut state = self.lock();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.returned.notify_one();
    }

    /// Keeps `conn` for the next caller.
    fn keep(&self, conn: C) {
        self.lock().idle.push(conn);
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

/// A connection lent by a [`Pool`]: give it back with
/// [`Taken::give_back`]; dropped otherwise (a panic), it is closed and its
/// place in the pool freed.
pub(crate) struct Taken<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C> Taken<'_, C> {
    /// Gives the connection back: kept for the next caller when `healthy`,
    /// else closed (a new one is opened when needed).
    pub(crate) fn give_back(mut self, healthy: bool) {
        if let Some(conn) = self.conn.take() {
            if healthy {
                self.pool.keep(conn);
            } else {
                drop(conn);
                self.pool.closed();
            }
        }
    }
}

impl<C> Deref for Taken<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        // Present until given back, which consumes the `Taken`.
        match &self.conn {
            Some(conn) => conn,
            None => unreachable!("a Taken holds its connection until given back"),
        }
    }
}

impl<C> DerefMut for Taken<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("a Taken holds its connection until given back"),
        }
    }
}

impl<C> Drop for Taken<'_, C> {
    /// Not given back: its job panicked, maybe inside a transaction. The
    /// connection is closed, never reused; its place is freed.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn);
            self.pool.closed();
        }
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
        assert_eq!(*a, 0, "the idle one first");
        let b = pool.take(|| Ok(1)).unwrap();
        assert_eq!((*b, pool.open()), (1, 2), "a new one under the bound");
        // Past the bound: waits until one comes back. (A minute is only a
        // guard against a hang.)
        let (answer, answered) = mpsc::channel();
        let waiting = pool.clone();
        std::thread::spawn(move || {
            let got = waiting.take(|| Ok(99)).map(|conn| {
                let n = *conn;
                conn.give_back(true);
                n
            });
            let _ = answer.send(got);
        });
        a.give_back(true);
        let c = answered
            .recv_timeout(Duration::from_secs(60))
            .expect("the waiting caller got the connection given back")
            .unwrap();
        assert_eq!((c, pool.open()), (0, 2));
        // An unhealthy one is closed; a failed open does not count; the
        // next caller opens a new one.
        b.give_back(false);
        assert_eq!(pool.open(), 1);
        let c = pool.take(|| Ok(5)).unwrap();
        assert_eq!(*c, 0, "the idle one first");
        assert!(pool.take(|| Err(StoreError::data("refused"))).is_err());
        assert_eq!(pool.open(), 1);
        let d = pool.take(|| Ok(7)).unwrap();
        assert_eq!((*d, pool.open()), (7, 2));
        c.give_back(true);
        d.give_back(true);
        assert_eq!(pool.idle(), 2);
    }

    #[test]
    fn a_connection_whose_job_panicked_is_closed_and_its_place_freed() {
        let pool = Pool::new(1, 0u32);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _taken = pool.take(|| Ok(1)).unwrap();
            panic!("an application's closure panicked");
        }));
        assert!(panicked.is_err());
        assert_eq!(
            (pool.open(), pool.idle()),
            (0, 0),
            "closed, never kept for reuse"
        );
        // The place is free: a new connection, without waiting.
        let next = pool.take(|| Ok(2)).unwrap();
        assert_eq!(*next, 2);
    }

    #[test]
    #[cfg(feature = "postgres")]
    fn draining_takes_the_idle_ones() {
        let mut pool = Pool::new(4, "first");
        pool.take(|| Ok("second")).unwrap().give_back(true);
        assert_eq!(pool.drain_idle().len(), 1);
        assert_eq!(pool.open(), 0);
    }
}
