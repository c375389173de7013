//! # pasarela-conformance
//!
//! Test machinery for pasarela, not published: the fixture replay of the
//! gateways' documented examples, shared sample requests, a std-only
//! merchant webhook server, and the transport behaviour suite. The offline
//! gateway simulator itself is the published crate `pasarela-simulator`
//! (`conformance/simulator/`).
//!
//! - [`samples`]: the sample requests every test and benchmark shares;
//! - [`merchant`]: a std-only merchant callback server (the webhook example);
//! - [`transport_suite`]: one behaviour suite run against every transport.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod merchant;
// One copy of the samples, kept with core's tests (no dev-dependency cycle).
#[path = "../../core/tests/support/samples.rs"]
pub mod samples;
pub mod transport_suite;
