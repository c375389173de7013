//! Requests built by hand, independent of the SDK's request types: a raw
//! body signed the SmilePayz way with the TEST ONLY merchant key (the core's
//! RSA primitive, nothing else), and Monnet creates hashed with `sha2`
//! directly. Tests of the simulator's acceptance rules use these, so that
//! what they send is exactly what they wrote, whatever the SDK would send.

use base64::Engine as _;
use pasarela_core::PreparedRequest;
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::http::Method;
use pasarela_simulator::Credentials;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};
use time::{OffsetDateTime, UtcOffset};

/// `at` as an `X-TIMESTAMP` at `offset` hours and minutes (`Z` for UTC when
/// `z` is set).
pub fn timestamp(at: OffsetDateTime, offset: (i8, i8), z: bool) -> String {
    let t = at.to_offset(UtcOffset::from_hms(offset.0, offset.1, 0).unwrap());
    let zone = if z {
        "Z".to_owned()
    } else {
        let sign = if offset.0 < 0 || offset.1 < 0 {
            '-'
        } else {
            '+'
        };
        format!(
            "{sign}{:02}:{:02}",
            offset.0.unsigned_abs(),
            offset.1.unsigned_abs()
        )
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Now, in Peru time (`-05:00`).
pub fn peru_now() -> String {
    timestamp(OffsetDateTime::now_utc(), (-5, 0), false)
}

/// Standard base64 of the RSA/SHA-256 signature of
/// `timestamp|secret|body` with `private_key_pem`.
pub fn signature(private_key_pem: &str, timestamp: &str, secret: &str, body: &[u8]) -> String {
    let key = PrivateKey::load(private_key_pem).unwrap();
    let signer = Backend::default().signer(&key).unwrap();
    let mut message = format!("{timestamp}|{secret}|").into_bytes();
    message.extend_from_slice(body);
    base64::engine::general_purpose::STANDARD.encode(signer.sign(&message).unwrap())
}

/// `body` posted to `path` with the SmilePayz headers, signed at `timestamp`
/// (any text: the signature covers it as given).
pub fn smilepayz(creds: &Credentials, path: &str, body: &[u8], timestamp: &str) -> PreparedRequest {
    smilepayz_as(creds, &creds.smilepayz.merchant_id, path, body, timestamp)
}

/// [`smilepayz`] with another `X-PARTNER-ID`.
pub fn smilepayz_as(
    creds: &Credentials,
    partner: &str,
    path: &str,
    body: &[u8],
    timestamp: &str,
) -> PreparedRequest {
    let key = creds.smilepayz.merchant_private_key.as_deref().unwrap();
    let sig = signature(key, timestamp, &creds.smilepayz.merchant_secret, body);
    PreparedRequest::new(
        Method::POST,
        format!("{}{path}", creds.smilepayz.base_url)
            .parse()
            .unwrap(),
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-TIMESTAMP".into(), timestamp.to_owned()),
            ("X-SIGNATURE".into(), sig),
            ("X-PARTNER-ID".into(), partner.to_owned()),
        ],
        body.to_vec(),
    )
}

/// A minimal pay-in body: the mandatory fields, `payer.name` included.
pub fn pay_in_body(merchant_id: &str, order_no: &str, amount: u64) -> Value {
    json!({
        "merchant": {"merchantId": merchant_id},
        "money": {"amount": amount, "currency": "PEN"},
        "orderNo": order_no,
        "payer": {"name": "Ana Quispe"},
        "paymentMethod": "CASHIER_PE",
        "purpose": "Pedido de prueba",
    })
}

/// Lowercase hex SHA-512 of `text`.
pub fn sha512_hex(text: &str) -> String {
    hex(&Sha512::digest(text.as_bytes()))
}

/// Lowercase hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Monnet create body with every field of the seed's table: the
/// transaction, the four customer fields and the product filled in, every
/// field GATEWAYS.md lets be empty sent as `""` (no document, no address,
/// no shipping, no coupon), hashed with the simulator's KeyMonnet.
pub fn monnet_body(creds: &Credentials, operation: &str, amount: &str) -> Map<String, Value> {
    let mut body = Map::new();
    for (name, value) in [
        ("payinMerchantID", creds.monnet.merchant_id.as_str()),
        ("payinAmount", amount),
        ("payinCurrency", "PEN"),
        ("payinMerchantOperationNumber", operation),
        ("payinMethod", "TCTD"),
        ("payinVerification", ""),
        ("payinTransactionOKURL", "https://shop.example/ok"),
        ("payinTransactionErrorURL", "https://shop.example/error"),
        ("payinExpirationTime", "30"),
        ("payinLanguage", "ES"),
        ("payinCustomerEmail", "ana@shop.example"),
        ("payinCustomerName", "Ana"),
        ("payinCustomerLastName", "Quispe"),
        ("payinCustomerTypeDocument", ""),
        ("payinCustomerDocument", ""),
        ("payinCustomerPhone", "987654321"),
        ("payinCustomerAddress", ""),
        ("payinCustomerCity", ""),
        ("payinCustomerRegion", ""),
        ("payinCustomerCountry", ""),
        ("payinCustomerZipCode", ""),
        ("payinCustomerShippingName", ""),
        ("payinCustomerShippingPhone", ""),
        ("payinCustomerShippingAddress", ""),
        ("payinCustomerShippingCity", ""),
        ("payinCustomerShippingRegion", ""),
        ("payinCustomerShippingCountry", ""),
        ("payinCustomerShippingZipCode", ""),
        ("payinRegularCustomer", ""),
        ("payinCustomerID", ""),
        ("payinDiscountCoupon", ""),
        ("payinFilterBy", ""),
        ("payinProductID", "P-1"),
        ("payinProductDescription", "Polo"),
        ("payinProductAmount", amount),
        ("payinDateTime", "2025-06-01"),
        ("payinProductSku", "SKU-1"),
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
        body.insert(name.to_owned(), Value::String(value.to_owned()));
    }
    rehash(creds, &mut body);
    body
}

/// Recomputes `payinVerification` over the body's fields as they are.
pub fn rehash(creds: &Credentials, body: &mut Map<String, Value>) {
    let text = |k: &str| match body.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let hash = sha512_hex(&format!(
        "{}{}{}{}{}",
        text("payinMerchantID"),
        text("payinMerchantOperationNumber"),
        text("payinAmount"),
        text("payinCurrency"),
        creds.monnet.key_monnet
    ));
    body.insert("payinVerification".into(), Value::String(hash));
}

/// A Monnet create posted to the proxy URL.
pub fn monnet(creds: &Credentials, body: &Map<String, Value>) -> PreparedRequest {
    monnet_bytes(creds, serde_json::to_vec(body).unwrap())
}

/// Raw bytes posted to the proxy URL.
pub fn monnet_bytes(creds: &Credentials, body: Vec<u8>) -> PreparedRequest {
    PreparedRequest::new(
        Method::POST,
        creds.monnet.proxy_url.parse().unwrap(),
        vec![("Content-Type".into(), "application/json".into())],
        body,
    )
}

/// A status query with the right `authorization`.
pub fn monnet_status(creds: &Credentials, body: &Value) -> PreparedRequest {
    let auth = sha256_hex(&format!(
        "{}{}",
        creds.monnet.merchant_id, creds.monnet.key_monnet
    ));
    PreparedRequest::new(
        Method::POST,
        creds.monnet.status_url.parse().unwrap(),
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("authorization".into(), auth),
        ],
        serde_json::to_vec(body).unwrap(),
    )
}

/// Runs `request` through `sim`'s handler at `now`, as the loopback server
/// would, and returns the answer.
pub fn handle(
    sim: &pasarela_simulator::Simulator,
    request: &PreparedRequest,
    now: OffsetDateTime,
) -> pasarela_core::RawResponse {
    let url = request.url();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let sim_request = pasarela_simulator::SimRequest {
        method: request.method().as_str().to_owned(),
        path,
        headers: request.headers().to_vec(),
        body: request.body().to_vec(),
        origin: pasarela_simulator::IN_PROCESS_ORIGIN.to_owned(),
    };
    match sim.handle(&sim_request, now) {
        pasarela_simulator::Outcome::Reply(r) => r,
        other => panic!("expected an answer, got {other:?}"),
    }
}
