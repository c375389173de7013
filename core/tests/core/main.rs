//! Integration tests of pasarela-core's public API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod redaction;
mod send_spawn;
