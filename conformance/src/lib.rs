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

/// The workspace README's examples (both gateways' guides and the ledger)
/// compile and run as doctests here, so they cannot drift from the API.
/// They live in this unpublished crate because they use the ledger and the
/// simulator, which depend on pasarela-core: as dev-dependencies of the core
/// they would form a cycle `cargo package` cannot order.
///
/// The module's file sits in `core/testdata/` so that the examples' key
/// paths (`../testdata/keys/…`, as a reader of the core would write them)
/// resolve to the core's TEST ONLY keys.
#[cfg(doctest)]
#[path = "../../core/testdata/readme_doctests.rs"]
mod readme_doctests;

pub use pasarela_simulator::{merchant, samples};
pub mod transport_suite;
