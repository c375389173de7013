//! Monnet requests as the gateway takes them (GATEWAYS.md, "Monnet").
//!
//! The create body is read as a flat JSON object of strings and numbers
//! (numbers kept with their exact text), never through the SDK's types.
//! "Required" in Monnet's table means *present*: every field of the seed's
//! table must be there, and only the fields GATEWAYS.md lists under "Which
//! fields may be empty" may be `""`. Refusals carry Monnet's documented
//! code where the docs give one (`0001`–`0026`), else the simulator's own
//! (`0090`–`0096`, see [`crate::codes::monnet`]).

use std::collections::HashMap;

use serde_json::value::RawValue;
use time::Date;

use super::{hex_matches, parse_date, sha256_hex, sha512_hex};
use crate::codes::monnet as code;

/// Every field of the seed's create table, in its order: all must be sent.
pub(crate) const CREATE_FIELDS: [&str; 43] = [
    "payinMerchantID",
    "payinAmount",
    "payinCurrency",
    "payinMerchantOperationNumber",
    "payinMethod",
    "payinVerification",
    "payinTransactionOKURL",
    "payinTransactionErrorURL",
    "payinExpirationTime",
    "payinLanguage",
    "payinCustomerEmail",
    "payinCustomerName",
    "payinCustomerLastName",
    "payinCustomerTypeDocument",
    "payinCustomerDocument",
    "payinCustomerPhone",
    "payinCustomerAddress",
    "payinCustomerCity",
    "payinCustomerRegion",
    "payinCustomerCountry",
    "payinCustomerZipCode",
    "payinCustomerShippingName",
    "payinCustomerShippingPhone",
    "payinCustomerShippingAddress",
    "payinCustomerShippingCity",
    "payinCustomerShippingRegion",
    "payinCustomerShippingCountry",
    "payinCustomerShippingZipCode",
    "payinRegularCustomer",
    "payinCustomerID",
    "payinDiscountCoupon",
    "payinFilterBy",
    "payinProductID",
    "payinProductDescription",
    "payinProductAmount",
    "payinDateTime",
    "payinProductSku",
    "payinProductQuantity",
    "URLMonnet",
    "typePost",
    "payinPan",
    "payinCvv",
    "payinCardExpiration",
];

/// The transaction's own fields whose emptiness has a documented code
/// (`0001`–`0007`, one field each, as Monnet's error-code page lists them).
/// An empty `payinMethod` is an invalid processor code (`0008`).
const EMPTY_CODES: [(&str, &str); 7] = [
    ("payinMerchantID", code::EMPTY_MERCHANT_ID),
    ("payinAmount", code::EMPTY_AMOUNT),
    ("payinCurrency", code::EMPTY_CURRENCY),
    ("payinMerchantOperationNumber", code::EMPTY_OPERATION_NUMBER),
    ("payinVerification", code::EMPTY_VERIFICATION),
    ("payinTransactionErrorURL", code::EMPTY_ERROR_URL),
    ("payinTransactionOKURL", code::EMPTY_OK_URL),
];

/// The other fields that must not be empty: the four customer fields ("This
/// four fields must NOT be sent with empty values"), the product fields and
/// `payinDateTime` ("Can not be empty"), and the rest of the transaction.
const NEVER_EMPTY: [&str; 16] = [
    "payinCustomerName",
    "payinCustomerLastName",
    "payinCustomerEmail",
    "payinCustomerPhone",
    "payinProductID",
    "payinProductDescription",
    "payinProductAmount",
    "payinProductSku",
    "payinProductQuantity",
    "payinDateTime",
    "payinExpirationTime",
    "payinLanguage",
    "URLMonnet",
    "typePost",
    "payinPan",
    "payinCvv",
];

/// `payinCardExpiration` must not be empty either (checked with its format).
const CARD_EXPIRATION: &str = "payinCardExpiration";

/// Card methods.
const METHODS: [&str; 3] = ["TCTD", "TC", "TD"];
/// Currencies the simulated merchant is enabled for.
const ENABLED_CURRENCIES: [&str; 2] = ["PEN", "USD"];
/// The path `URLMonnet` must end with.
const URL_MONNET_PATH: &str = "/api-payin/v3/online-payments";

/// Why a request is refused: HTTP status, `payinErrorCode`, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

fn invalid(message: impl Into<String>) -> Refusal {
    refuse(400, code::INVALID_VALUE, message)
}

/// A flat body: field name → text (strings as their value, numbers as their
/// exact text). `null` counts as absent.
pub(crate) type Fields = HashMap<String, String>;

/// Reads a flat JSON object of strings and numbers.
pub(crate) fn fields(body: &[u8]) -> Result<Fields, Refusal> {
    let malformed = |detail: String| {
        refuse(
            400,
            code::MALFORMED_BODY,
            format!("malformed body: a JSON object of strings and numbers is expected: {detail}"),
        )
    };
    let raw: HashMap<String, Box<RawValue>> =
        serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let mut out = HashMap::with_capacity(raw.len());
    for (name, value) in raw {
        let text = value.get();
        match text.as_bytes().first() {
            Some(b'"') => {
                let s: String = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
                out.insert(name, s);
            }
            Some(b'-' | b'0'..=b'9') => {
                out.insert(name, text.to_owned());
            }
            _ if text == "null" => {}
            _ => {
                return Err(malformed(format!(
                    "`{name}` is neither a string nor a number"
                )));
            }
        }
    }
    Ok(out)
}

fn get<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map_or("", String::as_str)
}

/// `payinVerification`: lowercase hex SHA-512 of merchant id + operation
/// number + amount + currency + KeyMonnet, each exactly as sent.
pub(crate) fn payin_verification(
    merchant: &str,
    operation: &str,
    amount: &str,
    currency: &str,
    key: &str,
) -> String {
    sha512_hex(&format!("{merchant}{operation}{amount}{currency}{key}"))
}

/// The status query's `authorization`: lowercase hex SHA-256 of merchant id
/// + KeyMonnet.
pub(crate) fn authorization(merchant: &str, key: &str) -> String {
    sha256_hex(&format!("{merchant}{key}"))
}

/// Whether a status query's `authorization` header is right (hex in any case).
pub(crate) fn authorization_matches(given: &str, merchant: &str, key: &str) -> bool {
    hex_matches(given, &authorization(merchant, key))
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `150.00`: digits, a point, exactly two decimals, more than zero.
fn amount_ok(text: &str) -> bool {
    text.split_once('.').is_some_and(|(units, cents)| {
        digits(units)
            && units.len() <= 12
            && cents.len() == 2
            && digits(cents)
            && text.bytes().any(|b| (b'1'..=b'9').contains(&b))
    })
}

fn https_ok(text: &str) -> bool {
    text.chars().count() <= 250
        && url::Url::parse(text).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some())
}

fn email_ok(text: &str) -> bool {
    text.chars().count() <= 50
        && !text.contains(char::is_whitespace)
        && text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

fn card_expiration_ok(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && digits(&text[..4])
        && digits(&text[5..])
        && (1..=12).contains(&text[5..].parse::<u8>().unwrap_or(0))
}

/// Every check of the create call, in the order the simulator reports
/// them. `merchant_id` and `key` are the simulated merchant's.
pub(crate) fn create(fields: &Fields, merchant_id: &str, key: &str) -> Result<(), Refusal> {
    if let Some(missing) = CREATE_FIELDS.iter().find(|f| !fields.contains_key(**f)) {
        return Err(refuse(
            400,
            code::MISSING_FIELD,
            format!("missing field {missing}: every field is sent, optional ones as \"\""),
        ));
    }
    let text = |name: &str| get(fields, name);
    for (name, empty_code) in EMPTY_CODES {
        if text(name).trim().is_empty() {
            return Err(refuse(400, empty_code, format!("{name} is empty")));
        }
    }
    if text("payinMerchantID") != merchant_id {
        return Err(refuse(
            401,
            code::UNKNOWN_MERCHANT,
            format!("payinMerchantID {:?} is wrong", text("payinMerchantID")),
        ));
    }
    if let Some(empty) = NEVER_EMPTY
        .iter()
        .chain([&CARD_EXPIRATION])
        .find(|f| text(f).trim().is_empty())
    {
        return Err(refuse(
            400,
            code::EMPTY_FIELD,
            format!("{empty} must not be empty"),
        ));
    }
    if text("typePost") != "json" {
        return Err(invalid("invalid typePost: must be \"json\""));
    }
    let url_monnet = url::Url::parse(text("URLMonnet"))
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.path() == URL_MONNET_PATH);
    if !url_monnet {
        return Err(invalid(format!(
            "invalid URLMonnet: Monnet's online-payments endpoint (…{URL_MONNET_PATH})"
        )));
    }
    let amount = text("payinAmount");
    if !amount_ok(amount) {
        return Err(refuse(
            400,
            code::INVALID_AMOUNT,
            format!(
                "invalid payinAmount {amount:?}: more than zero with exactly two decimals, such as 150.00"
            ),
        ));
    }
    let currency = text("payinCurrency");
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(refuse(
            400,
            code::INVALID_CURRENCY,
            format!("invalid payinCurrency {currency:?}: an ISO 4217 code such as PEN"),
        ));
    }
    if !ENABLED_CURRENCIES.contains(&currency) {
        return Err(refuse(
            400,
            code::CURRENCY_NOT_ENABLED,
            format!("payinCurrency {currency} is not enabled for this merchant (PEN, USD)"),
        ));
    }
    let method = text("payinMethod");
    if !METHODS.contains(&method) {
        return Err(refuse(
            400,
            code::INVALID_METHOD,
            format!("invalid payinMethod {method:?}: TCTD, TC or TD"),
        ));
    }
    if !https_ok(text("payinTransactionOKURL")) {
        return Err(refuse(
            400,
            code::INVALID_OK_URL,
            "invalid payinTransactionOKURL: an https URL of at most 250 characters",
        ));
    }
    if !https_ok(text("payinTransactionErrorURL")) {
        return Err(refuse(
            400,
            code::INVALID_ERROR_URL,
            "invalid payinTransactionErrorURL: an https URL of at most 250 characters",
        ));
    }
    if text("payinMerchantOperationNumber").chars().count() > 50 {
        return Err(invalid(
            "invalid payinMerchantOperationNumber: at most 50 characters",
        ));
    }
    let minutes = text("payinExpirationTime");
    if !digits(minutes) || minutes.len() > 6 || minutes.bytes().all(|b| b == b'0') {
        return Err(invalid(format!(
            "invalid payinExpirationTime {minutes:?}: whole minutes"
        )));
    }
    let language = text("payinLanguage");
    if language.len() != 2 || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid(format!(
            "invalid payinLanguage {language:?}: an ISO 639-1 code such as ES"
        )));
    }
    for name in ["payinCustomerName", "payinCustomerLastName"] {
        if text(name).chars().count() > 30 {
            return Err(invalid(format!("invalid {name}: at most 30 characters")));
        }
    }
    if !email_ok(text("payinCustomerEmail")) {
        return Err(invalid(
            "invalid payinCustomerEmail: an email address of at most 50 characters",
        ));
    }
    let phone = text("payinCustomerPhone");
    if !digits(phone) || !(8..=9).contains(&phone.len()) {
        return Err(invalid(format!(
            "invalid payinCustomerPhone {phone:?}: 8 or 9 digits"
        )));
    }
    document(
        text("payinCustomerTypeDocument"),
        text("payinCustomerDocument"),
    )?;
    let pan = text("payinPan");
    if !digits(pan) || !(8..=19).contains(&pan.len()) {
        return Err(invalid("invalid payinPan: 8 to 19 digits"));
    }
    let cvv = text("payinCvv");
    if !digits(cvv) || !(3..=4).contains(&cvv.len()) {
        return Err(invalid("invalid payinCvv: 3 or 4 digits"));
    }
    if !card_expiration_ok(text(CARD_EXPIRATION)) {
        return Err(invalid(
            "invalid payinCardExpiration: YYYY-MM with a month 01 to 12",
        ));
    }
    let expected = payin_verification(
        text("payinMerchantID"),
        text("payinMerchantOperationNumber"),
        amount,
        currency,
        key,
    );
    if !hex_matches(text("payinVerification"), &expected) {
        return Err(refuse(
            401,
            code::BAD_VERIFICATION,
            "payinVerification is not the SHA-512 of payinMerchantID + payinMerchantOperationNumber + payinAmount + payinCurrency + KeyMonnet",
        ));
    }
    Ok(())
}

/// Document type and number: both may be empty; when either is set, both
/// must be, and the number must fit the type (Peru: DNI 8 digits, RUC 11
/// digits, CE and PAS up to 20 letters and digits).
fn document(kind: &str, number: &str) -> Result<(), Refusal> {
    let (kind, number) = (kind.trim(), number.trim());
    if !kind.is_empty() && !["DNI", "CE", "RUC", "PAS"].contains(&kind) {
        return Err(refuse(
            400,
            code::INVALID_DOCUMENT_TYPE,
            format!("invalid payinCustomerTypeDocument {kind:?}: DNI, CE, RUC or PAS"),
        ));
    }
    match (kind.is_empty(), number.is_empty()) {
        (true, true) => return Ok(()),
        (true, false) => {
            return Err(refuse(
                400,
                code::EMPTY_DOCUMENT_TYPE,
                "payinCustomerTypeDocument is empty while payinCustomerDocument is set",
            ));
        }
        (false, true) => {
            return Err(refuse(
                400,
                code::EMPTY_DOCUMENT,
                "payinCustomerDocument is empty while payinCustomerTypeDocument is set",
            ));
        }
        (false, false) => {}
    }
    match kind {
        "DNI" if !(digits(number) && number.len() == 8) => Err(refuse(
            400,
            code::INVALID_DNI,
            "invalid payinCustomerDocument: a DNI is 8 digits",
        )),
        "RUC" if !(digits(number) && number.len() == 11) => Err(refuse(
            400,
            code::INVALID_DOCUMENT,
            "invalid payinCustomerDocument: a RUC is 11 digits",
        )),
        "CE" | "PAS"
            if !(number.len() <= 20 && number.bytes().all(|b| b.is_ascii_alphanumeric())) =>
        {
            Err(refuse(
                400,
                code::INVALID_DOCUMENT,
                format!("invalid payinCustomerDocument: a {kind} is up to 20 letters and digits"),
            ))
        }
        _ => Ok(()),
    }
}

/// A status query the gateway accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusQuery {
    /// The operation asked for, if any.
    pub(crate) operation_number: Option<String>,
    /// The Peru-date range asked for, if any (both ends included).
    pub(crate) range: Option<(Date, Date)>,
}

/// Checks a status-query body at Peru date `today`: an operation number, or
/// an empty one with `payinStartDate` and `payinEndDate` (`YYYY-MM-DD`),
/// the start date before today.
pub(crate) fn status_query(fields: &Fields, today: Date) -> Result<StatusQuery, Refusal> {
    let operation_number = fields
        .get("payinMerchantOperationNumber")
        .filter(|op| !op.trim().is_empty())
        .cloned();
    let date = |name: &str| match fields.get(name).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(text) => parse_date(text)
            .map(Some)
            .ok_or_else(|| invalid(format!("invalid {name} {text:?}: YYYY-MM-DD"))),
    };
    let (start, end) = (date("payinStartDate")?, date("payinEndDate")?);
    let range = match (start, end) {
        (None, None) => None,
        (Some(start), Some(end)) => {
            if start >= today {
                return Err(invalid(format!(
                    "invalid payinStartDate {start}: can't be today or later (yesterday or earlier)"
                )));
            }
            if end < start {
                return Err(invalid(format!(
                    "invalid payinEndDate {end}: before payinStartDate {start}"
                )));
            }
            Some((start, end))
        }
        (Some(_), None) => {
            return Err(refuse(
                400,
                code::MISSING_FIELD,
                "missing field payinEndDate: a date range needs both dates",
            ));
        }
        (None, Some(_)) => {
            return Err(refuse(
                400,
                code::MISSING_FIELD,
                "missing field payinStartDate: a date range needs both dates",
            ));
        }
    };
    if operation_number.is_none() && range.is_none() {
        return Err(refuse(
            400,
            code::MISSING_FIELD,
            "missing field payinMerchantOperationNumber: or an empty one with payinStartDate and payinEndDate",
        ));
    }
    Ok(StatusQuery {
        operation_number,
        range,
    })
}

/// The Spanish name Monnet gives a state id in notifications.
pub(crate) fn state_name(id: u32) -> &'static str {
    match id {
        1 => "Creado",
        2 => "Pendiente de pago",
        3 => "Expirado",
        5 => "Autorizado",
        6 => "Denegado",
        9 => "Liquidado",
        10 => "Reembolsado",
        11 => "Devuelto",
        _ => "Desconocido",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const KEY: &str = "TEST-ONLY-key";

    fn good() -> Fields {
        let mut f: Fields = CREATE_FIELDS
            .iter()
            .map(|n| ((*n).to_owned(), String::new()))
            .collect();
        for (k, v) in [
            ("payinMerchantID", "4001"),
            ("payinAmount", "150.00"),
            ("payinCurrency", "PEN"),
            ("payinMerchantOperationNumber", "ORD-1"),
            ("payinMethod", "TCTD"),
            ("payinTransactionOKURL", "https://shop.pe/ok"),
            ("payinTransactionErrorURL", "https://shop.pe/ko"),
            ("payinExpirationTime", "30"),
            ("payinLanguage", "ES"),
            ("payinCustomerEmail", "ana@shop.pe"),
            ("payinCustomerName", "Ana"),
            ("payinCustomerLastName", "Quispe"),
            ("payinCustomerPhone", "987654321"),
            ("payinProductID", "P1"),
            ("payinProductDescription", "Polo"),
            ("payinProductAmount", "150.00"),
            ("payinDateTime", "2025-01-01"),
            ("payinProductSku", "SKU1"),
            ("payinProductQuantity", "1"),
            (
                "URLMonnet",
                "https://cert.monnetpayments.com/api-payin/v3/online-payments",
            ),
            ("typePost", "json"),
            ("payinPan", "4111111111111111"),
            ("payinCvv", "123"),
            ("payinCardExpiration", "2030-12"),
        ] {
            f.insert(k.into(), v.into());
        }
        rehash(&mut f);
        f
    }

    fn rehash(f: &mut Fields) {
        let h = payin_verification(
            get(f, "payinMerchantID"),
            get(f, "payinMerchantOperationNumber"),
            get(f, "payinAmount"),
            get(f, "payinCurrency"),
            KEY,
        );
        f.insert("payinVerification".into(), h);
    }

    fn code_of(f: &Fields) -> &'static str {
        create(f, "4001", KEY).map_or_else(|r| r.code, |()| code::SUCCESS)
    }

    #[test]
    fn empty_optional_fields_are_accepted() {
        // No document, no address, no shipping, no coupon: all "".
        assert_eq!(code_of(&good()), code::SUCCESS);
    }

    #[test]
    fn each_documented_empty_field_has_its_code() {
        for (field, expected) in EMPTY_CODES {
            let mut f = good();
            f.insert(field.into(), String::new());
            assert_eq!(code_of(&f), expected, "{field}");
        }
    }

    #[test]
    fn never_empty_fields_are_refused_when_empty() {
        for field in NEVER_EMPTY.iter().chain([&CARD_EXPIRATION]) {
            let mut f = good();
            f.insert((*field).into(), " ".into());
            let r = create(&f, "4001", KEY).unwrap_err();
            assert_eq!(r.code, code::EMPTY_FIELD, "{field}");
            assert!(r.message.contains(field), "{field}: {}", r.message);
        }
    }

    #[test]
    fn every_value_rule_has_its_code_and_names_its_field() {
        let long_email = format!("{}@shop.pe", "a".repeat(43));
        let long_name = "a".repeat(31);
        let cases: [(&str, &str, &str); 22] = [
            ("payinAmount", "150.0", code::INVALID_AMOUNT),
            ("payinAmount", "0.00", code::INVALID_AMOUNT),
            ("payinAmount", "1,50.00", code::INVALID_AMOUNT),
            ("payinCurrency", "soles", code::INVALID_CURRENCY),
            ("payinCurrency", "EUR", code::CURRENCY_NOT_ENABLED),
            ("payinMethod", "QR", code::INVALID_METHOD),
            (
                "payinTransactionOKURL",
                "http://shop.pe/ok",
                code::INVALID_OK_URL,
            ),
            (
                "payinTransactionErrorURL",
                "shop.pe",
                code::INVALID_ERROR_URL,
            ),
            ("payinMerchantID", "4002", code::UNKNOWN_MERCHANT),
            (
                "payinCustomerTypeDocument",
                "LIC",
                code::INVALID_DOCUMENT_TYPE,
            ),
            ("payinCustomerTypeDocument", "DNI", code::EMPTY_DOCUMENT),
            (
                "payinCustomerDocument",
                "12345678",
                code::EMPTY_DOCUMENT_TYPE,
            ),
            ("payinCustomerEmail", &long_email, code::INVALID_VALUE),
            ("payinCustomerPhone", "1234567", code::INVALID_VALUE),
            ("payinCustomerName", &long_name, code::INVALID_VALUE),
            ("payinLanguage", "ESP", code::INVALID_VALUE),
            ("payinExpirationTime", "thirty", code::INVALID_VALUE),
            ("payinPan", "1234", code::INVALID_VALUE),
            ("payinCvv", "12", code::INVALID_VALUE),
            ("payinCardExpiration", "2030-13", code::INVALID_VALUE),
            ("typePost", "xml", code::INVALID_VALUE),
            ("URLMonnet", "https://evil.example/x", code::INVALID_VALUE),
        ];
        for (field, value, expected) in cases {
            let mut f = good();
            f.insert(field.into(), value.to_owned());
            rehash(&mut f);
            let r = create(&f, "4001", KEY).unwrap_err();
            assert_eq!(r.code, expected, "{field}={value}: {}", r.message);
            assert!(r.message.contains(field), "{field}: {}", r.message);
        }
    }

    #[test]
    fn documents_fit_their_type() {
        for (kind, number, expected) in [
            ("DNI", "12345678", code::SUCCESS),
            ("DNI", "1234567", code::INVALID_DNI),
            ("RUC", "20123456789", code::SUCCESS),
            ("RUC", "2012345678", code::INVALID_DOCUMENT),
            ("CE", "X1234567", code::SUCCESS),
            ("PAS", "A-1", code::INVALID_DOCUMENT),
        ] {
            let mut f = good();
            f.insert("payinCustomerTypeDocument".into(), kind.into());
            f.insert("payinCustomerDocument".into(), number.into());
            assert_eq!(code_of(&f), expected, "{kind} {number}");
        }
    }

    #[test]
    fn the_hash_covers_the_fields_as_sent() {
        let mut f = good();
        f.insert("payinAmount".into(), "151.00".into());
        assert_eq!(code_of(&f), code::BAD_VERIFICATION);
        let mut f = good();
        let upper = get(&f, "payinVerification").to_uppercase();
        f.insert("payinVerification".into(), upper);
        assert_eq!(code_of(&f), code::SUCCESS, "hex case does not matter");
    }

    #[test]
    fn a_missing_field_is_named() {
        let mut f = good();
        f.remove("payinFilterBy");
        let r = create(&f, "4001", KEY).unwrap_err();
        assert_eq!(
            (r.code, r.message.contains("payinFilterBy")),
            (code::MISSING_FIELD, true)
        );
    }

    #[test]
    fn bodies_keep_number_text_and_drop_nulls() {
        let f = fields(br#"{"a":"x","b":30,"c":150.00,"d":null}"#).unwrap();
        assert_eq!(
            (get(&f, "a"), get(&f, "b"), get(&f, "c")),
            ("x", "30", "150.00")
        );
        assert!(!f.contains_key("d"));
        for bad in [&br#"{"a":true}"#[..], br#"{"a":{}}"#, b"[]", b"", b"nope"] {
            assert_eq!(fields(bad).unwrap_err().code, code::MALFORMED_BODY);
        }
    }

    #[test]
    fn status_query_dates() {
        let today = date!(2025 - 06 - 10);
        let q = |pairs: &[(&str, &str)]| {
            let f: Fields = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            status_query(&f, today)
        };
        let ok = q(&[("payinMerchantOperationNumber", "X1")]).unwrap();
        assert_eq!(ok.operation_number.as_deref(), Some("X1"));
        let listed = q(&[
            ("payinMerchantOperationNumber", ""),
            ("payinStartDate", "2025-06-09"),
            ("payinEndDate", "2025-06-10"),
        ])
        .unwrap();
        assert_eq!(listed.range, Some((date!(2025 - 06 - 09), today)));
        assert_eq!(listed.operation_number, None);
        let start_today = q(&[
            ("payinStartDate", "2025-06-10"),
            ("payinEndDate", "2025-06-10"),
        ]);
        assert!(start_today.unwrap_err().message.contains("payinStartDate"));
        assert_eq!(q(&[]).unwrap_err().code, code::MISSING_FIELD);
        assert_eq!(
            q(&[("payinStartDate", "2025-06-01")]).unwrap_err().code,
            code::MISSING_FIELD
        );
        assert_eq!(
            q(&[
                ("payinStartDate", "2025/06/01"),
                ("payinEndDate", "2025-06-02")
            ])
            .unwrap_err()
            .code,
            code::INVALID_VALUE
        );
        assert!(
            q(&[
                ("payinStartDate", "2025-06-05"),
                ("payinEndDate", "2025-06-01")
            ])
            .is_err()
        );
    }

    #[test]
    fn authorization_is_sha256_hex() {
        let a = authorization("4001", KEY);
        assert_eq!(a, sha256_hex("4001TEST-ONLY-key"));
        assert!(authorization_matches(&a.to_uppercase(), "4001", KEY));
        assert!(!authorization_matches(&"0".repeat(64), "4001", KEY));
    }
}
