//! How long the ledger waits, and for what: the [`Policy`] (when to ask a
//! gateway again, when to give up, how long a lease holds).

use time::Duration;

/// How long the ledger waits, and for what. Every duration is documented
/// with its default.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// After a create answered "open", when the sweeper first asks the
    /// status (a callback usually comes sooner and asks at once). Default
    /// 2 minutes.
    pub first_check_after: Duration,
    /// After an unknown outcome, when the sweeper first reconciles. Default
    /// 10 seconds (Monnet may not list an operation created a moment ago).
    /// "Not found" on that first look is not enough: the payment is asked
    /// about again a backoff later, and only a second "not found" allows a
    /// new create under its order number.
    pub reconcile_after: Duration,
    /// The first wait between status calls that cannot settle a payment
    /// yet; it doubles with every call. Default 30 seconds.
    pub backoff_base: Duration,
    /// The longest wait between two status calls. Default 15 minutes.
    pub backoff_max: Duration,
    /// How long after the gateway's expiry the ledger keeps asking before
    /// it gives up to `needs_attention` (an intent nothing created becomes
    /// `not_paid`). Default 1 hour.
    pub deadline_margin: Duration,
    /// How long a checkout may take to create a payment before the sweeper
    /// treats the create as maybe sent (its process stopped). Longer than
    /// any transport timeout. Default 2 minutes.
    pub create_lease: Duration,
    /// How long one instance holds a payment while it asks the gateway
    /// about it; another instance takes it only after that. Default 1
    /// minute.
    pub check_lease: Duration,
    /// How long an application holds a claimed outcome before it comes
    /// back to be claimed again. Default 5 minutes.
    pub outcome_lease: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            first_check_after: Duration::minutes(2),
            reconcile_after: Duration::seconds(10),
            backoff_base: Duration::seconds(30),
            backoff_max: Duration::minutes(15),
            deadline_margin: Duration::hours(1),
            create_lease: Duration::minutes(2),
            check_lease: Duration::minutes(1),
            outcome_lease: Duration::minutes(5),
        }
    }
}

impl Policy {
    /// The longest any of its durations may be: a year.
    pub const MAX_DURATION: Duration = Duration::days(366);

    /// The policy with every duration between zero and
    /// [`MAX_DURATION`](Self::MAX_DURATION) (what the ledger uses: times
    /// computed from it then never overflow).
    pub fn bounded(mut self) -> Self {
        for d in [
            &mut self.first_check_after,
            &mut self.reconcile_after,
            &mut self.backoff_base,
            &mut self.backoff_max,
            &mut self.deadline_margin,
            &mut self.create_lease,
            &mut self.check_lease,
            &mut self.outcome_lease,
        ] {
            *d = (*d).clamp(Duration::ZERO, Self::MAX_DURATION);
        }
        self
    }

    /// The wait before the next status call after `checks` calls:
    /// `backoff_base · 2^checks`, at most `backoff_max`.
    pub fn backoff(&self, checks: u32) -> Duration {
        let factor = 1i64 << checks.min(20);
        let wait = self
            .backoff_base
            .checked_mul(i32::try_from(factor).unwrap_or(i32::MAX))
            .unwrap_or(self.backoff_max);
        wait.min(self.backoff_max)
    }
}
