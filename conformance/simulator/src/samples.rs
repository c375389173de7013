//! Valid sample requests for both gateways, for tests that need one: a
//! SmilePayz `CASHIER_PE` pay-in and Monnet card creates (Monnet's public
//! test card), each accepted by this simulator and by the SDK's builders.
//! The simulator itself never uses them (its rules are its own). TEST ONLY.
//!
//! pasarela's own tests and benchmarks share this one copy: core's tests
//! include the file by path, the conformance crate and the CLI use it from
//! here.

use pasarela_core::Money;
use pasarela_core::ValidationError;
use pasarela_core::monnet::{
    BillingAddress, Card, CardExpiration, CardMethod, CreateRequest, Customer, Cvv, DocumentType,
    Pan, Product, Shipping, Transaction,
};
use pasarela_core::smilepayz::{IdType, Merchant, PayInRequest, PayInRequestBuilder, Payer};
use pasarela_core::{Currency, Rule};

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
pub fn smilepayz_seed_pay_in() -> Result<PayInRequest, ValidationError> {
    PayInRequest::builder(
        Merchant::new("20011"),
        "200110edbb466abb04682968b40",
        Money::pen(20000),
        "Payment for online purchase",
        Payer::new("Carlos Rodriguez Mendoza")
            .with_id_type(IdType::Dni)
            .with_identity("48982488880")
            .with_phone("51987654321")
            .with_email("carlos.rodriguez@example.com"),
    )
    .redirect_url("https://www.example.com/success")
    .build()
}

/// A valid `CASHIER_PE` pay-in for `merchant_id` (digits, or `sandbox-`
/// and digits), with the mandatory payer.
pub fn smilepayz_pay_in(
    merchant_id: &str,
    order_no: &str,
    centimos: u64,
) -> Result<PayInRequest, ValidationError> {
    smilepayz_pay_in_builder(merchant_id, order_no, centimos).build()
}

/// The builder of [`smilepayz_pay_in`], to set optionals (a callback URL)
/// before building.
pub fn smilepayz_pay_in_builder(
    merchant_id: &str,
    order_no: &str,
    centimos: u64,
) -> PayInRequestBuilder {
    PayInRequest::builder(
        Merchant::new(merchant_id),
        order_no,
        Money::pen(centimos),
        "pasarela sample order",
        Payer::new("Rosa Quispe"),
    )
}

/// A valid card create (every part set) with the public test card.
/// `amount` is a PEN decimal (`"150.00"`).
pub fn monnet_create(
    operation_number: &str,
    amount: &str,
) -> Result<CreateRequest, ValidationError> {
    monnet_create_with_card(operation_number, amount, test_card()?)
}

/// Monnet's public test card. TEST ONLY.
pub fn test_card() -> Result<Card, ValidationError> {
    Ok(Card::new(
        Pan::new(TEST_PAN)?,
        Cvv::new(TEST_CVV)?,
        CardExpiration::new(TEST_EXPIRY)?,
    ))
}

/// The samples' transaction: `amount` a PEN decimal, TCTD, the shop's
/// https URLs, dated 2025-07-01.
fn sample_transaction(
    operation_number: &str,
    amount: &str,
) -> Result<Transaction, ValidationError> {
    let amount = pasarela_core::Money::parse_decimal(amount, Currency::PEN)
        .map_err(|e| ValidationError::new("payinAmount", Rule::Format(e.to_string().into())))?;
    let date = time::Date::from_calendar_date(2025, time::Month::July, 1)
        .map_err(|_| ValidationError::new("payinDateTime", Rule::Required))?;
    Ok(Transaction::new(
        operation_number,
        amount,
        CardMethod::CreditOrDebit,
        "https://shop.example/ok",
        "https://shop.example/error",
        date,
    ))
}

/// A valid card create (every part set) with the given card.
pub fn monnet_create_with_card(
    operation_number: &str,
    amount: &str,
    card: Card,
) -> Result<CreateRequest, ValidationError> {
    let customer = Customer::new("Rosa", "Quispe", "rosa@example.com", "987654321")
        .document(DocumentType::Dni, "44556677");
    CreateRequest::builder(
        sample_transaction(operation_number, amount)?,
        customer,
        Product::placeholder(),
        card,
    )
    .billing_address(BillingAddress::new(
        "Av. Arequipa 123",
        "Lima",
        "Lima",
        "Peru",
        "15001",
    ))
    .shipping(Shipping::new(
        "Rosa Quispe",
        "987654321",
        "Av. Arequipa 123",
        "Lima",
        "Lima",
        "Peru",
        "15001",
    ))
    .discount_coupon("0")
    .build()
}

/// The smallest valid card create: no coupon, no address, no shipping, no
/// document (every may-be-empty field sent as `""`), the public test card.
pub fn monnet_create_minimal(
    operation_number: &str,
    amount: &str,
) -> Result<CreateRequest, ValidationError> {
    CreateRequest::builder(
        sample_transaction(operation_number, amount)?,
        Customer::new("Rosa", "Quispe", "rosa@example.com", "987654321"),
        Product::placeholder(),
        test_card()?,
    )
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

#[cfg(test)]
mod tests {
    // Benchmarks include this file with harness = false: their build drops
    // the #[test] functions and would call the import unused.
    #[allow(unused_imports)]
    use super::*;

    #[test]
    fn monnet_samples_build_and_fill_the_schema() {
        use pasarela_core::monnet::schema::{CREATE_REQUEST, Presence};
        let full = monnet_create("ORD-1", "150.00").unwrap();
        let minimal = monnet_create_minimal("ORD-1", "150.00").unwrap();
        for f in CREATE_REQUEST.iter() {
            if f.presence == Presence::MayBeEmpty
                && !matches!(
                    f.wire,
                    "payinRegularCustomer" | "payinCustomerID" | "payinFilterBy"
                )
            {
                assert!(!full.wire_value(f.wire).unwrap().is_empty(), "{}", f.wire);
            }
        }
        assert_eq!(minimal.wire_value("payinDiscountCoupon"), Some(""));
        assert_eq!(minimal.wire_value("payinCustomerShippingName"), Some(""));
        assert_eq!(
            monnet_create("X", "1.234").unwrap_err().field(),
            "payinAmount"
        );
    }

    #[test]
    fn ordered_strings_round_trip_in_document_order() {
        let body = br#"{"b":"1","a":"2","\u00e9":"x"}"#;
        let ordered: OrderedStrings = serde_json::from_slice(body).unwrap();
        assert_eq!(ordered.0[0].0, "b");
        assert_eq!(
            String::from_utf8(serde_json::to_vec(&ordered).unwrap()).unwrap(),
            r#"{"b":"1","a":"2","é":"x"}"#
        );
        assert!(serde_json::from_slice::<OrderedStrings>(br#"{"a":1}"#).is_err());
    }
}
