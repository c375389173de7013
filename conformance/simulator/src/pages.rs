//! The hosted payment pages behind the URLs the simulator hands out, which
//! a shopper's browser (or a browser test) clicks through:
//!
//! - SmilePayz cashier, behind `paymentUrl`
//!   (`{origin}/cashier/#/loading?tradeNo=…`). The fragment never reaches a
//!   server, so `/cashier/` answers a page whose one-line script reads it and
//!   moves to `/cashier/order/{tradeNo}` (without script: a form asking for
//!   the trade number). The order page shows merchant, order number, amount
//!   in soles and expiry, with three buttons: pay, fail, let it expire.
//! - Monnet payment page, behind `url` (`{origin}/monnet/pay/{payinID}`):
//!   amount, currency, the card masked to its last four digits, a
//!   "continue" button to a step standing for the issuer's 3-D Secure
//!   challenge (`/monnet/pay/{payinID}/challenge`), with authorize and deny
//!   buttons (deny with a documented decline reason, 9005 or 9051).
//!
//! Acting (a form `POST`) settles exactly as the control API does (status,
//! signed callback or hashed notification, retries) and then answers `303`
//! to the merchant: SmilePayz `redirectUrl` (or the outcome page when the
//! order has none), Monnet `payinTransactionOKURL` when authorized and
//! `payinTransactionErrorURL` when denied. Only the first action counts: a
//! second click, or a click on an order already settled through the control
//! API, shows the outcome and settles nothing.
//!
//! Every form that acts carries the page's token (`page_token`): an action
//! without it is refused (`403`), so a page on another origin cannot post
//! one. Pages send `Referrer-Policy: same-origin`, so that a browser sends
//! their forms with the simulator's own `Origin` (with `no-referrer` it
//! would send `Origin: null`, which the server refuses).
//!
//! Plain server-rendered HTML, no external assets, every value from a
//! request escaped; nothing of the card beyond its last four digits is kept.

use pasarela_core::smilepayz::{PAY_IN_PATH, TransactionStatus};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::Inner;
use super::input::form_value;
use super::monnet::{self, DECLINE_REASONS, decline_message};
use super::page_paths::{CASHIER, CASHIER_ORDER, MONNET_PAGE};
use super::page_token::{self, hidden_field};
use super::settle::{settle_monnet, settle_smilepayz};
use super::state::{MonnetOperation, PageInfo, SmilePayzOrder};
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};

const CHALLENGE: &str = "/challenge";

/// `text` with `& < > " '` escaped, for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` percent-encoded for a path segment.
pub(crate) fn path_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;\
padding:0 1rem;color:#1b1b1b;background:#fafafa}h1{font-size:1.5rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}\
dd{margin:0}button{font-size:1rem;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0;\
cursor:pointer}button.primary{background:#0b5;color:#fff;border:1px solid #084}\
button.danger{background:#c22;color:#fff;border:1px solid #911}\
.note{color:#555;font-size:.9rem}.status{font-weight:700}\
table{border-collapse:collapse;width:100%;font-size:.85rem;margin-bottom:1.5rem}\
th,td{border:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top}\
td form{display:inline}td button{font-size:.8rem;padding:.15rem .4rem;margin:.1rem}\
.wide{max-width:none}.scroll{overflow-x:auto}.nowrap{white-space:nowrap}small{color:#555}";

/// A whole page: `lang`, charset, title, inline style, no external assets.
pub(crate) fn html_page(status: u16, title: &str, head_extra: &str, body: &str) -> SimResponse {
    let wide = if head_extra.contains("refresh") {
        " class=\"wide\""
    } else {
        ""
    };
    let text = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">{head_extra}\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body{wide}><main>{body}</main>\
         <p class=\"note\">pasarela simulator: a test stand-in, no real payment is made.</p>\
         </body></html>\n",
        title = escape(title),
    );
    SimResponse::with_type(status, "text/html; charset=utf-8", text)
        .with_header("Cache-Control", "no-store")
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("Referrer-Policy", "same-origin")
        .with_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             base-uri 'none'; frame-ancestors 'none'",
        )
}

/// `303 See Other` to `location`.
pub(crate) fn see_other(location: &str) -> SimResponse {
    SimResponse::with_type(
        303,
        "text/plain; charset=utf-8",
        format!("See {location}\n"),
    )
    .with_header("Location", location)
    .with_header("Cache-Control", "no-store")
}

/// `url` when it is an absolute http(s) URL: the only redirects the pages make.
fn http_url(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// An amount in minor units as `S/ 12.34` (soles) or `USD 12.34`.
pub(crate) fn money_text(minor: u64, currency: &str) -> String {
    let units = format!("{}.{:02}", minor / 100, minor % 100);
    if currency.eq_ignore_ascii_case("PEN") {
        format!("S/ {units}")
    } else {
        format!("{} {units}", escape(currency))
    }
}

/// A SmilePayz order's amount as text.
// Borrowed so that it keeps compiling if the currency stops being `Copy`.
#[allow(clippy::needless_borrows_for_generic_args)]
pub(crate) fn smilepayz_amount(order: &SmilePayzOrder) -> String {
    let currency = serde_json::to_value(&order.money.currency)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    money_text(order.money.amount, &currency)
}

fn text_field(body: &Value, name: &str) -> Option<String> {
    match body.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn accepted(outcome: &Outcome, code_field: &str, success: &str) -> bool {
    match outcome {
        Outcome::Drop => true,
        Outcome::Reply(r) | Outcome::Slow { response: r, .. } => {
            r.status == 200
                && r.json_body().get(code_field).and_then(Value::as_str) == Some(success)
        }
        _ => false,
    }
}

/// After a SmilePayz pay-in was handled: when it was accepted, keep what its
/// cashier page needs (the `redirectUrl`).
pub(crate) fn remember_smilepayz(sim: &Inner, req: &SimRequest, outcome: &Outcome) {
    if req.path_only() != PAY_IN_PATH || !accepted(outcome, "code", "00") {
        return;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return;
    };
    let (Some(partner), Some(order_no)) =
        (req.header("X-PARTNER-ID"), text_field(&body, "orderNo"))
    else {
        return;
    };
    let redirect = http_url(text_field(&body, "redirectUrl").as_deref());
    if let Some(kept) = sim.lock().smilepayz_kept_by_order(partner, &order_no)
        && kept.page == PageInfo::default()
    {
        kept.page.redirect_url = redirect;
    }
}

/// After a Monnet create was handled: when it was accepted, keep what its
/// payment page needs (the OK and error URLs, the card's last four digits).
pub(crate) fn remember_monnet(sim: &Inner, req: &SimRequest, outcome: &Outcome) {
    if !req.path_only().starts_with("/v1/push/") || !accepted(outcome, "payinErrorCode", "0000") {
        return;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return;
    };
    let (Some(merchant), Some(operation)) = (
        text_field(&body, "payinMerchantID"),
        text_field(&body, "payinMerchantOperationNumber"),
    ) else {
        return;
    };
    let digits: Vec<char> = text_field(&body, "payinPan")
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let last_four = (digits.len() >= 8).then(|| digits[digits.len() - 4..].iter().collect());
    if let Some(kept) = sim.lock().monnet_kept_by_operation(&merchant, &operation)
        && kept.page == PageInfo::default()
    {
        kept.page = PageInfo {
            ok_url: http_url(text_field(&body, "payinTransactionOKURL").as_deref()),
            error_url: http_url(text_field(&body, "payinTransactionErrorURL").as_deref()),
            card_last_four: last_four,
            ..PageInfo::default()
        };
    }
}

/// Serves a hosted page, when `req` asks for one.
pub(crate) fn handle(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Option<Outcome> {
    let path = req.path_only();
    let get = req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD");
    let post = req.method.eq_ignore_ascii_case("POST");
    if let Some(trade_no) = path.strip_prefix(CASHIER_ORDER) {
        let trade_no = percent_decode(trade_no);
        return Some(if get {
            Outcome::Reply(cashier_page(sim, &trade_no, now))
        } else if post {
            cashier_action(sim, req, &trade_no, now)
        } else {
            Outcome::Reply(method_not_allowed())
        });
    }
    if path == "/cashier/order" && get {
        let query = req.path.split_once('?').map_or("", |(_, q)| q);
        let trade_no = form_value(query.as_bytes(), "tradeNo").unwrap_or_default();
        return Some(Outcome::Reply(see_other(&format!(
            "{CASHIER_ORDER}{}",
            path_segment(trade_no.trim())
        ))));
    }
    if path == CASHIER || path.starts_with("/cashier/") {
        return Some(Outcome::Reply(if get {
            cashier_loader()
        } else {
            method_not_allowed()
        }));
    }
    let rest = path.strip_prefix(MONNET_PAGE)?;
    let (payin_id, challenge) = match rest.strip_suffix(CHALLENGE) {
        Some(id) => (percent_decode(id), true),
        None => (percent_decode(rest), false),
    };
    Some(match (challenge, get, post) {
        (false, true, _) => Outcome::Reply(monnet_page(sim, &payin_id, now)),
        (true, true, _) => Outcome::Reply(monnet_challenge(sim, &payin_id, now)),
        (true, _, true) => monnet_action(sim, req, &payin_id, now),
        _ => Outcome::Reply(method_not_allowed()),
    })
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn method_not_allowed() -> SimResponse {
    html_page(
        405,
        "Method not allowed",
        "",
        "<h1>Method not allowed</h1><p>Pages are read with GET and acted on with the page's buttons (POST).</p>",
    )
    .with_header("Allow", "GET, POST")
}

/// The token purpose of an order's cashier page.
fn cashier_purpose(trade_no: &str) -> String {
    format!("cashier:{trade_no}")
}

/// The token purpose of an operation's payment pages.
fn monnet_purpose(payin_id: &str) -> String {
    format!("monnet:{payin_id}")
}

/// Whether a form post carries the token of the page that acts on
/// `purpose`; the refusal when it does not.
pub(crate) fn check_token(sim: &Inner, req: &SimRequest, purpose: &str) -> Result<(), SimResponse> {
    let given = form_value(&req.body, page_token::FIELD);
    if sim.tokens.check(purpose, given.as_deref()) {
        return Ok(());
    }
    tracing::info!(
        path = %req.path_only(),
        "pasarela-simulator: refused: form without its page's token"
    );
    Err(html_page(
        403,
        "Form refused",
        "",
        "<h1>Form refused</h1><p>This action did not come from the simulator's own page: its \
         form token is missing or wrong. Reload the page and use its buttons.</p>",
    ))
}

fn not_found(what: &str, reference: &str) -> SimResponse {
    html_page(
        404,
        "Not found",
        "",
        &format!(
            "<h1>{what} not found</h1><p>No {what} <code>{}</code> is kept by this simulator \
             (it may never have existed, or have been evicted).</p>",
            escape(reference)
        ),
    )
}

/// `/cashier/`: reads `#/loading?tradeNo=…` from the fragment.
fn cashier_loader() -> SimResponse {
    let script = "<script>(function(){var m=/[?&]tradeNo=([^&]+)/.exec(location.hash);\
                  if(m){location.replace('/cashier/order/'+encodeURIComponent(decodeURIComponent(m[1])));}\
                  else{document.getElementById('wait').hidden=true;}})();</script>";
    html_page(
        200,
        "SmilePayz cashier (simulated)",
        "",
        &format!(
            "<h1>SmilePayz cashier (simulated)</h1>\
             <p id=\"wait\">Loading your order…</p>\
             <form method=\"get\" action=\"/cashier/order\">\
             <label for=\"tradeNo\">Trade number</label> \
             <input id=\"tradeNo\" name=\"tradeNo\" inputmode=\"numeric\" autocomplete=\"off\" required> \
             <button type=\"submit\">Open order</button></form>{script}"
        ),
    )
}

fn smilepayz_status_text(order: &SmilePayzOrder) -> String {
    match (&order.status, order.remark.as_deref()) {
        (TransactionStatus::Success, _) => "Paid (SUCCESS)".to_owned(),
        (TransactionStatus::Expired, _) => "Expired (EXPIRED)".to_owned(),
        (TransactionStatus::Failed, Some("DECLINED")) => "Declined (FAILED, DECLINED)".to_owned(),
        (status, _) => escape(status.as_str()),
    }
}

fn deliveries_text(deliveries: &[super::DeliveryRecord]) -> String {
    match deliveries.last() {
        None => "none yet".to_owned(),
        Some(d) if d.report.delivered => format!(
            "delivered to {} after {} attempt(s)",
            escape(&d.url),
            d.report.attempts
        ),
        Some(d) => format!(
            "not delivered to {} ({} attempt(s){})",
            escape(&d.url),
            d.report.attempts,
            d.report
                .last_error
                .as_deref()
                .map(|e| format!(": {}", escape(e)))
                .unwrap_or_default()
        ),
    }
}

fn cashier_page(sim: &Inner, trade_no: &str, now: OffsetDateTime) -> SimResponse {
    let mut state = sim.lock();
    let Some(kept) = state.smilepayz_kept(trade_no) else {
        return not_found("order", trade_no);
    };
    kept.item.refresh(now);
    let order = &kept.item;
    let details = format!(
        "<dl><dt>Merchant</dt><dd>{merchant}</dd>\
         <dt>Order number</dt><dd>{order_no}</dd>\
         <dt>Trade number</dt><dd>{trade}</dd>\
         <dt>Amount</dt><dd>{amount}</dd>\
         <dt>Pay before</dt><dd>{expires}</dd>\
         <dt>Status</dt><dd class=\"status\" id=\"status\">{status}</dd></dl>",
        merchant = escape(&order.merchant_name),
        order_no = escape(&order.order_no),
        trade = escape(&order.trade_no),
        amount = smilepayz_amount(order),
        expires = escape(&order.expires_at),
        status = smilepayz_status_text(order),
    );
    let action = format!("{CASHIER_ORDER}{}", path_segment(&order.trade_no));
    let body = if order.status.is_final() || kept.page.acted.is_some() {
        let back = match &kept.page.redirect_url {
            Some(url) => format!(
                "<p><a id=\"return\" href=\"{}\">Return to the merchant</a></p>",
                escape(url)
            ),
            None => "<p>The merchant gave no return URL (<code>redirectUrl</code>).</p>".to_owned(),
        };
        format!(
            "<h1>Payment {}</h1>{details}<p>Callback: {}</p>{back}",
            if order.status == TransactionStatus::Success {
                "complete"
            } else {
                "not completed"
            },
            deliveries_text(&order.deliveries),
        )
    } else {
        format!(
            "<h1>Pay {amount} to {merchant}</h1>{details}\
             <form method=\"post\" action=\"{action}\">{token}\
             <button class=\"primary\" type=\"submit\" name=\"action\" value=\"pay\" id=\"pay\">Pay {amount}</button>\
             <button class=\"danger\" type=\"submit\" name=\"action\" value=\"fail\" id=\"fail\">Fail the payment</button>\
             <button type=\"submit\" name=\"action\" value=\"expire\" id=\"expire\">Let it expire</button>\
             </form><p class=\"note\">Each button settles the order as \
             <code>POST /_simulator/smilepayz/complete</code> does and sends the signed callback.</p>",
            amount = smilepayz_amount(order),
            merchant = escape(&order.merchant_name),
            action = escape(&action),
            token = hidden_field(&sim.tokens, &cashier_purpose(&order.trade_no)),
        )
    };
    html_page(200, "SmilePayz cashier (simulated)", "", &body)
}

fn cashier_action(sim: &Inner, req: &SimRequest, trade_no: &str, now: OffsetDateTime) -> Outcome {
    if let Err(refused) = check_token(sim, req, &cashier_purpose(trade_no)) {
        return Outcome::Reply(refused);
    }
    let action = form_value(&req.body, "action").unwrap_or_default();
    let asked = match action.as_str() {
        "pay" => Some(TransactionStatus::Success),
        "fail" => Some(TransactionStatus::Failed),
        "expire" => None,
        _ => {
            return Outcome::Reply(html_page(
                400,
                "Unknown action",
                "",
                "<h1>Unknown action</h1><p>Use the page's buttons: pay, fail, let it expire.</p>",
            ));
        }
    };
    let here = format!("{CASHIER_ORDER}{}", path_segment(trade_no));
    let (partner, order_no, redirect) = {
        let mut state = sim.lock();
        let Some(kept) = state.smilepayz_kept(trade_no) else {
            return Outcome::Reply(not_found("order", trade_no));
        };
        kept.item.refresh(now);
        if kept.item.status.is_final() || kept.page.acted.is_some() {
            // Settled already: show the outcome, settle nothing.
            return Outcome::Reply(see_other(&here));
        }
        kept.page.acted = Some(action.clone());
        if asked.is_none() {
            kept.item.expiry = now - Duration::seconds(1);
            kept.item.refresh(now);
        }
        (
            kept.item.partner_id.clone(),
            kept.item.order_no.clone(),
            kept.page.redirect_url.clone(),
        )
    };
    let next = redirect.unwrap_or(here);
    match settle_smilepayz(sim, &partner, &order_no, asked, now) {
        Ok(Some(job)) => Outcome::DeliverThen {
            job,
            reply: see_other(&next),
        },
        Ok(None) => Outcome::Reply(see_other(&next)),
        Err(response) => Outcome::Reply(response),
    }
}

fn monnet_state_text(op: &MonnetOperation) -> String {
    format!("{} ({})", monnet::state_name(op.state_id), op.state_id)
}

fn monnet_details(op: &MonnetOperation, page: &PageInfo) -> String {
    let card = page.card_last_four.as_deref().map_or_else(
        || "card".to_owned(),
        |d| format!("•••• •••• •••• {}", escape(d)),
    );
    format!(
        "<dl><dt>Operation</dt><dd>{operation}</dd>\
         <dt>Amount</dt><dd>{amount}</dd>\
         <dt>Currency</dt><dd>{currency}</dd>\
         <dt>Card</dt><dd id=\"card\">{card}</dd>\
         <dt>State</dt><dd class=\"status\" id=\"status\">{state}</dd></dl>",
        operation = escape(&op.operation_number),
        amount = escape(&op.amount),
        currency = escape(&op.currency),
        state = escape(&monnet_state_text(op)),
    )
}

fn monnet_outcome(op: &MonnetOperation, page: &PageInfo) -> String {
    let target = if matches!(op.state_id, 5 | 9) {
        &page.ok_url
    } else {
        &page.error_url
    };
    let back = target.as_deref().map_or_else(String::new, |url| {
        format!(
            "<p><a id=\"return\" href=\"{}\">Return to the merchant</a></p>",
            escape(url)
        )
    });
    let reason = page
        .decline_code
        .as_deref()
        .map(|c| {
            format!(
                "<p>Decline reason: {} {}</p>",
                escape(c),
                decline_message(c)
            )
        })
        .unwrap_or_default();
    format!(
        "<h1>Payment {}</h1>{}{reason}<p>Notification: {}</p>{back}",
        if matches!(op.state_id, 5 | 9) {
            "authorized"
        } else {
            "not authorized"
        },
        monnet_details(op, page),
        deliveries_text(&op.deliveries),
    )
}

fn monnet_page(sim: &Inner, payin_id: &str, now: OffsetDateTime) -> SimResponse {
    refresh_monnet(sim, payin_id, now);
    // The shopper opened the payment page: created (1) becomes pending (2).
    monnet::shopper_arrived(sim, payin_id);
    let mut state = sim.lock();
    let Some(kept) = state.monnet_kept(payin_id) else {
        return not_found("operation", payin_id);
    };
    let (op, page) = (&kept.item, &kept.page);
    let body = if op.state_id != 2 || page.acted.is_some() {
        monnet_outcome(op, page)
    } else {
        format!(
            "<h1>Pay {amount} {currency}</h1>{details}\
             <form method=\"get\" action=\"{action}\">\
             <button class=\"primary\" type=\"submit\" id=\"continue\">Continue to card verification</button>\
             </form>",
            amount = escape(&op.amount),
            currency = escape(&op.currency),
            details = monnet_details(op, page),
            action = escape(&format!(
                "{MONNET_PAGE}{}{CHALLENGE}",
                path_segment(&op.payin_id)
            )),
        )
    };
    html_page(200, "Monnet payment (simulated)", "", &body)
}

fn refresh_monnet(sim: &Inner, payin_id: &str, now: OffsetDateTime) {
    if let Some(op) = sim.lock().monnet_by_payin_id(payin_id) {
        op.refresh(now);
    }
}

fn monnet_challenge(sim: &Inner, payin_id: &str, now: OffsetDateTime) -> SimResponse {
    refresh_monnet(sim, payin_id, now);
    monnet::shopper_arrived(sim, payin_id);
    let mut state = sim.lock();
    let Some(kept) = state.monnet_kept(payin_id) else {
        return not_found("operation", payin_id);
    };
    let (op, page) = (&kept.item, &kept.page);
    if op.state_id != 2 || page.acted.is_some() {
        return html_page(
            200,
            "Monnet payment (simulated)",
            "",
            &monnet_outcome(op, page),
        );
    }
    let reasons: String = DECLINE_REASONS
        .iter()
        .map(|(code, message)| format!("<option value=\"{code}\">{code} {message}</option>"))
        .collect();
    let body = format!(
        "<h1>3-D Secure verification (simulated issuer)</h1>\
         <p>Your bank asks you to confirm the payment of {amount} {currency} with the card \
         ending in {last}.</p>\
         <form method=\"post\" action=\"{action}\">{token}\
         <p><label for=\"otp\">One-time code (any value)</label> \
         <input id=\"otp\" name=\"otp\" inputmode=\"numeric\" autocomplete=\"one-time-code\" value=\"123456\"></p>\
         <p><label for=\"reason\">Decline reason, if you deny</label> \
         <select id=\"reason\" name=\"reason\">{reasons}</select></p>\
         <button class=\"primary\" type=\"submit\" name=\"action\" value=\"authorize\" id=\"authorize\">Authorize</button>\
         <button class=\"danger\" type=\"submit\" name=\"action\" value=\"deny\" id=\"deny\">Deny</button>\
         </form><p class=\"note\">Authorize sets state 5 (Autorizado), deny state 6 (Denegado) \
         with the decline reason in <code>errorDetails</code>; the hashed notification goes to \
         the configured Monnet notify URL.</p>",
        amount = escape(&op.amount),
        currency = escape(&op.currency),
        last = page
            .card_last_four
            .as_deref()
            .map_or_else(|| "…".to_owned(), escape),
        action = escape(&format!(
            "{MONNET_PAGE}{}{CHALLENGE}",
            path_segment(&op.payin_id)
        )),
        token = hidden_field(&sim.tokens, &monnet_purpose(&op.payin_id)),
    );
    html_page(200, "3-D Secure (simulated)", "", &body)
}

fn monnet_action(sim: &Inner, req: &SimRequest, payin_id: &str, now: OffsetDateTime) -> Outcome {
    if let Err(refused) = check_token(sim, req, &monnet_purpose(payin_id)) {
        return Outcome::Reply(refused);
    }
    let action = form_value(&req.body, "action").unwrap_or_default();
    let (state_id, code) = match action.as_str() {
        "authorize" => (5, None),
        "deny" => {
            let reason = form_value(&req.body, "reason").unwrap_or_else(|| "9005".to_owned());
            let Some((code, _)) = DECLINE_REASONS.iter().find(|(c, _)| *c == reason) else {
                return Outcome::Reply(html_page(
                    400,
                    "Unknown decline reason",
                    "",
                    "<h1>Unknown decline reason</h1><p>Pick one of the listed reasons.</p>",
                ));
            };
            (6, Some(*code))
        }
        _ => {
            return Outcome::Reply(html_page(
                400,
                "Unknown action",
                "",
                "<h1>Unknown action</h1><p>Use the page's buttons: authorize or deny.</p>",
            ));
        }
    };
    let here = format!("{MONNET_PAGE}{}", path_segment(payin_id));
    let (merchant, operation, target) = {
        let mut state = sim.lock();
        let Some(kept) = state.monnet_kept(payin_id) else {
            return Outcome::Reply(not_found("operation", payin_id));
        };
        kept.item.refresh(now);
        if !matches!(kept.item.state_id, 1 | 2) || kept.page.acted.is_some() {
            return Outcome::Reply(see_other(&here));
        }
        kept.page.acted = Some(action.clone());
        let target = if state_id == 5 {
            kept.page.ok_url.clone()
        } else {
            kept.page.error_url.clone()
        };
        (
            kept.item.merchant_id.clone(),
            kept.item.operation_number.clone(),
            target,
        )
    };
    let next = target.unwrap_or(here);
    match settle_monnet(sim, &merchant, &operation, state_id, code, &req.origin, now) {
        Ok(Some(job)) => Outcome::DeliverThen {
            job,
            reply: see_other(&next),
        },
        Ok(None) => Outcome::Reply(see_other(&next)),
        Err(response) => Outcome::Reply(response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_segments() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>\n"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{FFFD}"
        );
        assert_eq!(path_segment("a b/c?"), "a%20b%2Fc%3F");
        assert_eq!(percent_decode("a%20b+c"), "a b+c");
        assert_eq!(money_text(40001, "PEN"), "S/ 400.01");
        assert_eq!(money_text(5, "USD"), "USD 0.05");
        assert_eq!(http_url(Some("javascript:alert(1)")), None);
        assert_eq!(
            http_url(Some(" https://shop.example/ok ")).as_deref(),
            Some("https://shop.example/ok")
        );
    }
}
