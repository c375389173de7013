//! Integration tests of the merchant service: end to end in-process.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod e2e;
