//! Valid sample requests for both gateways, shared by the demo, the
//! transport suite and the load tests. Card data is Monnet's public test card.

use pasarela_core::ValidationError;
use pasarela_core::monnet::{Amount, CardExpiration, CreateRequest, Cvv, Pan};
use pasarela_core::smilepayz::{Merchant, Money, PayInRequest};

/// Monnet's public test card number (from its docs). TEST ONLY.
pub const TEST_PAN: &str = "4517721004856075";
/// The test card's CVV. TEST ONLY.
pub const TEST_CVV: &str = "123";
/// The test card's expiry used in samples. TEST ONLY.
pub const TEST_EXPIRY: &str = "2030-12";

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
