//! The conformance crate's one integration test binary: end-to-end tests of
//! the simulator (and, next to them, the fixture replay). Loopback only;
//! every server a test starts is on a port it picked and is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod simulator;
