//! Sample requests for core's own tests and benchmarks (a copy of the
//! conformance crate's samples, so core has no dev-dependency on it).
//! Card data is Monnet's public test card. TEST ONLY.

use pasarela_core::ValidationError;
use pasarela_core::monnet::{Amount, CardExpiration, CreateRequest, Cvv, Pan};
use pasarela_core::smilepayz::{Merchant, Money, PayInRequest, Payer};

/// Monnet's public test card number (from its docs). TEST ONLY.
pub const TEST_PAN: &str = "4517721004856075";
/// The test card's CVV. TEST ONLY.
pub const TEST_CVV: &str = "123";
/// The test card's expiry used in samples. TEST ONLY.
pub const TEST_EXPIRY: &str = "2030-12";

/// The SmilePayz seed's pay-in response example, minified.
pub const SMILEPAYZ_SEED_PAY_IN_RESPONSE: &str = r#"{"channel":{"additionalInfo":{"paymentUrl":"https://pay-met.pe:8080/#/metodo-pago/VE9LRU4gR0VORVJBIFJFQ1VETzg5OTc0MA=="},"paymentMethod":"CASHIER_PE","paymentUrl":"https://gateway.smilepayz.com/cashier/#/loading?tradeNo=1512001125042115424463245"},"code":"00","merchant":{"accountNo":"11520011202402290943","merchantId":"20011","merchantName":"bradytest123www"},"message":"Successful","money":{"amount":20000,"currency":"PEN"},"orderNo":"20011563d9094aa7d4d9e9b933bb","status":"PROCESSING","tradeNo":"1512001125042115424463245","transactionTime":"2025-04-21T03:42:47-05:00"}"#;

/// The SmilePayz seed's pay-in request example, through the typed model
/// (the seed's e-mail is an artifact of the page it was copied from; a
/// real address stands in).
pub fn smilepayz_seed_pay_in() -> PayInRequest {
    PayInRequest::new(
        Merchant::new("20011"),
        "200110edbb466abb04682968b40",
        Money::pen(20000),
        "Payment for online purchase",
    )
    .with_payer(Payer {
        id_type: Some("DNI".into()),
        identity: Some("48982488880".into()),
        name: Some("Carlos Rodriguez Mendoza".into()),
        phone: Some("51987654321".into()),
        email: Some("carlos.rodriguez@example.com".into()),
    })
    .with_redirect_url("https://www.example.com/success")
}

/// A valid `CASHIER_PE` pay-in for `merchant_id`.
pub fn smilepayz_pay_in(merchant_id: &str, order_no: &str, centimos: u64) -> PayInRequest {
    PayInRequest::new(
        Merchant::new(merchant_id),
        order_no,
        Money::pen(centimos),
        "pasarela sample order",
    )
}

/// A valid card create (every field set) with the public test card.
pub fn monnet_create(
    operation_number: &str,
    amount: &str,
) -> Result<CreateRequest, ValidationError> {
    let card = (
        Pan::new(TEST_PAN)?,
        Cvv::new(TEST_CVV)?,
        CardExpiration::new(TEST_EXPIRY)?,
    );
    monnet_create_with_card(operation_number, amount, card)
}

/// A valid card create (every field set) with the given card.
pub fn monnet_create_with_card(
    operation_number: &str,
    amount: &str,
    (pan, cvv, expiry): (Pan, Cvv, CardExpiration),
) -> Result<CreateRequest, ValidationError> {
    CreateRequest::builder()
        .amount(amount.parse::<Amount>()?)
        .currency("PEN")
        .operation_number(operation_number)
        .method("TCTD")
        .customer_name("Rosa")
        .customer_last_name("Quispe")
        .customer_email("rosa@example.com")
        .customer_phone("987654321")
        .customer_document_type("DNI")
        .customer_document("44556677")
        .discount_coupon("0")
        .language("ES")
        .expiration_minutes(30)
        .date_time("2025-07-01")
        .ok_url("https://shop.example/ok")
        .error_url("https://shop.example/error")
        .customer_address("Av. Arequipa 123")
        .customer_city("Lima")
        .customer_country("Peru")
        .customer_zip_code("15001")
        .shipping_name("Rosa Quispe")
        .shipping_phone("987654321")
        .shipping_address("Av. Arequipa 123")
        .shipping_city("Lima")
        .shipping_region("Lima")
        .shipping_country("Peru")
        .shipping_zip_code("15001")
        .product_id("0")
        .product_description("0")
        .product_amount("0")
        .product_sku("0")
        .product_quantity("0")
        .pan(pan)
        .cvv(cvv)
        .card_expiration(expiry)
        .build()
}

/// A JSON object of strings, its entries kept in document order and
/// serialized back as a map: what a plain `#[derive(Serialize)]` of the
/// same body writes. The benchmarks' baseline for the Monnet create body
/// (`serde_json`'s own map would sort the keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedStrings(pub Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for OrderedStrings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedStrings;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OrderedStrings, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(OrderedStrings(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl serde::Serialize for OrderedStrings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}
