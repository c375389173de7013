//! The status query: what Monnet says happened to your operations.

use time::Date;

use crate::error::{ParseError, ResponseError, Rule, ValidationError};
use crate::http::{Method, PreparedRequest, RawResponse};
use crate::json::value_error;
use crate::money::{Currency, Money};
use crate::validate;

use super::amount::parse_wire_amount;
use super::environment::Config;
use super::response::{non_success, parse_failure, rejection};
use super::schema::{Field, FieldType, Presence, Read, read_body, read_element};
use super::state::{PayinState, parse_state_id};
use super::verification::status_authorization;
use crate::json_writer::ObjectWriter;

/// The status query request's schema, in the order sent.
pub const STATUS_QUERY_REQUEST: &[Field] = &[
    Field::new(
        "payinMerchantOperationNumber",
        "operation_number",
        Presence::MayBeEmpty,
        FieldType::Text,
        "1 to 50 characters; \"\" with a date range lists the range's operations",
    ),
    Field::new(
        "payinStartDate",
        "date_range.0",
        Presence::Optional,
        FieldType::Date,
        "YYYY-MM-DD, before today (the start date can't be today); sent with payinEndDate",
    ),
    Field::new(
        "payinEndDate",
        "date_range.1",
        Presence::Optional,
        FieldType::Date,
        "YYYY-MM-DD, not before payinStartDate; sent with payinStartDate",
    ),
];

/// The status query response's schema. Fields not listed are ignored.
pub const STATUS_QUERY_RESPONSE: &[Field] = &[
    Field::new(
        "payinMerchantID",
        "merchant_id",
        Presence::Required,
        FieldType::Integer,
        "the merchant id, as received",
    ),
    Field::new(
        "operations",
        "operations",
        Presence::Required,
        FieldType::Array,
        "the operations found (STATUS_OPERATION each), possibly none",
    )
    .with_nested(STATUS_OPERATION),
    Field::new(
        "payinErrorCode",
        "(rejection)",
        Presence::Optional,
        FieldType::Text,
        "a rejection when present and not 0000",
    ),
    Field::new(
        "payinErrorMessage",
        "(rejection)",
        Presence::Optional,
        FieldType::Text,
        "the rejection's message",
    ),
];

/// The schema of one element of `operations`. Numbers arrive as strings;
/// JSON numbers are read as their text.
pub const STATUS_OPERATION: &[Field] = &[
    Field::new(
        "payinStateID",
        "state",
        Presence::Required,
        FieldType::Integer,
        "a state id; matched on the id, never the name",
    ),
    Field::new(
        "payinState",
        "state_name",
        Presence::Optional,
        FieldType::Text,
        "the state's name (upper case here, AUTORIZADO; mixed case in notifications)",
    ),
    Field::new(
        "payinAmount",
        "amount_text",
        Presence::Required,
        FieldType::Decimal,
        "the amount, as received",
    ),
    Field::new(
        "payinCurrency",
        "currency",
        Presence::Required,
        FieldType::Text,
        "ISO 4217, as received",
    ),
    Field::new(
        "payinMerchantOperationNumber",
        "merchant_operation_number",
        Presence::Required,
        FieldType::Text,
        "your operation number",
    ),
    Field::new(
        "payinID",
        "payin_id",
        Presence::Optional,
        FieldType::Text,
        "Monnet's id for the operation",
    ),
];

/// What to ask about: one operation number, a date range (all operations
/// in it), or both.
///
/// Rules, checked by [`validate`](Self::validate) and
/// [`prepare_status_query`] against the date you pass as today: the
/// operation number is 1 to 50 characters; the start date is before today
/// and not after the end date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusQuery {
    operation_number: Option<String>,
    date_range: Option<(Date, Date)>,
}

impl StatusQuery {
    /// The operations with this merchant operation number.
    pub fn by_operation_number(operation_number: impl Into<String>) -> Self {
        Self {
            operation_number: Some(operation_number.into()),
            date_range: None,
        }
    }

    /// Every operation from `start` to `end`, both inclusive (sent with an
    /// empty `payinMerchantOperationNumber`).
    pub fn by_date_range(start: Date, end: Date) -> Self {
        Self {
            operation_number: None,
            date_range: Some((start, end)),
        }
    }

    /// Restricts the query to `start..=end` as well.
    pub fn with_date_range(mut self, start: Date, end: Date) -> Self {
        self.date_range = Some((start, end));
        self
    }

    /// `payinMerchantOperationNumber`, if asked about.
    pub fn operation_number(&self) -> Option<&str> {
        self.operation_number.as_deref()
    }

    /// `payinStartDate` and `payinEndDate`, if asked about.
    pub fn date_range(&self) -> Option<(Date, Date)> {
        self.date_range
    }

    /// Checks the query's rules against `today` (the merchant's date).
    pub fn validate(&self, today: Date) -> Result<(), ValidationError> {
        let err = |field: &'static str, rule| Err(ValidationError::new(field, rule));
        if let Some(op) = &self.operation_number {
            if op.trim().is_empty() {
                return err("payinMerchantOperationNumber", Rule::Required);
            }
            validate::max_chars("payinMerchantOperationNumber", op, 50)?;
        }
        let Some((start, end)) = self.date_range else {
            return Ok(());
        };
        for (field, d) in [("payinStartDate", start), ("payinEndDate", end)] {
            if !(0..=9999).contains(&d.year()) {
                return err(field, Rule::Format("a date in years 0000 to 9999".into()));
            }
        }
        // GATEWAYS.md, "Status query": "the start date can't be today
        // (yesterday or earlier)". An earlier version restricted the end
        // date instead; the end date may be today.
        if start >= today {
            return err("payinStartDate", Rule::DateInFuture);
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

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Prepares the status query: `POST` to the environment's
/// `…/ms-experience-payin/merchant/{MID}/operations`, headers
/// `Content-Type: application/json` and `authorization` (lowercase hex
/// SHA-256 of merchant id + `KeyMonnet`), body by [`STATUS_QUERY_REQUEST`]:
/// `{"payinMerchantOperationNumber":"…"}`, plus
/// `"payinStartDate":"YYYY-MM-DD","payinEndDate":"YYYY-MM-DD"` for a range
/// (with `""` as the operation number when none was given).
///
/// `today` is the merchant's current date: the start date must be before it.
pub fn prepare_status_query(
    config: &Config,
    query: &StatusQuery,
    today: Date,
) -> Result<PreparedRequest, ValidationError> {
    query.validate(today)?;
    let url = config.status_url().clone();
    let range = query.date_range.map(|(s, e)| (ymd(s), ymd(e)));
    let mut w = ObjectWriter::with_capacity(128);
    for field in STATUS_QUERY_REQUEST {
        let value = match (field.wire, &range) {
            ("payinMerchantOperationNumber", _) => query.operation_number.as_deref().unwrap_or(""),
            ("payinStartDate", Some((start, _))) => start,
            ("payinEndDate", Some((_, end))) => end,
            _ => continue,
        };
        w.string(field.wire, value);
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
        w.finish().into_bytes(),
    )
    // The hash never expires: keep it out of snapshots and logs of wire text.
    .with_masked_headers(vec!["authorization"]))
}

/// Monnet's answer to a status query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusResponse {
    /// `payinMerchantID`, as received.
    pub merchant_id: String,
    /// `operations`, in the order received.
    pub operations: Vec<StatusOperation>,
}

/// One operation of a [`StatusResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusOperation {
    /// `payinStateID` as a state (matched on the id).
    pub state: PayinState,
    /// `payinState`: the state's name, as received.
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
    /// The amount, if the currency is three upper-case letters and the
    /// amount in a form Monnet sends (digits without a leading zero, at
    /// most two decimals).
    pub fn amount(&self) -> Option<Money> {
        let currency = Currency::new(&self.currency).ok()?;
        parse_wire_amount(&self.amount_text, currency)
    }
}

/// Parses the answer to [`prepare_status_query`], by
/// [`STATUS_QUERY_RESPONSE`] and [`STATUS_OPERATION`].
///
/// A body with a `payinErrorCode` other than `"0000"` is a
/// [`ResponseError::Rejected`]; a non-2xx status without one is
/// [`ParseError::HttpStatus`]; anything not shaped like
/// `{"payinMerchantID", "operations": [...]}` is a [`ParseError`] naming
/// the JSON path (`operations[2].payinStateID`). Numeric fields may be JSON
/// strings or numbers; their text is kept as received. Unknown fields are
/// ignored.
pub fn parse_status_response(raw: impl Into<RawResponse>) -> Result<StatusResponse, ResponseError> {
    let raw: RawResponse = raw.into();
    if !raw.is_success() {
        return Err(non_success(&raw));
    }
    let body = raw.body.as_slice();
    let failure = |f| parse_failure(raw.status, body, f);
    // A rejection may come without the success fields: look for one first.
    if let Ok(mut fields) = read_body(body, super::response::CREATE_RESPONSE) {
        let code = fields.text("payinErrorCode");
        let message = fields.text("payinErrorMessage");
        if let Some(r) = rejection(code.as_deref(), message.as_deref(), raw.status) {
            return Err(r.into());
        }
    }
    let mut read = read_body(body, STATUS_QUERY_RESPONSE).map_err(failure)?;
    let merchant_id = read.text("payinMerchantID").unwrap_or_default();
    let operations = read
        .array("operations")
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let op = read_element(raw, STATUS_OPERATION, format!("operations[{i}]."))
                .map_err(failure)?;
            operation(i, op, body)
        })
        .collect::<Result<Vec<_>, ParseError>>()?;
    Ok(StatusResponse {
        merchant_id,
        operations,
    })
}

fn operation(i: usize, mut op: Read<'_>, body: &[u8]) -> Result<StatusOperation, ParseError> {
    let state_id = op.text("payinStateID").unwrap_or_default();
    let id = parse_state_id(&state_id).ok_or_else(|| {
        value_error(
            &format!("operations[{i}].payinStateID"),
            "expected a non-negative integer state id",
            body,
        )
    })?;
    let state_text = op.text("payinState");
    Ok(StatusOperation {
        state: PayinState::from_id(id, state_text.as_deref()),
        state_text,
        amount_text: op.text("payinAmount").unwrap_or_default(),
        currency: op.text("payinCurrency").unwrap_or_default(),
        merchant_operation_number: op.text("payinMerchantOperationNumber").unwrap_or_default(),
        payin_id: op.text("payinID"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confirm::{ExpectedOperation, NotConfirmed, Seen};
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
        // An empty operation number with a range lists the range.
        assert_eq!(
            p.body(),
            br#"{"payinMerchantOperationNumber":"","payinStartDate":"2025-07-01","payinEndDate":"2025-07-14"}"#
        );
        let q = StatusQuery::by_operation_number("A\"1")
            .with_date_range(date!(2025 - 07 - 01), date!(2025 - 07 - 14));
        assert_eq!(q.operation_number(), Some("A\"1"));
        assert_eq!(
            q.date_range(),
            Some((date!(2025 - 07 - 01), date!(2025 - 07 - 14)))
        );
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
        // The start date may be yesterday and the end date today or later.
        for end in [date!(2025 - 07 - 14), TODAY, date!(2025 - 07 - 20)] {
            let q = StatusQuery::by_date_range(date!(2025 - 07 - 14), end);
            assert!(prepare_status_query(&config(), &q, TODAY).is_ok(), "{end}");
        }
        let names: Vec<_> = STATUS_QUERY_REQUEST.iter().map(|f| f.wire).collect();
        assert_eq!(
            names,
            [
                "payinMerchantOperationNumber",
                "payinStartDate",
                "payinEndDate"
            ]
        );
    }

    #[test]
    fn rules_name_the_field() {
        let check = |q: StatusQuery| {
            let e = prepare_status_query(&config(), &q, TODAY).unwrap_err();
            (e.field().to_owned(), e.rule().clone())
        };
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
        assert!(
            prepare_status_query(
                &config(),
                &StatusQuery::by_operation_number("ñ".repeat(50)),
                TODAY
            )
            .is_ok()
        );
        // payinStartDate can't be today (nor later).
        for start in [TODAY, date!(2025 - 07 - 16)] {
            assert_eq!(
                check(StatusQuery::by_date_range(start, date!(2025 - 07 - 20))),
                ("payinStartDate".into(), Rule::DateInFuture)
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
        assert_eq!(b.amount(), Some(Money::pen(15000)));
        assert_eq!(
            b.compare_with_record(&ExpectedOperation::new("2", Money::pen(15000))),
            Ok(())
        );
        assert_eq!(
            a.compare_with_record(&ExpectedOperation::new("ORD-1", Money::pen(1))),
            Err(NotConfirmed::AmountDiffers {
                expected: "0.01".into(),
                found: "150.00".into(),
                seen: Seen::Gateway
            })
        );
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
            let mut q = match op {
                Some(op) => StatusQuery::by_operation_number(op),
                None => StatusQuery::by_date_range(TODAY, TODAY),
            };
            if let (Some(s), Some(e)) = (start.and_then(day), end.and_then(day)) {
                q = q.with_date_range(s, e);
            }
            let _ = prepare_status_query(&config(), &q, TODAY);
        }
    }
}
