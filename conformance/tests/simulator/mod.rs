//! End-to-end tests of the gateway simulator: every accept and reject rule,
//! callbacks with retries, triggers, the control API, both ways to run it.

mod browser;
mod callbacks;
mod capture;
mod client_shapes;
mod differential;
mod in_process;
mod independence;
mod independent_client;
mod monnet;
mod notifications;
mod observability;
mod pages;
mod raw;
mod robustness;
mod safety;
mod server;
mod smilepayz;
mod support;
mod triggers;
