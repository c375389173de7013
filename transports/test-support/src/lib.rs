//! What every pasarela transport is tested with: a loopback server that
//! misbehaves on purpose ([`server`]) and the fault suite run against it
//! ([`faults`]). Not published; the transport crates' integration tests
//! use it, and so can a user's own transport.
//!
//! ```no_run
//! # async fn demo<T>(make: impl Fn(pasarela_transport_kit::TransportConfig) -> T)
//! # where T: pasarela_core::transport::AsyncTransport<Error = pasarela_core::transport::TransportError> + Sync {
//! use pasarela_transport_tests::faults::{self, Stack};
//! let report = faults::run(Stack { keeps_header_order: true }, make).await;
//! report.assert_all_passed();
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod faults;
pub mod server;

/// Serializes a test binary's timeout-bearing tests (the fault and
/// behaviour suites, which wait out timeouts of a few seconds) with its
/// load tests (hundreds of RSA-signed pay-ins), so a load test never starves
/// a timeout case into a false failure on a small CI machine. Hold the
/// guard for the whole test; a test that panicked while holding it does
/// not block the others.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
