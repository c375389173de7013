//! Integration tests of pasarela-core's public API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod confirm;
mod outcomes;
mod redaction;
#[path = "../support/samples.rs"]
#[allow(dead_code)]
mod samples;
mod send_spawn;
mod signing;
mod structure;
