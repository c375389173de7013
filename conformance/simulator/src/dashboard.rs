//! The dashboard at `GET /_simulator/`: every kept order and operation with
//! its state, amount and age, every delivery attempt with its time, URL,
//! HTTP status and latency, links to the hosted pages, and buttons for the
//! control actions (form posts to `/_simulator/ui/…` carrying the
//! dashboard's form token, answered `303` back here). Attempts are listed for the orders on the page shown, so one
//! page costs the same however many orders are kept. It reloads itself every 5 seconds while open (a meta refresh;
//! `?refresh=0` turns it off). Newest first, 100 orders per gateway per
//! page (`?page=2` for the next ones).

use pasarela_core::smilepayz::{TransactionStatus, parse_timestamp};
use time::OffsetDateTime;

use super::Inner;
use super::input::{error, form_value};
use super::monnet::state_name;
use super::page_paths::{CASHIER_ORDER, CONTROL as HOME, MONNET_PAGE};
use super::page_token::hidden_field;
use super::pages::{check_token, escape, html_page, path_segment, see_other, smilepayz_amount};
use super::settle::{settle_monnet, settle_smilepayz};
use super::state::DeliveryRecord;
use super::wire::{Outcome, SimRequest, SimResponse};

/// Orders per gateway on one dashboard page.
const PER_PAGE: usize = 100;
/// Delivery attempts listed.
const ATTEMPTS_LISTED: usize = 200;
/// The token purpose of the dashboard's forms.
const PURPOSE: &str = "dashboard";

fn age(created: &str, now: OffsetDateTime) -> String {
    let Some(at) = parse_timestamp(created) else {
        return String::new();
    };
    let secs = (now - at).whole_seconds().max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d", secs / 86400),
    }
}

/// One row per delivery attempt, for the attempts table.
struct AttemptRow {
    at: String,
    gateway: &'static str,
    reference: String,
    announced: String,
    url: String,
    http_status: String,
    latency: String,
    result: String,
}

fn attempt_rows(gateway: &'static str, reference: &str, d: &DeliveryRecord) -> Vec<AttemptRow> {
    if d.attempt_log.is_empty() {
        return vec![AttemptRow {
            at: String::new(),
            gateway,
            reference: reference.to_owned(),
            announced: d.status.clone(),
            url: d.url.clone(),
            http_status: "—".to_owned(),
            latency: "—".to_owned(),
            result: d
                .report
                .last_error
                .clone()
                .unwrap_or_else(|| "not attempted".to_owned()),
        }];
    }
    d.attempt_log
        .iter()
        .map(|a| AttemptRow {
            at: a.at.clone(),
            gateway,
            reference: reference.to_owned(),
            announced: d.status.clone(),
            url: a.url.clone(),
            http_status: a
                .http_status
                .map_or_else(|| "—".to_owned(), |s| s.to_string()),
            latency: format!("{} ms", a.latency_ms),
            result: if a.acknowledged {
                "acknowledged".to_owned()
            } else {
                a.error
                    .clone()
                    .unwrap_or_else(|| "not acknowledged".to_owned())
            },
        })
        .collect()
}

fn button(name: &str, value: &str, label: &str) -> String {
    format!(
        "<button type=\"submit\" name=\"{name}\" value=\"{value}\">{}</button>",
        escape(label)
    )
}

/// Renders the dashboard.
pub(crate) fn render(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> SimResponse {
    let query = req.path.split_once('?').map_or("", |(_, q)| q).as_bytes();
    let page = form_value(query, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let refresh = form_value(query, "refresh").as_deref() != Some("0");
    let skip = (page - 1).saturating_mul(PER_PAGE);
    let token = hidden_field(&sim.tokens, PURPOSE);
    let mut attempts = Vec::new();
    let mut state = sim.lock();
    let (evicted_smilepayz, evicted_monnet) = state.evicted();
    let max_orders = state.max_orders();

    let orders = state.smilepayz_orders(now);
    let smilepayz_total = orders.len();
    let mut smilepayz_rows = String::new();
    for (index, kept) in orders.kept().rev().enumerate() {
        let o = &kept.item;
        if index < skip || index >= skip + PER_PAGE {
            continue;
        }
        for d in &o.deliveries {
            attempts.extend(attempt_rows("SmilePayz", &o.order_no, d));
        }
        let actions = if o.status == TransactionStatus::Processing {
            format!(
                "<form method=\"post\" action=\"/_simulator/ui/smilepayz/complete\">{token}\
                 <input type=\"hidden\" name=\"merchantId\" value=\"{partner}\">\
                 <input type=\"hidden\" name=\"orderNo\" value=\"{order}\">{}{}{}</form>",
                button("status", "SUCCESS", "Success"),
                button("status", "FAILED", "Fail"),
                button("status", "CANCELLED", "Cancel"),
                partner = escape(&o.partner_id),
                order = escape(&o.order_no),
            )
        } else {
            format!(
                "<form method=\"post\" action=\"/_simulator/ui/smilepayz/complete\">{token}\
                 <input type=\"hidden\" name=\"merchantId\" value=\"{partner}\">\
                 <input type=\"hidden\" name=\"orderNo\" value=\"{order}\">{}</form>",
                button("status", "", "Resend callback"),
                partner = escape(&o.partner_id),
                order = escape(&o.order_no),
            )
        };
        smilepayz_rows.push_str(&format!(
            "<tr><td>{order}<br><small>tradeNo {trade}</small></td><td>{status}{remark}</td>\
             <td class=\"nowrap\">{amount}</td><td class=\"nowrap\">{age}</td><td>{expires}</td>\
             <td><a href=\"{page}\">cashier</a><br><small>callback: {callback}</small></td>\
             <td>{actions}</td></tr>",
            order = escape(&o.order_no),
            trade = escape(&o.trade_no),
            status = escape(o.status.as_str()),
            remark = o
                .remark
                .as_deref()
                .map(|r| format!(" ({})", escape(r)))
                .unwrap_or_default(),
            amount = smilepayz_amount(o),
            age = age(&o.transaction_time, now),
            expires = escape(&o.expires_at),
            callback = escape(o.callback_url.as_deref().unwrap_or("(notify URL)")),
            page = escape(&format!("{CASHIER_ORDER}{}", path_segment(&o.trade_no))),
        ));
    }

    let operations = state.monnet_operations(now);
    let monnet_total = operations.len();
    let mut monnet_rows = String::new();
    for (index, kept) in operations.kept().rev().enumerate() {
        let op = &kept.item;
        if index < skip || index >= skip + PER_PAGE {
            continue;
        }
        for d in &op.deliveries {
            attempts.extend(attempt_rows("Monnet", &op.operation_number, d));
        }
        let actions = format!(
            "<form method=\"post\" action=\"/_simulator/ui/monnet/complete\">{token}\
             <input type=\"hidden\" name=\"merchantId\" value=\"{merchant}\">\
             <input type=\"hidden\" name=\"operation\" value=\"{operation}\">{}{}{}</form>",
            button("stateId", "5", "Authorize (5)"),
            button("stateId", "6", "Deny (6)"),
            button("stateId", "9", "Settle (9)"),
            merchant = escape(&op.merchant_id),
            operation = escape(&op.operation_number),
        );
        monnet_rows.push_str(&format!(
            "<tr><td>{operation}</td><td>{payin}</td><td>{state} {name}{reason}</td>\
             <td class=\"nowrap\">{amount} {currency}</td><td class=\"nowrap\">{age}</td>\
             <td><a href=\"{page}\">payment page</a></td><td>{actions}</td></tr>",
            operation = escape(&op.operation_number),
            payin = escape(&op.payin_id),
            state = op.state_id,
            name = state_name(op.state_id),
            reason = kept
                .page
                .decline_code
                .as_deref()
                .map(|c| format!(" ({})", escape(c)))
                .unwrap_or_default(),
            amount = escape(&op.amount),
            currency = escape(&op.currency),
            age = age(&op.created_at, now),
            page = escape(&format!("{MONNET_PAGE}{}", path_segment(&op.payin_id))),
        ));
    }
    drop(state);

    attempts.sort_by(|a, b| b.at.cmp(&a.at));
    let attempts_total = attempts.len();
    let attempt_rows: String = attempts
        .iter()
        .take(ATTEMPTS_LISTED)
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.at),
                a.gateway,
                escape(&a.reference),
                escape(&a.announced),
                escape(&a.url),
                escape(&a.http_status),
                escape(&a.latency),
                escape(&a.result),
            )
        })
        .collect();
    let empty =
        |cols: usize, what: &str| format!("<tr><td colspan=\"{cols}\">No {what} yet.</td></tr>");
    let more = if smilepayz_total.max(monnet_total) > skip + PER_PAGE {
        format!(
            "<p><a href=\"{HOME}?page={}\">Older orders</a></p>",
            page + 1
        )
    } else {
        String::new()
    };
    let notify = |url: Option<&str>| escape(url.unwrap_or("none configured"));
    let body = format!(
        "<h1>pasarela simulator</h1>\
         <p>{smilepayz_total} SmilePayz order(s), {monnet_total} Monnet operation(s) kept \
         (at most {max_orders} each; evicted so far: {evicted_smilepayz} and {evicted_monnet}). \
         SmilePayz notify URL: {sp_notify}. Monnet notify URL: {mn_notify}. \
         <a href=\"/_simulator/credentials\">credentials</a> · \
         <a href=\"/_simulator/orders\">orders (JSON)</a> · \
         <a href=\"/_simulator/triggers\">error triggers</a>{refresh_note}</p>\
         <h2 id=\"smilepayz\">SmilePayz orders</h2>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Order</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Amount</th><th scope=\"col\">Age</th>\
         <th scope=\"col\">Expires</th><th scope=\"col\">Page</th><th scope=\"col\">Actions</th></tr></thead><tbody>{sp}</tbody></table></div>\
         <h2 id=\"monnet\">Monnet operations</h2>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Operation</th><th scope=\"col\">payinID</th>\
         <th scope=\"col\">State</th><th scope=\"col\">Amount</th><th scope=\"col\">Age</th>\
         <th scope=\"col\">Page</th><th scope=\"col\">Actions</th></tr></thead><tbody>{mn}</tbody></table></div>{more}\
         <h2 id=\"deliveries\">Delivery attempts</h2>\
         <p>{attempts_total} attempt(s) for the orders above, newest first{shown}.</p>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Gateway</th>\
         <th scope=\"col\">Reference</th><th scope=\"col\">Announced</th><th scope=\"col\">URL</th>\
         <th scope=\"col\">HTTP status</th><th scope=\"col\">Latency</th><th scope=\"col\">Result</th>\
         </tr></thead><tbody>{at}</tbody></table></div>",
        sp_notify = notify(sim.config.smilepayz_notify_url.as_deref()),
        mn_notify = notify(sim.config.monnet_notify_url.as_deref()),
        refresh_note = if refresh {
            " · reloads every 5 s (<a href=\"/_simulator/?refresh=0\">stop</a>)"
        } else {
            " · <a href=\"/_simulator/\">reload every 5 s</a>"
        },
        sp = if smilepayz_rows.is_empty() {
            empty(7, "orders")
        } else {
            smilepayz_rows
        },
        mn = if monnet_rows.is_empty() {
            empty(7, "operations")
        } else {
            monnet_rows
        },
        shown = if attempts_total > ATTEMPTS_LISTED {
            format!(", the last {ATTEMPTS_LISTED} shown")
        } else {
            String::new()
        },
        at = if attempt_rows.is_empty() {
            empty(8, "deliveries")
        } else {
            attempt_rows
        },
    );
    let head = if refresh {
        "<meta http-equiv=\"refresh\" content=\"5\">"
    } else {
        "<meta name=\"refresh\" content=\"off\">"
    };
    html_page(200, "pasarela simulator dashboard", head, &body)
}

fn back(result: Result<Option<super::delivery::DeliveryJob>, SimResponse>) -> Outcome {
    match result {
        Ok(Some(job)) => Outcome::DeliverThen {
            job,
            reply: see_other(HOME),
        },
        Ok(None) => Outcome::Reply(see_other(HOME)),
        Err(response) => Outcome::Reply(response),
    }
}

/// `POST /_simulator/ui/smilepayz/complete` (form: `merchantId`, `orderNo`,
/// `status`; an empty status keeps the order's final status).
pub(crate) fn smilepayz_action(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    if let Err(refused) = check_token(sim, req, PURPOSE) {
        return Outcome::Reply(refused);
    }
    let partner = form_value(&req.body, "merchantId")
        .unwrap_or_else(|| sim.config.smilepayz_merchant_id.clone());
    let order_no = form_value(&req.body, "orderNo").unwrap_or_default();
    let status = match form_value(&req.body, "status").as_deref() {
        None | Some("") => None,
        Some(text) => match TransactionStatus::from_wire(text) {
            TransactionStatus::Other(s) => {
                return Outcome::Reply(error(400, format!("unknown status {s:?}")));
            }
            known => Some(known),
        },
    };
    back(settle_smilepayz(sim, &partner, &order_no, status, now))
}

/// `POST /_simulator/ui/monnet/complete` (form: `merchantId`, `operation`,
/// `stateId`); denying adds decline reason 9005. Without a configured
/// Monnet notify URL the state changes and nothing is delivered.
pub(crate) fn monnet_action(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    if let Err(refused) = check_token(sim, req, PURPOSE) {
        return Outcome::Reply(refused);
    }
    let merchant = form_value(&req.body, "merchantId")
        .unwrap_or_else(|| sim.config.monnet_merchant_id.clone());
    let operation = form_value(&req.body, "operation").unwrap_or_default();
    let Some(state_id) = form_value(&req.body, "stateId").and_then(|s| s.parse::<u32>().ok())
    else {
        return Outcome::Reply(error(400, "stateId must be a number"));
    };
    let code = (state_id == 6).then_some("9005");
    back(settle_monnet(
        sim,
        &merchant,
        &operation,
        state_id,
        code,
        &req.origin,
        now,
    ))
}
