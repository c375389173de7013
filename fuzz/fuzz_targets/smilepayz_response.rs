//! SmilePayz response parsers on arbitrary status and body: the pay-in,
//! inquiry-status and inquiry-balance parsers must return a typed result or
//! a typed error, never panic, and format either without panicking.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use pasarela_core::RawResponse;
use pasarela_core::smilepayz::{
    parse_inquiry_balance_response, parse_inquiry_status_response, parse_pay_in_response,
};

fuzz_target!(|data: &[u8]| {
    // Two bytes of status (mostly 200: that is where the JSON is read), the
    // rest is the body.
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    let status = if status >= 500 && status % 2 == 0 {
        200
    } else {
        status
    };
    let raw = RawResponse::new(status, body.to_vec()).with_header("X-TIMESTAMP", "x");
    let _ = format!(
        "{:?}",
        parse_pay_in_response(raw.clone()).map_err(|e| e.to_string())
    );
    let _ = format!(
        "{:?}",
        parse_inquiry_status_response(raw.clone()).map_err(|e| e.to_string())
    );
    let _ = format!(
        "{:?}",
        parse_inquiry_balance_response(raw).map_err(|e| e.to_string())
    );
});
