//! # pasarela-conformance
//!
//! Test machinery for pasarela, not published: the fixture replay of the
//! gateways' documented examples and the transport behaviour suite. The
//! offline gateway simulator itself is the published crate
//! `pasarela-simulator` (`conformance/simulator/`), which also holds the
//! sample requests and the std-only merchant endpoint (so that the
//! installable CLI can use them); they are re-exported here under their
//! old paths.
//!
//! - [`samples`]: the sample requests every test and benchmark shares;
//! - [`merchant`]: a std-only merchant callback server (the webhook example);
//! - [`transport_suite`]: one behaviour suite run against every transport.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use pasarela_simulator::{merchant, samples};
pub mod transport_suite;
