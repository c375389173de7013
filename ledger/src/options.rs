//! What the ledger can be tuned with: [`Options`].

/// What the ledger can be tuned with, besides its [`Policy`](crate::Policy).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Status calls per second and merchant (the sweepers' and
    /// [`Ledger::confirm`](crate::Ledger::confirm)'s), across every
    /// instance sharing the database. Default 10 (Monnet recommends at most
    /// 10 transactions per second per merchant).
    pub rate_per_second: u32,
    /// Payments one sweep takes at most. Default 100.
    pub sweep_batch: u32,
    /// Store who pays (name, e-mail, phone, identity document, as the
    /// create request names them) with each new payment. Default `false`:
    /// the ledger needs none of it, and keeps none (see
    /// [`payer`](crate::payer)).
    pub keep_payer_data: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rate_per_second: 10,
            sweep_batch: 100,
            keep_payer_data: false,
        }
    }
}
