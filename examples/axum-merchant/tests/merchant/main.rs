//! Integration tests of the merchant service: end to end in-process; the
//! binary killed at random points (crash); four instances on one
//! PostgreSQL (fleet).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod crash;
mod e2e;
mod fleet;
mod harness;
