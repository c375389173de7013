//! The pages behind the URLs the simulator hands out (SmilePayz
//! `paymentUrl`, Monnet `url`): placeholders, so a browser or a redirect
//! check lands somewhere.

use super::wire::{SimRequest, SimResponse, SimResponseExt};

/// Where the Monnet payment page of an operation lives: `{MONNET_PAGE}{payinID}`.
pub(crate) const MONNET_PAGE: &str = "/monnet/pay/";

/// The page for a `GET` of a payment URL, if the request is one.
pub(crate) fn page(req: &SimRequest) -> Option<SimResponse> {
    if !req.method.eq_ignore_ascii_case("GET") {
        return None;
    }
    let path = req.path_only();
    let what = if path.starts_with("/cashier") {
        "SmilePayz cashier"
    } else if path.starts_with(MONNET_PAGE) {
        "Monnet payment page"
    } else {
        return None;
    };
    Some(SimResponse::with_type(
        200,
        "text/html; charset=utf-8",
        format!(
            "<!doctype html><html><head><title>pasarela simulator: {what}</title></head>\
             <body><h1>{what} (simulated)</h1><p>Settle this payment with the \
             simulator's control API under /_simulator/.</p></body></html>"
        ),
    ))
}
