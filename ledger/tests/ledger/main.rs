//! Integration tests of pasarela-ledger: the store suite on both
//! databases, the flows against the simulator, what is never stored,
//! PostgreSQL over TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod flows;
mod store;
mod support;
mod tls;
