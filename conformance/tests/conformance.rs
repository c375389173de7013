//! The one integration test binary of `pasarela-conformance`.
//!
//! - `fixtures`: replays every case under `conformance/fixtures/` through the
//!   core and checks each pinned stage byte for byte (see the crate README,
//!   "Fixtures").
//! - `simulator`: end-to-end tests of the gateway simulator, in-process and
//!   on loopback (see the crate README, "The simulator"). Loopback only;
//!   every server a test starts is on a port it picked and is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod fixtures;
mod simulator;
