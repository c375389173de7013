//! SmilePayz requests as the gateway takes them (GATEWAYS.md, "SmilePayz").
//!
//! Bodies are read as `serde_json::Value`, never through the SDK's types:
//!
//! - unset optionals may be absent, `null` or `""` (the Python, PHP, Go and
//!   C# demos send the last two);
//! - unknown fields are ignored (`area`, `productDetail`, the Go demo's
//!   empty `accountNo`/`bankName`, …);
//! - `tradeType` is `1` or `"1"` (the PHP and Python demos send a string);
//! - an empty `orderNo` or `tradeNo` beside a set one counts as absent;
//! - `payer` is mandatory with a non-empty `payer.name`; its id may be
//!   `identity` or `idNumber`;
//! - merchant ids are digits or `sandbox-` + digits.
//!
//! A body that is not JSON, lacks a mandatory field or has a value of the
//! wrong JSON type is *malformed*; a value of the right type that breaks a
//! rule is *invalid*. Both messages name the field by its JSON path.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// Create pay-in.
pub(crate) const PAY_IN_PATH: &str = "/v2.0/transaction/pay-in";
/// Inquiry status.
pub(crate) const INQUIRY_STATUS_PATH: &str = "/v2.0/inquiry-status";
/// Inquiry balance.
pub(crate) const INQUIRY_BALANCE_PATH: &str = "/v2.0/inquiry-balance";
/// `expiryPeriod` when none is sent, in seconds.
pub(crate) const DEFAULT_EXPIRY_SECS: u32 = 3600;

/// Peru payer id types (production page), and the staging docs' values for
/// the contested `idNumber` spelling.
const ID_TYPES: [&str; 8] = ["DNI", "CE", "PAS", "RUC", "NID", "FID", "PP", "TIN"];
/// Balance types an inquiry may ask for.
const BALANCE_TYPES: [&str; 2] = ["BALANCE", "AVAILABLE"];

/// Why a body is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not JSON of the call's shape: not an object, a mandatory field
    /// missing, a value of the wrong JSON type.
    Malformed(String),
    /// A value of the right type breaks a rule.
    Invalid(String),
}

/// A pay-in the gateway accepts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PayIn {
    pub(crate) order_no: String,
    pub(crate) purpose: String,
    pub(crate) merchant_id: String,
    pub(crate) merchant_name: Option<String>,
    pub(crate) sub_merchant_id: Option<String>,
    pub(crate) sub_merchant_name: Option<String>,
    /// Céntimos.
    pub(crate) amount: u64,
    pub(crate) currency: String,
    pub(crate) payment_method: String,
    pub(crate) expiry_period: u32,
    pub(crate) callback_url: Option<String>,
    pub(crate) redirect_url: Option<String>,
    /// The payer object as received, `null`s and empty strings left out.
    pub(crate) payer: Value,
}

/// An inquiry-status query the gateway accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusQuery {
    /// 1 pay-in, 2 pay-out.
    pub(crate) trade_type: u8,
    pub(crate) order_no: Option<String>,
    pub(crate) trade_no: Option<String>,
}

/// An inquiry-balance query the gateway accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BalanceQuery {
    pub(crate) account_no: String,
    pub(crate) balance_types: Vec<String>,
}

/// `X-TIMESTAMP|merchantSecret|body`, the bytes the merchant signs.
pub(crate) fn string_to_sign(timestamp: &str, secret: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + secret.len() + body.len() + 2);
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'|');
    message.extend_from_slice(secret.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    message
}

/// `X-SIGNATURE` decoded: standard base64 with padding, surrounding blanks
/// ignored.
pub(crate) fn decode_signature(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    (!text.is_empty())
        .then(|| STANDARD.decode(text).ok())
        .flatten()
}

/// A merchant id: digits (production, `20011`) or `sandbox-` + digits.
pub(crate) fn merchant_id_ok(id: &str) -> bool {
    let digits = id.strip_prefix("sandbox-").unwrap_or(id);
    !digits.is_empty() && digits.len() <= 32 && digits.bytes().all(|b| b.is_ascii_digit())
}

fn malformed(message: String) -> Refusal {
    Refusal::Malformed(message)
}

fn invalid(message: String) -> Refusal {
    Refusal::Invalid(message)
}

/// The body as a JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(
            "malformed body: a JSON object is expected".into(),
        )),
        Err(e) => Err(malformed(format!("malformed body: not JSON: {e}"))),
    }
}

/// One JSON object of the body, with the path its fields are named under.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

impl<'a> Fields<'a> {
    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The value unless absent or `null`.
    fn present(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An optional string: absent, `null` and `""` are unset.
    fn opt_str(&self, name: &str) -> Result<Option<&'a str>, Refusal> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(malformed(format!(
                "malformed body: `{}` must be a string",
                self.path(name)
            ))),
        }
    }

    /// A mandatory string: absent or `null` is malformed, `""` invalid.
    fn req_str(&self, name: &str) -> Result<&'a str, Refusal> {
        match self.present(name) {
            None => Err(malformed(format!(
                "malformed body: missing field `{}`",
                self.path(name)
            ))),
            Some(Value::String(s)) if s.trim().is_empty() => Err(invalid(format!(
                "invalid `{}`: must not be empty",
                self.path(name)
            ))),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(malformed(format!(
                "malformed body: `{}` must be a string",
                self.path(name)
            ))),
        }
    }

    /// A mandatory object.
    fn req_obj(&self, name: &str) -> Result<&'a Map<String, Value>, Refusal> {
        match self.present(name) {
            None => Err(malformed(format!(
                "malformed body: missing field `{}`",
                self.path(name)
            ))),
            Some(Value::Object(m)) => Ok(m),
            Some(_) => Err(malformed(format!(
                "malformed body: `{}` must be an object",
                self.path(name)
            ))),
        }
    }

    /// An optional whole number: absent, `null` and `""` are unset.
    fn opt_int(&self, name: &str) -> Result<Option<i64>, Refusal> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                malformed(format!(
                    "malformed body: `{}` must be a whole number",
                    self.path(name)
                ))
            }),
            Some(_) => Err(malformed(format!(
                "malformed body: `{}` must be a number",
                self.path(name)
            ))),
        }
    }
}

/// An absolute http(s) URL of at most 256 characters (GATEWAYS.md: "≤ 256
/// chars"; characters, not UTF-8 bytes, as for every other length here).
fn url_ok(text: &str) -> bool {
    text.chars().count() <= 256
        && url::Url::parse(text)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

fn email_ok(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn phone_ok(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A text the simulator keeps, at most `max` characters (the docs give no
/// maximum: the simulator's bound, the SDK's own limit where it has one).
fn at_most(name: &str, value: Option<&str>, max: usize) -> Result<(), Refusal> {
    match value {
        Some(text) if text.chars().count() > max => Err(invalid(format!(
            "invalid `{name}`: at most {max} characters"
        ))),
        _ => Ok(()),
    }
}

/// The payer fields the simulator reads and keeps (and sends back in
/// callbacks); any other field of `payer` is ignored, not kept.
const PAYER_FIELDS: [&str; 7] = [
    "name", "idType", "identity", "idNumber", "phone", "email", "address",
];

/// Checks a create pay-in body.
pub(crate) fn pay_in(body: &[u8]) -> Result<PayIn, Refusal> {
    let map = object(body)?;
    let top = Fields {
        map: &map,
        prefix: "",
    };
    let order_no = top.req_str("orderNo")?;
    if !(6..=32).contains(&order_no.len()) || !order_no.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid(format!(
            "invalid `orderNo`: 6 to 32 ASCII letters and digits, got {order_no:?}"
        )));
    }
    let purpose = top.req_str("purpose")?;
    if purpose.chars().count() > 64 {
        return Err(invalid(
            "invalid `purpose`: at most 64 characters".to_owned(),
        ));
    }
    let merchant = Fields {
        map: top.req_obj("merchant")?,
        prefix: "merchant",
    };
    let merchant_id = merchant.req_str("merchantId")?;
    if !merchant_id_ok(merchant_id) {
        return Err(invalid(format!(
            "invalid `merchant.merchantId`: digits or sandbox-<digits>, got {merchant_id:?}"
        )));
    }
    let merchant_name = merchant.opt_str("merchantName")?;
    let sub_merchant_id = merchant.opt_str("subMerchantId")?;
    let sub_merchant_name = merchant.opt_str("subMerchantName")?;
    for (name, value, max) in [
        ("merchant.merchantName", merchant_name, 128),
        ("merchant.subMerchantId", sub_merchant_id, 64),
        ("merchant.subMerchantName", sub_merchant_name, 128),
    ] {
        at_most(name, value, max)?;
    }
    let money = Fields {
        map: top.req_obj("money")?,
        prefix: "money",
    };
    let amount = match money.present("amount") {
        None => {
            return Err(malformed(
                "malformed body: missing field `money.amount`".into(),
            ));
        }
        Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
            (Some(amount), _) => amount,
            (None, Some(negative)) => {
                return Err(invalid(format!(
                    "invalid `money.amount`: 100 to 999999999 céntimos, got {negative}"
                )));
            }
            (None, None) => {
                return Err(malformed(
                    "malformed body: `money.amount` must be a whole number of céntimos".into(),
                ));
            }
        },
        Some(_) => {
            return Err(malformed(
                "malformed body: `money.amount` must be a number".into(),
            ));
        }
    };
    if !(100..=999_999_999).contains(&amount) {
        return Err(invalid(format!(
            "invalid `money.amount`: 100 to 999999999 céntimos, got {amount}"
        )));
    }
    let currency = money.req_str("currency")?;
    if currency != "PEN" {
        return Err(invalid(format!(
            "invalid `money.currency`: must be PEN, got {currency:?}"
        )));
    }
    let payer = payer(&top)?;
    let payment_method = top.req_str("paymentMethod")?;
    if !payment_method
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        || payment_method.len() > 32
    {
        return Err(invalid(format!(
            "invalid `paymentMethod`: a method code such as CASHIER_PE, got {payment_method:?}"
        )));
    }
    let expiry_period = match top.opt_int("expiryPeriod")? {
        None => DEFAULT_EXPIRY_SECS,
        Some(secs) => u32::try_from(secs)
            .ok()
            .filter(|s| (300..=86_400).contains(s))
            .ok_or_else(|| {
                invalid(format!(
                    "invalid `expiryPeriod`: 300 to 86400 seconds, got {secs}"
                ))
            })?,
    };
    let mut urls = [None, None];
    for (slot, name) in urls.iter_mut().zip(["redirectUrl", "callbackUrl"]) {
        if let Some(url) = top.opt_str(name)? {
            if !url_ok(url) {
                return Err(invalid(format!(
                    "invalid `{name}`: an absolute http(s) URL of at most 256 characters"
                )));
            }
            *slot = Some(url.to_owned());
        }
    }
    let [redirect_url, callback_url] = urls;
    // `area` is a number (Peru 15); the PHP and Node demos send it.
    match top.present("area") {
        None | Some(Value::Number(_)) => {}
        Some(Value::String(s)) if s.is_empty() || s.bytes().all(|b| b.is_ascii_digit()) => {}
        Some(_) => {
            return Err(malformed("malformed body: `area` must be a number".into()));
        }
    }
    Ok(PayIn {
        order_no: order_no.to_owned(),
        purpose: purpose.to_owned(),
        merchant_id: merchant_id.to_owned(),
        merchant_name: merchant_name.map(str::to_owned),
        sub_merchant_id: sub_merchant_id.map(str::to_owned),
        sub_merchant_name: sub_merchant_name.map(str::to_owned),
        amount,
        currency: currency.to_owned(),
        payment_method: payment_method.to_owned(),
        expiry_period,
        callback_url,
        redirect_url,
        payer,
    })
}

/// `payer`: mandatory, `name` mandatory, the rest optional.
fn payer(top: &Fields<'_>) -> Result<Value, Refusal> {
    let map = top.req_obj("payer")?;
    let payer = Fields {
        map,
        prefix: "payer",
    };
    let name = payer.req_str("name")?;
    if name.chars().count() > 128 {
        return Err(invalid(
            "invalid `payer.name`: at most 128 characters".into(),
        ));
    }
    if let Some(id_type) = payer.opt_str("idType")?
        && !ID_TYPES.contains(&id_type)
    {
        return Err(invalid(format!(
            "invalid `payer.idType`: one of {}, got {id_type:?}",
            ID_TYPES.join(", ")
        )));
    }
    for id in ["identity", "idNumber"] {
        if let Some(value) = payer.opt_str(id)?
            && (value.len() > 64 || value.contains(char::is_control))
        {
            return Err(invalid(format!(
                "invalid `payer.{id}`: at most 64 characters"
            )));
        }
    }
    if let Some(email) = payer.opt_str("email")?
        && (!email_ok(email) || email.chars().count() > 254)
    {
        return Err(invalid(format!(
            "invalid `payer.email`: an email address, got {email:?}"
        )));
    }
    if let Some(phone) = payer.opt_str("phone")?
        && !phone_ok(phone)
    {
        return Err(invalid(format!(
            "invalid `payer.phone`: 6 to 15 digits with an optional leading +, got {phone:?}"
        )));
    }
    at_most("payer.address", payer.opt_str("address")?, 256)?;
    // Kept as received, unset and unknown fields left out (every kept field
    // is a string checked above).
    let kept: Map<String, Value> = map
        .iter()
        .filter(|(k, v)| {
            PAYER_FIELDS.contains(&k.as_str()) && v.as_str().is_some_and(|s| !s.is_empty())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Value::Object(kept))
}

/// Checks an inquiry-status body.
pub(crate) fn inquiry_status(body: &[u8]) -> Result<StatusQuery, Refusal> {
    let map = object(body)?;
    let top = Fields {
        map: &map,
        prefix: "",
    };
    let trade_type = match top.present("tradeType") {
        None => {
            return Err(malformed(
                "malformed body: missing field `tradeType`".into(),
            ));
        }
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse::<u64>().ok().filter(|_| !s.starts_with('+')),
        Some(_) => {
            return Err(malformed(
                "malformed body: `tradeType` must be a number (1 or \"1\")".into(),
            ));
        }
    };
    let trade_type = match trade_type {
        Some(1) => 1,
        Some(2) => 2,
        _ => {
            return Err(invalid(
                "invalid `tradeType`: 1 (pay-in) or 2 (pay-out)".into(),
            ));
        }
    };
    let mut ids = [None, None];
    for (slot, name) in ids.iter_mut().zip(["orderNo", "tradeNo"]) {
        if let Some(id) = top.opt_str(name)? {
            if id.len() > 32 {
                return Err(invalid(format!("invalid `{name}`: at most 32 characters")));
            }
            *slot = Some(id.to_owned());
        }
    }
    let [order_no, trade_no] = ids;
    if order_no.is_none() && trade_no.is_none() {
        return Err(invalid(
            "invalid `orderNo`/`tradeNo`: at least one must be non-empty".into(),
        ));
    }
    Ok(StatusQuery {
        trade_type,
        order_no,
        trade_no,
    })
}

/// Checks an inquiry-balance body.
pub(crate) fn inquiry_balance(body: &[u8]) -> Result<BalanceQuery, Refusal> {
    let map = object(body)?;
    let top = Fields {
        map: &map,
        prefix: "",
    };
    let account_no = top.req_str("accountNo")?;
    if account_no.chars().count() > 128 {
        return Err(invalid(
            "invalid `accountNo`: at most 128 characters".into(),
        ));
    }
    let types = match top.present("balanceTypes") {
        None => {
            return Err(malformed(
                "malformed body: missing field `balanceTypes`".into(),
            ));
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(malformed(
                "malformed body: `balanceTypes` must be an array of strings".into(),
            ));
        }
    };
    if types.is_empty() {
        return Err(invalid(
            "invalid `balanceTypes`: name at least one of BALANCE, AVAILABLE".into(),
        ));
    }
    let mut balance_types = Vec::with_capacity(types.len());
    for (i, t) in types.iter().enumerate() {
        match t.as_str() {
            Some(s) if BALANCE_TYPES.contains(&s) => balance_types.push(s.to_owned()),
            Some(s) => {
                return Err(invalid(format!(
                    "invalid `balanceTypes[{i}]`: BALANCE or AVAILABLE, got {s:?}"
                )));
            }
            None => {
                return Err(malformed(format!(
                    "malformed body: `balanceTypes[{i}]` must be a string"
                )));
            }
        }
    }
    Ok(BalanceQuery {
        account_no: account_no.to_owned(),
        balance_types,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "merchant": {"merchantId": "20001"},
            "money": {"amount": 1000, "currency": "PEN"},
            "orderNo": "ORDER000001",
            "payer": {"name": "Ana"},
            "paymentMethod": "CASHIER_PE",
            "purpose": "p",
        })
    }

    fn check(body: &Value) -> Result<PayIn, Refusal> {
        pay_in(&serde_json::to_vec(body).unwrap())
    }

    fn refused_naming(body: &Value, field: &str) -> Refusal {
        let refusal = check(body).expect_err(field);
        let (Refusal::Malformed(m) | Refusal::Invalid(m)) = &refusal;
        assert!(m.contains(&format!("`{field}")), "{field}: {m}");
        refusal
    }

    #[test]
    fn the_minimal_body_is_accepted_with_defaults() {
        let p = check(&base()).unwrap();
        assert_eq!(p.expiry_period, DEFAULT_EXPIRY_SECS);
        assert_eq!(p.payer, json!({"name": "Ana"}));
        assert_eq!(p.merchant_name, None);
    }

    #[test]
    fn unset_optionals_may_be_null_or_empty() {
        let mut b = base();
        b["merchant"]["merchantName"] = json!("");
        b["merchant"]["subMerchantId"] = Value::Null;
        b["merchant"]["accountNo"] = json!("");
        b["merchant"]["bankName"] = json!("");
        b["payer"]["email"] = json!("");
        b["payer"]["idType"] = Value::Null;
        b["expiryPeriod"] = Value::Null;
        b["callbackUrl"] = json!("");
        b["redirectUrl"] = Value::Null;
        b["area"] = json!(15);
        b["productDetail"] = Value::Null;
        let p = check(&b).unwrap();
        assert_eq!((p.callback_url, p.merchant_name), (None, None));
        assert_eq!(p.payer, json!({"name": "Ana"}));
    }

    #[test]
    fn payer_is_mandatory_with_a_name() {
        let mut b = base();
        b.as_object_mut().unwrap().remove("payer");
        assert!(matches!(refused_naming(&b, "payer"), Refusal::Malformed(_)));
        b["payer"] = json!({"email": "a@b.pe"});
        assert!(matches!(
            refused_naming(&b, "payer.name"),
            Refusal::Malformed(_)
        ));
        b["payer"] = json!({"name": ""});
        assert!(matches!(
            refused_naming(&b, "payer.name"),
            Refusal::Invalid(_)
        ));
        b["payer"] = json!({"name": "Ana", "idType": "DNI", "idNumber": "12345678"});
        assert!(check(&b).is_ok());
        b["payer"]["idType"] = json!("LICENSE");
        refused_naming(&b, "payer.idType");
    }

    #[test]
    fn sandbox_merchant_ids_are_valid() {
        let mut b = base();
        b["merchant"]["merchantId"] = json!("sandbox-20011");
        assert!(check(&b).is_ok());
        for bad in ["sandbox-", "sandbox-20a", "SANDBOX-1", "20-11"] {
            b["merchant"]["merchantId"] = json!(bad);
            refused_naming(&b, "merchant.merchantId");
        }
        assert!(merchant_id_ok("20011") && merchant_id_ok("sandbox-20011"));
    }

    #[test]
    fn every_field_rule_names_its_field() {
        type Edit = fn(&mut Value);
        let cases: [(&str, Edit); 16] = [
            ("orderNo", |b| b["orderNo"] = json!("ABC12")),
            ("orderNo", |b| b["orderNo"] = json!("ORDER-0001")),
            ("money.amount", |b| b["money"]["amount"] = json!(99)),
            ("money.amount", |b| b["money"]["amount"] = json!(-5)),
            ("money.amount", |b| b["money"]["amount"] = json!(10.5)),
            ("money.amount", |b| b["money"]["amount"] = json!("1000")),
            ("money.currency", |b| b["money"]["currency"] = json!("USD")),
            ("purpose", |b| b["purpose"] = json!("")),
            ("purpose", |b| b["purpose"] = json!("p".repeat(65))),
            ("paymentMethod", |b| {
                b["paymentMethod"] = json!("cashier pe")
            }),
            ("expiryPeriod", |b| b["expiryPeriod"] = json!(299)),
            ("expiryPeriod", |b| b["expiryPeriod"] = json!("3600")),
            ("callbackUrl", |b| b["callbackUrl"] = json!("x.pe/cb")),
            ("redirectUrl", |b| b["redirectUrl"] = json!("ftp://x.pe/ok")),
            ("payer.email", |b| b["payer"]["email"] = json!("nobody")),
            ("area", |b| b["area"] = json!({"code": 15})),
        ];
        for (field, edit) in cases {
            let mut b = base();
            edit(&mut b);
            refused_naming(&b, field);
        }
    }

    #[test]
    fn url_lengths_count_characters_not_bytes() {
        let mut b = base();
        let head = "https://ñandú.pe/";
        let at_limit = format!("{head}{}", "ñ".repeat(256 - head.chars().count()));
        assert_eq!(at_limit.chars().count(), 256);
        assert!(at_limit.len() > 256);
        b["callbackUrl"] = json!(at_limit);
        b["redirectUrl"] = json!(at_limit);
        assert!(check(&b).is_ok());
        b["callbackUrl"] = json!(format!("{at_limit}a"));
        refused_naming(&b, "callbackUrl");
    }

    #[test]
    fn status_queries() {
        let q = |v: Value| inquiry_status(&serde_json::to_vec(&v).unwrap());
        let ok = q(json!({"tradeType": "1", "orderNo": "", "tradeNo": "123"})).unwrap();
        assert_eq!(
            (ok.trade_type, ok.order_no, ok.trade_no.as_deref()),
            (1, None, Some("123"))
        );
        assert!(q(json!({"tradeType": 1, "orderNo": "ORDER1"})).is_ok());
        assert!(matches!(
            q(json!({"orderNo": "A"})),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            q(json!({"tradeType": true, "orderNo": "A"})),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            q(json!({"tradeType": 3, "orderNo": "A"})),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            q(json!({"tradeType": 1, "orderNo": "", "tradeNo": null})),
            Err(Refusal::Invalid(_))
        ));
        assert!(
            matches!(q(json!({"tradeType": 1, "tradeNo": "9".repeat(33)})), Err(Refusal::Invalid(m)) if m.contains("`tradeNo`"))
        );
    }

    #[test]
    fn balance_queries() {
        let q = |v: Value| inquiry_balance(&serde_json::to_vec(&v).unwrap());
        assert!(q(json!({"accountNo": "x", "balanceTypes": ["BALANCE", "AVAILABLE"]})).is_ok());
        assert!(matches!(
            q(json!({"accountNo": "x", "balanceTypes": []})),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            q(json!({"accountNo": "x", "balanceTypes": ["OTHER"]})),
            Err(Refusal::Invalid(_))
        ));
        assert!(
            matches!(q(json!({"accountNo": "x".repeat(129), "balanceTypes": ["BALANCE"]})), Err(Refusal::Invalid(m)) if m.contains("`accountNo`"))
        );
        assert!(matches!(
            q(json!({"accountNo": "x"})),
            Err(Refusal::Malformed(_))
        ));
    }

    #[test]
    fn signatures_decode_as_standard_base64() {
        assert_eq!(decode_signature("AAEC"), Some(vec![0, 1, 2]));
        assert_eq!(decode_signature(""), None);
        assert_eq!(decode_signature("not base64!"), None);
        assert_eq!(decode_signature("AAE"), None, "padding is required");
        assert_eq!(string_to_sign("t", "s", b"{}"), b"t|s|{}".to_vec());
    }
}
