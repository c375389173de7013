//! Monnet create and status response parsers on arbitrary status and body.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use pasarela_core::RawResponse;
use pasarela_core::monnet::{parse_create_response, parse_status_response};

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    // Favour 200, where the body is read most deeply.
    let status = if status >= 300 && status % 2 == 0 {
        200
    } else {
        status
    };
    let raw = RawResponse::new(status, body.to_vec());
    let _ = format!(
        "{:?}",
        parse_create_response(raw.clone()).map_err(|e| e.to_string())
    );
    let _ = format!(
        "{:?}",
        parse_status_response(raw).map_err(|e| e.to_string())
    );
});
