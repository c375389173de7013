//! The workspace README, compiled and run as doctests by the
//! `pasarela-conformance` crate (see its `src/lib.rs`); not part of
//! pasarela-core's build.

/// The README's examples.
#[doc = include_str!("../../README.md")]
mod readme {}
