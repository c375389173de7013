//! The one integration test binary of `pasarela-conformance`.
//!
//! - `fixtures`: replays every case under `conformance/fixtures/` through the
//!   core and checks each pinned stage byte for byte (see the crate README,
//!   "Fixtures").

mod fixtures;
