//! The simulator's clock: the core's [`Clock`] trait (the system clock by
//! default), and a manual clock that tests set and advance (for the
//! ±5 minute timestamp window and expiries). The same [`ManualClock`] can
//! drive the SDK's clients and the simulator.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

pub use pasarela_core::client::{Clock, SystemClock};

/// A clock that only moves when told to. Clones share the same time.
///
/// ```
/// use pasarela_simulator::{Clock, ManualClock};
/// use time::macros::datetime;
///
/// let clock = ManualClock::new(datetime!(2020-12-17 15:55:00 UTC));
/// clock.advance(time::Duration::minutes(6));
/// assert_eq!(clock.now(), datetime!(2020-12-17 16:01:00 UTC));
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Sets the time.
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves the time by `by` (negative goes back).
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.checked_add(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}
