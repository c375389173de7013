//! Integration tests of pasarela-core's public API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod confirm;
// Needs both observability features (CI runs the workspace with --all-features).
#[cfg(all(feature = "tracing", feature = "metrics"))]
mod observability;
mod outcomes;
mod redaction;
mod retries;
// The samples live in pasarela-simulator (published, for users' tests too);
// included by path: a dev-dependency on the simulator would be a second core.
#[path = "../../../conformance/simulator/src/samples.rs"]
#[allow(dead_code)]
mod samples;
mod send_spawn;
mod signing;
mod structure;
mod support;
