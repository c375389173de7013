//! # pasarela-conformance
//!
//! Test machinery for pasarela, not published:
//!
//! - [`simulator`]: an offline stand-in for the SmilePayz and Monnet
//!   gateways, run in-process (as a transport) or as a loopback HTTP
//!   server. It verifies what the gateways verify, keeps order state,
//!   answers status queries from it, delivers signed callbacks with retries,
//!   and answers bad cases on documented magic inputs (see
//!   [`simulator::TRIGGER_TABLE`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod merchant;
pub mod samples;
pub mod simulator;
pub mod transport_suite;
