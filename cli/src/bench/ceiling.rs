//! The ceiling of a whole pay-in on this machine: what its unavoidable
//! computation costs, measured in the same run, spread over every core.
//!
//! **SmilePayz** (per backend): the RSA-2048 operations of one pay-in, on
//! both sides, counted from the code path:
//!
//! | side | operation | signs | verifies |
//! |---|---|---:|---:|
//! | merchant | create: `prepare_pay_in` signs the request | 1 | |
//! | simulator | verifies the create's `X-SIGNATURE` | | 1 |
//! | simulator | settlement: signs the callback once (the same bytes on every attempt) | 1 | |
//! | merchant | verifies the callback (one delivery: the endpoint acknowledges the first) | | 1 |
//! | merchant | confirmation: inquiry-status is signed | 1 | |
//! | simulator | verifies the inquiry's `X-SIGNATURE` | | 1 |
//!
//! The simulator's answers are not signed (SmilePayz signs none), and its
//! control API is not signed. So one pay-in costs 3 signatures and 3
//! verifications, each at the rate `rsa.sign` / `rsa.verify` measured on one
//! thread; the ceiling is `cores / (3 / sign_rate + 3 / verify_rate)`.
//!
//! **Monnet card pay-ins** sign nothing: their unavoidable work is SHA-512
//! hashing and JSON. Their ceiling counts, per pay-in, the merchant's
//! `monnet.prepare_create` (43-field body and its hash), its
//! `monnet.parse_create_response`, its `monnet.verify_notification` (parse
//! and hash) and its confirmation (`monnet.status_round`: the status query
//! with its SHA-256 authorization, and the parse of the answer); and the
//! simulator's side approximated by the same kinds of work: parsing the
//! create body (`json.parse_create_body`), two `payinVerification` hashes
//! (checking the create, hashing the notification) and one more
//! `monnet.status_round` (checking the query, writing the answer). It is
//! far above what any HTTP stack reaches, so the card rows' ratio to it says
//! how much of a card pay-in is HTTP, not how close it is to a limit.

use std::hint::black_box;

use pasarela_core::crypto::Backend;
use pasarela_core::monnet::{self, StatusQuery};
use pasarela_core::{MonnetKey, RawResponse};

use super::measure::Operation;
use super::ops::{self, MONNET_KEY, MONNET_MERCHANT, NOW, setup, text};
use crate::output::Failure;

/// RSA signatures one whole SmilePayz pay-in costs, both sides.
pub(super) const PAY_IN_SIGNS: f64 = 3.0;
/// RSA verifications one whole SmilePayz pay-in costs, both sides.
pub(super) const PAY_IN_VERIFIES: f64 = 3.0;

/// The terms of the card pay-in ceiling: each operation's row name and how
/// many times one card pay-in does it (both sides).
pub(super) const CARD_TERMS: &[(&str, f64)] = &[
    ("monnet.prepare_create", 1.0),
    ("monnet.parse_create_response", 1.0),
    ("monnet.verify_notification", 1.0),
    ("monnet.status_round", 2.0),
    ("monnet.payin_verification", 2.0),
    ("json.parse_create_body", 1.0),
];

/// A status answer for one authorized operation (the shape of Monnet's
/// documented example).
const STATUS_ANSWER: &str = r#"{"payinMerchantID":"4001","operations":[{"payinStateID":"5","payinState":"Autorizado","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinID":"987654"}]}"#;

/// The operations the ceilings are computed from, in the order printed.
pub(super) fn operations() -> Result<Vec<Operation>, Failure> {
    let mut ops = Vec::new();
    for &backend in Backend::ALL {
        ops.push(ops::raw_sign(backend)?);
        ops.push(ops::raw_verify(backend)?);
    }
    ops.extend(
        ops::monnet_operations()?
            .into_iter()
            .filter(|op| CARD_TERMS.iter().any(|(name, _)| *name == op.name)),
    );
    let config = ops::monnet_config()?;
    let query = StatusQuery::by_operation_number("ORD-000123");
    let today = NOW.date();
    monnet::prepare_status_query(&config, &query, today)
        .map_err(text)
        .map_err(setup("Monnet status query"))?;
    ops.push(Operation::new("monnet.status_round", None, move || {
        let request =
            monnet::prepare_status_query(&config, black_box(&query), today).map_err(text)?;
        black_box(request);
        monnet::parse_status_response(RawResponse::new(200, black_box(STATUS_ANSWER)))
            .map(|r| drop(black_box(r)))
            .map_err(text)
    }));
    let key = MonnetKey::new(MONNET_KEY);
    ops.push(Operation::new(
        "monnet.payin_verification",
        None,
        move || {
            black_box(monnet::payin_verification(
                black_box(MONNET_MERCHANT),
                "ORD-000123",
                "150.00",
                "PEN",
                &key,
            ));
            Ok(())
        },
    ));
    let body = monnet::prepare_create(&ops::monnet_config()?, &ops::create_request()?)
        .body()
        .to_vec();
    ops.push(Operation::new("json.parse_create_body", None, move || {
        serde_json::from_slice::<serde_json::Value>(black_box(&body))
            .map(|v| drop(black_box(v)))
            .map_err(text)
    }));
    Ok(ops)
}

/// The ceilings, from the measured rates (operations per second on one
/// thread, by row name and backend) and the cores available.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ceilings {
    /// Cores the ceilings spread the work over.
    pub(super) cores: usize,
    /// SmilePayz pay-ins per second, per backend name.
    pub(super) pay_in: Vec<(&'static str, f64)>,
    /// Card pay-ins per second.
    pub(super) card_pay_in: f64,
}

impl Ceilings {
    /// Computes the ceilings from `rate(name, backend)`; fails naming an
    /// operation that was not measured.
    pub(super) fn compute(
        cores: usize,
        rate: impl Fn(&str, Option<&str>) -> Option<f64>,
    ) -> Result<Self, String> {
        let get = |name: &str, backend: Option<&str>| {
            rate(name, backend)
                .filter(|r| *r > 0.0)
                .ok_or_else(|| format!("{name} ({backend:?}) was not measured"))
        };
        let mut pay_in = Vec::new();
        for &backend in Backend::ALL {
            let name = backend.name();
            let cost = PAY_IN_SIGNS / get("rsa.sign", Some(name))?
                + PAY_IN_VERIFIES / get("rsa.verify", Some(name))?;
            pay_in.push((name, cores as f64 / cost));
        }
        let mut cost = 0.0;
        for (name, times) in CARD_TERMS {
            cost += times / get(name, None)?;
        }
        Ok(Self {
            cores,
            pay_in,
            card_pay_in: cores as f64 / cost,
        })
    }

    /// The SmilePayz ceiling for a backend.
    pub(super) fn pay_in(&self, backend: &str) -> Option<f64> {
        self.pay_in
            .iter()
            .find(|(name, _)| *name == backend)
            .map(|(_, c)| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_is_the_cores_over_the_crypto_of_one_pay_in() {
        // 3 signs at 1000/s and 3 verifies at 30000/s: 3.1 ms a pay-in.
        let rate = |name: &str, _: Option<&str>| match name {
            "rsa.sign" => Some(1000.0),
            "rsa.verify" => Some(30000.0),
            _ => Some(1e6),
        };
        let c = Ceilings::compute(2, rate).unwrap();
        let expected = 2.0 / (3.0 / 1000.0 + 3.0 / 30000.0);
        assert!((c.pay_in("aws-lc").unwrap() - expected).abs() < 1e-9);
        let card_ops: f64 = CARD_TERMS.iter().map(|(_, n)| n).sum();
        assert!((c.card_pay_in - 2.0 / (card_ops / 1e6)).abs() < 1e-6);
        let missing = Ceilings::compute(2, |name, _| (name != "rsa.verify").then_some(1.0));
        assert!(missing.unwrap_err().contains("rsa.verify"));
    }

    #[test]
    fn every_card_term_is_measured() {
        let names: Vec<&str> = operations().unwrap().iter().map(|op| op.name).collect();
        for (term, _) in CARD_TERMS {
            assert!(names.contains(term), "{term}");
        }
    }
}
