//! Looks made ready by webhook events, kept in memory for the
//! confirmation that follows them in the same second.
//!
//! An event that makes its payment due leases it to this instance and
//! takes a status call of its merchant's rate, in the event's own write
//! ([`Reserved`]). The first confirmation of that payment in that second
//! takes the reservation here and asks at once, with no write before the
//! call. A reservation is used once; one of an earlier second is dropped
//! (its rate slot is spent, so a later confirmation takes a slot of its
//! own second and the per-second rate holds). Nothing here outlives the
//! process, and nothing needs to: losing a reservation costs one unused
//! rate slot, and the payment's lease runs out for a sweeper as before.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::payment::Gateway;
use crate::store::ops::{Reserved, Stored};

/// Reservations kept at most: events a second whose confirmations do not
/// follow (queued for a sweeper instead) must not grow the map.
const KEPT: usize = 4096;

/// The reservations of one second, by payment.
#[derive(Default)]
pub(crate) struct Reservations {
    current: Mutex<Current>,
}

#[derive(Default)]
struct Current {
    second: i64,
    looks: HashMap<(Gateway, String), Stored>,
}

impl Current {
    /// Moves on to `second`, dropping the reservations of earlier ones.
    fn at(&mut self, second: i64) {
        if second > self.second {
            self.second = second;
            self.looks.clear();
        }
    }
}

impl Reservations {
    /// Keeps `reserved` for the confirmation of its payment.
    pub(crate) fn keep(&self, reserved: Reserved) {
        let mut current = self.lock();
        current.at(reserved.second);
        if reserved.second == current.second && current.looks.len() < KEPT {
            let payment = &reserved.stored.payment;
            let key = (payment.gateway, payment.order.clone());
            current.looks.insert(key, reserved.stored);
        }
    }

    /// Takes the reservation of a payment, when one was kept for `second`.
    pub(crate) fn take(&self, gateway: Gateway, order: &str, second: i64) -> Option<Stored> {
        let mut current = self.lock();
        current.at(second);
        if second != current.second {
            return None;
        }
        current.looks.remove(&(gateway, order.to_owned()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::machine::Policy;
    use crate::payment::NewPayment;
    use time::macros::datetime;

    fn reserved(order: &str, second: i64) -> Reserved {
        let at = time::OffsetDateTime::from_unix_timestamp(second).unwrap();
        let new = NewPayment::new(
            Gateway::Smilepayz,
            order,
            "M1",
            pasarela_core::Money::pen(100),
            at,
        );
        Reserved {
            stored: Stored {
                payment: crate::payment::Payment::intent(&new, at, &Policy::default()),
                lease: None,
            },
            second,
        }
    }

    #[test]
    fn a_reservation_is_taken_once_and_only_in_its_second() {
        let kept = Reservations::default();
        let second = datetime!(2026-12-07 02:00 UTC).unix_timestamp();
        kept.keep(reserved("A", second));
        kept.keep(reserved("B", second));
        assert!(kept.take(Gateway::Monnet, "A", second).is_none());
        assert_eq!(
            kept.take(Gateway::Smilepayz, "A", second)
                .unwrap()
                .payment
                .order,
            "A"
        );
        assert!(kept.take(Gateway::Smilepayz, "A", second).is_none(), "used");
        // The next second: B's slot is spent, and so is its reservation.
        assert!(kept.take(Gateway::Smilepayz, "B", second + 1).is_none());
        // A late reservation of an earlier second is not kept.
        kept.keep(reserved("C", second));
        assert!(kept.take(Gateway::Smilepayz, "C", second).is_none());
        assert!(kept.take(Gateway::Smilepayz, "C", second + 1).is_none());
    }

    #[test]
    fn reservations_nobody_takes_stay_bounded() {
        let kept = Reservations::default();
        for i in 0..KEPT + 10 {
            kept.keep(reserved(&format!("O{i}"), 7));
        }
        assert_eq!(kept.lock().looks.len(), KEPT);
        kept.keep(reserved("next", 8));
        assert_eq!(kept.lock().looks.len(), 1);
    }
}
