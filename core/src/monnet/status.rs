//! The status query: what Monnet says happened to your operations.

use serde::Deserialize;
use time::Date;

use crate::error::{ParseError, ResponseError, Rule, ValidationError};
use crate::http::{Method, PreparedRequest, RawResponse};
use crate::json::{decode, value_error};

use super::amount::Amount;
use super::environment::Config;
use super::response::{missing, non_success, not_an_object, rejection};
use super::state::{PayinState, parse_state_id};
use super::verification::status_authorization;
use super::wire::{ObjectWriter, Scalar, is_object};

/// What to ask about: one operation number, a date range, or both.
///
/// Rules (checked by [`prepare_status_query`]): at least one of the two;
/// a range needs both dates, `start_date <= end_date`, and the end date must
/// be before `today` (Monnet does not accept today).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusQuery {
    /// `payinMerchantOperationNumber`: 1 to 50 characters.
    pub operation_number: Option<String>,
    /// `payinStartDate`.
    pub start_date: Option<Date>,
    /// `payinEndDate`.
    pub end_date: Option<Date>,
}

impl StatusQuery {
    /// The operations with this merchant operation number.
    pub fn by_operation_number(operation_number: impl Into<String>) -> Self {
        Self {
            operation_number: Some(operation_number.into()),
            ..Self::default()
        }
    }

    /// The operations from `start` to `end`, both inclusive.
    pub fn by_date_range(start: Date, end: Date) -> Self {
        Self {
            operation_number: None,
            start_date: Some(start),
            end_date: Some(end),
        }
    }

    /// Checks the query's rules against `today` (the gateway's date): what
    /// [`prepare_status_query`] checks, and what Monnet (and the simulator)
    /// check on receipt.
    pub fn validate(&self, today: Date) -> Result<(), ValidationError> {
        let err = |field: &'static str, rule| Err(ValidationError::new(field, rule));
        if let Some(op) = &self.operation_number {
            if op.trim().is_empty() {
                return err("payinMerchantOperationNumber", Rule::Required);
            }
            if op.chars().count() > 50 {
                return err("payinMerchantOperationNumber", Rule::TooLong { max: 50 });
            }
        }
        match (self.start_date, self.end_date) {
            (None, None) if self.operation_number.is_none() => err(
                "payinMerchantOperationNumber",
                Rule::Combination(
                    "give payinMerchantOperationNumber and/or both payinStartDate and payinEndDate"
                        .into(),
                ),
            ),
            (None, None) => Ok(()),
            (Some(_), None) => err(
                "payinEndDate",
                Rule::Combination("payinStartDate needs payinEndDate too".into()),
            ),
            (None, Some(_)) => err(
                "payinStartDate",
                Rule::Combination("payinEndDate needs payinStartDate too".into()),
            ),
            (Some(start), Some(end)) => {
                for (field, d) in [("payinStartDate", start), ("payinEndDate", end)] {
                    if !(0..=9999).contains(&d.year()) {
                        return err(field, Rule::Format("a date in years 0000 to 9999".into()));
                    }
                }
                if end >= today {
                    return err("payinEndDate", Rule::DateInFuture);
                }
                if start > end {
                    return err(
                        "payinStartDate",
                        Rule::Combination("payinStartDate must not be after payinEndDate".into()),
                    );
                }
                Ok(())
            }
        }
    }
}

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Prepares the status query: `POST` to the environment's
/// `…/ms-experience-payin/merchant/{MID}/operations`, headers
/// `Content-Type: application/json` and `authorization` (lowercase hex
/// SHA-256 of merchant id + `KeyMonnet`), body with the fields that are set:
/// `{"payinMerchantOperationNumber":"…","payinStartDate":"YYYY-MM-DD","payinEndDate":"YYYY-MM-DD"}`.
///
/// `today` is the merchant's current date: the end date must be before it.
pub fn prepare_status_query(
    config: &Config,
    query: &StatusQuery,
    today: Date,
) -> Result<PreparedRequest, ValidationError> {
    query.validate(today)?;
    let url = config.status_url().clone();
    let mut w = ObjectWriter::with_capacity(128);
    if let Some(op) = &query.operation_number {
        w.string("payinMerchantOperationNumber", op);
    }
    if let (Some(start), Some(end)) = (query.start_date, query.end_date) {
        w.string("payinStartDate", &ymd(start));
        w.string("payinEndDate", &ymd(end));
    }
    Ok(PreparedRequest::new(
        Method::POST,
        url,
        vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            (
                "authorization".to_owned(),
                status_authorization(config.merchant_id(), config.key()),
            ),
        ],
        w.finish(),
    )
    // The hash never expires: keep it out of snapshots and logs of wire text.
    .with_masked_headers(vec!["authorization"]))
}

/// Monnet's answer to a status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusResponse {
    /// `payinMerchantID`, as received.
    pub merchant_id: String,
    /// `operations`, in the order received.
    pub operations: Vec<StatusOperation>,
}

/// One operation of a [`StatusResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOperation {
    /// `payinStateID` (with `payinState`) as a state.
    pub state: PayinState,
    /// `payinState`: the state's text.
    pub state_text: Option<String>,
    /// `payinAmount`, as received; see [`amount`](Self::amount).
    pub amount_text: String,
    /// `payinCurrency`.
    pub currency: String,
    /// `payinMerchantOperationNumber`.
    pub merchant_operation_number: String,
    /// `payinID`: Monnet's id for the operation, when sent.
    pub payin_id: Option<String>,
}

impl StatusOperation {
    /// The amount in cents, if the received text is a plain decimal with at
    /// most two decimals.
    pub fn amount(&self) -> Option<Amount> {
        Amount::parse(&self.amount_text).ok()
    }
}

#[derive(Deserialize)]
struct Wire {
    #[serde(rename = "payinMerchantID")]
    merchant_id: Option<Scalar>,
    operations: Option<Vec<OperationWire>>,
    #[serde(rename = "payinErrorCode")]
    code: Option<Scalar>,
    #[serde(rename = "payinErrorMessage")]
    message: Option<Scalar>,
}

#[derive(Deserialize)]
struct OperationWire {
    #[serde(rename = "payinStateID")]
    state_id: Option<Scalar>,
    #[serde(rename = "payinState")]
    state: Option<Scalar>,
    #[serde(rename = "payinAmount")]
    amount: Option<Scalar>,
    #[serde(rename = "payinCurrency")]
    currency: Option<Scalar>,
    #[serde(rename = "payinMerchantOperationNumber")]
    operation_number: Option<Scalar>,
    #[serde(rename = "payinID")]
    payin_id: Option<Scalar>,
}

/// Parses the answer to [`prepare_status_query`].
///
/// A body with a `payinErrorCode` other than `"0000"` is a
/// [`ResponseError::Rejected`]; a non-2xx status without one is
/// [`ParseError::HttpStatus`]; anything not shaped like
/// `{"payinMerchantID", "operations": [...]}` is a [`ParseError`] naming
/// the JSON path (`operations[2].payinStateID`). Numeric fields may be JSON
/// strings or numbers; their text is kept as received.
pub fn parse_status_response(raw: impl Into<RawResponse>) -> Result<StatusResponse, ResponseError> {
    let raw: RawResponse = raw.into();
    if !raw.is_success() {
        return Err(non_success(&raw));
    }
    let body = raw.body.as_slice();
    let wire: Wire = decode(raw.status, body)?;
    if !is_object(body) {
        return Err(not_an_object(body).into());
    }
    if let Some(r) = rejection(wire.code.as_ref(), wire.message.as_ref(), raw.status) {
        return Err(r.into());
    }
    let merchant_id = wire
        .merchant_id
        .ok_or_else(|| missing("payinMerchantID", body))?
        .0;
    let operations = wire
        .operations
        .ok_or_else(|| missing("operations", body))?
        .into_iter()
        .enumerate()
        .map(|(i, op)| operation(i, op, body))
        .collect::<Result<Vec<_>, ParseError>>()?;
    Ok(StatusResponse {
        merchant_id,
        operations,
    })
}

fn operation(i: usize, op: OperationWire, body: &[u8]) -> Result<StatusOperation, ParseError> {
    let need = |v: Option<Scalar>, field: &str| {
        v.map(|s| s.0)
            .ok_or_else(|| missing(&format!("operations[{i}].{field}"), body))
    };
    let state_id = need(op.state_id, "payinStateID")?;
    let id = parse_state_id(&state_id).ok_or_else(|| {
        value_error(
            &format!("operations[{i}].payinStateID"),
            "expected a non-negative integer state id",
            body,
        )
    })?;
    let state_text = op.state.map(|s| s.0);
    Ok(StatusOperation {
        state: PayinState::from_id(id, state_text.as_deref()),
        state_text,
        amount_text: need(op.amount, "payinAmount")?,
        currency: need(op.currency, "payinCurrency")?,
        merchant_operation_number: need(op.operation_number, "payinMerchantOperationNumber")?,
        payin_id: op.payin_id.map(|s| s.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::GatewayRejection;
    use crate::monnet::Environment;
    use crate::secret::MonnetKey;
    use proptest::prelude::*;
    use time::macros::date;

    const KEY: &str = "k3y-Mönnet-s3cr3t";
    const TODAY: Date = date!(2025 - 07 - 15);

    fn config() -> Config {
        Config::new("4001", KEY, Environment::Certification).unwrap()
    }

    #[test]
    fn by_operation_number() {
        let p = prepare_status_query(&config(), &StatusQuery::by_operation_number("ORD-1"), TODAY)
            .unwrap();
        assert_eq!(p.method(), Method::POST);
        assert_eq!(
            p.url().as_str(),
            "https://cert.monnetpayments.com/ms-experience-payin/merchant/4001/operations"
        );
        let pinned = include_str!("../../testdata/monnet/verification/authorization.sha256");
        assert_eq!(p.header("authorization"), Some(pinned.trim()));
        assert_eq!(p.header("content-type"), Some("application/json"));
        assert_eq!(p.body(), br#"{"payinMerchantOperationNumber":"ORD-1"}"#);
        let dbg = format!("{p:?}");
        assert!(!dbg.contains(KEY) && !dbg.contains(pinned.trim()));
    }

    #[test]
    fn by_range_and_both() {
        let q = StatusQuery::by_date_range(date!(2025 - 07 - 01), date!(2025 - 07 - 14));
        let p = prepare_status_query(&config(), &q, TODAY).unwrap();
        assert_eq!(
            p.body(),
            br#"{"payinStartDate":"2025-07-01","payinEndDate":"2025-07-14"}"#
        );
        let q = StatusQuery {
            operation_number: Some("A\"1".into()),
            ..q
        };
        let cfg = Config::new("4001", KEY, Environment::Production).unwrap();
        let p = prepare_status_query(&cfg, &q, TODAY).unwrap();
        assert_eq!(
            p.body(),
            br#"{"payinMerchantOperationNumber":"A\"1","payinStartDate":"2025-07-01","payinEndDate":"2025-07-14"}"#
        );
        assert_eq!(
            p.url().as_str(),
            "https://apiin.monnetpayments.com/ms-experience-payin/merchant/4001/operations"
        );
        // A single day, the day before today.
        let q = StatusQuery::by_date_range(date!(2025 - 07 - 14), date!(2025 - 07 - 14));
        assert!(prepare_status_query(&config(), &q, TODAY).is_ok());
    }

    #[test]
    fn rules_name_the_field() {
        let check = |q: StatusQuery| {
            let e = prepare_status_query(&config(), &q, TODAY).unwrap_err();
            (e.field().to_owned(), e.rule().clone())
        };
        let (f, r) = check(StatusQuery::default());
        assert_eq!(f, "payinMerchantOperationNumber");
        assert!(matches!(r, Rule::Combination(_)));
        assert_eq!(
            check(StatusQuery::by_operation_number(" ")),
            ("payinMerchantOperationNumber".into(), Rule::Required)
        );
        assert_eq!(
            check(StatusQuery::by_operation_number("x".repeat(51))),
            (
                "payinMerchantOperationNumber".into(),
                Rule::TooLong { max: 50 }
            )
        );
        let (f, r) = check(StatusQuery {
            start_date: Some(date!(2025 - 07 - 01)),
            ..StatusQuery::by_operation_number("A")
        });
        assert_eq!(f, "payinEndDate");
        assert!(matches!(r, Rule::Combination(_)));
        let (f, r) = check(StatusQuery {
            end_date: Some(date!(2025 - 07 - 01)),
            ..StatusQuery::default()
        });
        assert_eq!(f, "payinStartDate");
        assert!(matches!(r, Rule::Combination(_)));
        for end in [TODAY, date!(2025 - 07 - 16)] {
            assert_eq!(
                check(StatusQuery::by_date_range(date!(2025 - 07 - 01), end)),
                ("payinEndDate".into(), Rule::DateInFuture)
            );
        }
        let (f, r) = check(StatusQuery::by_date_range(
            date!(2025 - 07 - 10),
            date!(2025 - 07 - 09),
        ));
        assert_eq!(f, "payinStartDate");
        assert!(matches!(r, Rule::Combination(_)));
        let (f, r) = check(StatusQuery::by_date_range(
            date!(-0001 - 01 - 01),
            date!(2025 - 07 - 09),
        ));
        assert_eq!(f, "payinStartDate");
        assert!(matches!(r, Rule::Format(_)));
        // The config was checked when built.
        let e = Config::new("x", KEY, Environment::Certification).unwrap_err();
        assert_eq!(e.field(), "payinMerchantID");
    }

    #[test]
    fn parses_operations_with_strings_or_numbers() {
        let body = r#"{"payinMerchantID":4001,"operations":[
            {"payinStateID":"5","payinState":"Autorizado","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-1","payinID":"99"},
            {"payinStateID":3,"payinState":"Expirado","payinAmount":150.0,"payinCurrency":"PEN","payinMerchantOperationNumber":2,"payinID":12345},
            {"payinStateID":12,"payinState":"Nuevo","payinAmount":"1","payinCurrency":"USD","payinMerchantOperationNumber":"X"}
        ]}"#;
        let r = parse_status_response(RawResponse::new(200, body)).unwrap();
        assert_eq!(r.merchant_id, "4001");
        assert_eq!(r.operations.len(), 3);
        let [a, b, c] = &r.operations[..] else {
            unreachable!()
        };
        assert_eq!(a.state, PayinState::Authorized);
        assert_eq!(a.amount_text, "150.00");
        assert_eq!(a.payin_id.as_deref(), Some("99"));
        assert_eq!(b.state, PayinState::Expired);
        assert_eq!(b.amount_text, "150.0");
        assert_eq!(b.amount(), Some(Amount::from_cents(15000)));
        assert_eq!(b.merchant_operation_number, "2");
        assert_eq!(b.payin_id.as_deref(), Some("12345"));
        assert_eq!(
            c.state,
            PayinState::Unknown {
                id: 12,
                text: Some("Nuevo".into())
            }
        );
        assert_eq!(c.payin_id, None);
        let empty = parse_status_response(RawResponse::new(
            200,
            r#"{"payinMerchantID":"4001","operations":[]}"#,
        ))
        .unwrap();
        assert!(empty.operations.is_empty());
    }

    #[test]
    fn errors() {
        let parse = |status, body: &str| parse_status_response(RawResponse::new(status, body));
        assert_eq!(
            parse(
                401,
                r#"{"payinErrorCode":"0401","payinErrorMessage":"No autorizado"}"#
            )
            .unwrap_err(),
            ResponseError::Rejected(GatewayRejection {
                code: "0401".into(),
                message: "No autorizado".into(),
                http_status: 401
            })
        );
        assert!(matches!(
            parse(200, r#"{"payinErrorCode":"0002","payinErrorMessage":"x"}"#).unwrap_err(),
            ResponseError::Rejected(_)
        ));
        for body in ["", "<html/>", "{}"] {
            assert!(matches!(
                parse(500, body).unwrap_err(),
                ResponseError::Parse(ParseError::HttpStatus { status: 500, .. })
            ));
        }
        assert_eq!(
            parse(200, " ").unwrap_err(),
            ResponseError::Parse(ParseError::EmptyBody { status: 200 })
        );
        for (body, path) in [
            ("<html/>", "."),
            (r#"["1",[]]"#, "."),
            (r#"{"operations":[]}"#, "payinMerchantID"),
            (r#"{"payinMerchantID":"1"}"#, "operations"),
            (r#"{"payinMerchantID":"1","operations":{}}"#, "operations"),
            (
                r#"{"payinMerchantID":"1","operations":[{}]}"#,
                "operations[0].payinStateID",
            ),
            (
                r#"{"payinMerchantID":"1","operations":[{"payinStateID":"x","payinAmount":"1","payinCurrency":"PEN","payinMerchantOperationNumber":"a"}]}"#,
                "operations[0].payinStateID",
            ),
            (
                r#"{"payinMerchantID":"1","operations":[{"payinStateID":1,"payinCurrency":"PEN","payinMerchantOperationNumber":"a"}]}"#,
                "operations[0].payinAmount",
            ),
            (
                r#"{"payinMerchantID":"1","operations":[{"payinStateID":1,"payinAmount":"1","payinCurrency":"PEN","payinMerchantOperationNumber":"a"},{"payinStateID":true}]}"#,
                "operations[1].payinStateID",
            ),
        ] {
            let e = parse(200, body).unwrap_err();
            let ResponseError::Parse(p) = &e else {
                panic!("{body}: {e:?}")
            };
            assert_eq!(p.path(), Some(path), "{body}: {e:?}");
            assert!(!format!("{e:?}{e}").contains(KEY));
        }
    }

    #[test]
    fn debug_never_shows_key() {
        let _ = MonnetKey::new(KEY);
        let q = StatusQuery::by_operation_number("A");
        assert!(!format!("{q:?}{:?}", config()).contains(KEY));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn never_panics_on_bytes(status in 0u16..1000, body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_status_response(RawResponse::new(status, body));
        }

        #[test]
        fn never_panics_on_jsonish(body in r#"\{"payinMerchantID":("1"|1|null),"operations":\[(\{("(payinStateID|payinAmount|payinCurrency|payinMerchantOperationNumber|payinID)":("[^"]{0,6}"|-?[0-9.e]{1,6}|null|true|\[\]),?){0,5}\},?){0,3}\]\}"#) {
            let _ = parse_status_response(RawResponse::new(200, body));
        }

        #[test]
        fn prepare_never_panics(op in proptest::option::of("\\PC{0,60}"),
                                start in proptest::option::of(-100_000i32..100_000),
                                end in proptest::option::of(-100_000i32..100_000)) {
            let day = |o: i32| TODAY.checked_add(time::Duration::days(i64::from(o)));
            let q = StatusQuery {
                operation_number: op,
                start_date: start.and_then(day),
                end_date: end.and_then(day),
            };
            let _ = prepare_status_query(&config(), &q, TODAY);
        }
    }
}
