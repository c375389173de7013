//! Where pasarela reads the time: the clients (signatures, timestamps,
//! "today") and the webhook verifiers (the timestamp window). Re-exported
//! as [`crate::client::Clock`] and [`crate::client::SystemClock`].

use time::OffsetDateTime;

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
