//! Integration tests of pasarela-core's public API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod confirm;
mod outcomes;
mod redaction;
// The samples live in pasarela-simulator (published, for users' tests too);
// included by path: a dev-dependency on the simulator would be a second core.
#[path = "../../../conformance/simulator/src/samples.rs"]
#[allow(dead_code)]
mod samples;
mod send_spawn;
mod signing;
