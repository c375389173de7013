//! The two gateway request values the merchant builds, and nothing else.
//!
//! Kept apart on purpose: the request-building APIs in `pasarela-core` are
//! moving to builders with typed required parts, and these two functions are
//! the only place this service touches them.

use pasarela_core::ValidationError;
use pasarela_core::monnet::{Amount, CardExpiration, CreateRequest, Cvv, Pan};
use pasarela_core::smilepayz::{Merchant, Money, PayInRequest};

/// What the shopper typed for a Monnet card checkout. Card data lives only
/// in the redacted core types once parsed, and is never stored or logged.
#[derive(Debug)]
pub struct Shopper<'a> {
    /// Given name.
    pub name: &'a str,
    /// Family name.
    pub last_name: &'a str,
    /// E-mail.
    pub email: &'a str,
    /// Phone number.
    pub phone: &'a str,
    /// Document type (`DNI`, …).
    pub document_type: &'a str,
    /// Document number.
    pub document: &'a str,
    /// Street address (billing and shipping).
    pub address: &'a str,
    /// City.
    pub city: &'a str,
    /// Postal code.
    pub zip_code: &'a str,
}

/// The SmilePayz pay-in for our order `order_no` of `centimos` PEN, with the
/// callback aimed at this service's webhook route.
pub fn smilepayz_pay_in(
    merchant_id: &str,
    order_no: &str,
    centimos: u64,
    callback_url: &str,
    redirect_url: &str,
) -> Result<PayInRequest, ValidationError> {
    let request = PayInRequest::new(
        Merchant::new(merchant_id),
        order_no,
        Money::pen(centimos),
        "pasarela axum merchant order",
    )
    .with_callback_url(callback_url)
    .with_redirect_url(redirect_url);
    request.validate()?;
    Ok(request)
}

/// The Monnet card pay-in for our operation `operation_number` of `amount`
/// PEN, dated `today` (the gateway's day), with the shopper's card.
pub fn monnet_create(
    operation_number: &str,
    amount: Amount,
    today: time::Date,
    shopper: &Shopper<'_>,
    card: (Pan, Cvv, CardExpiration),
    return_base: &str,
) -> Result<CreateRequest, ValidationError> {
    let (pan, cvv, expiration) = card;
    CreateRequest::builder()
        .amount(amount)
        .currency("PEN")
        .operation_number(operation_number)
        .method("TCTD")
        .customer_name(shopper.name)
        .customer_last_name(shopper.last_name)
        .customer_email(shopper.email)
        .customer_phone(shopper.phone)
        .customer_document_type(shopper.document_type)
        .customer_document(shopper.document)
        .discount_coupon("0")
        .language("ES")
        .expiration_minutes(30)
        .date(today)
        .ok_url(format!("{return_base}/orders/{operation_number}"))
        .error_url(format!("{return_base}/orders/{operation_number}"))
        .customer_address(shopper.address)
        .customer_city(shopper.city)
        .customer_country("Peru")
        .customer_zip_code(shopper.zip_code)
        .shipping_name(format!("{} {}", shopper.name, shopper.last_name))
        .shipping_phone(shopper.phone)
        .shipping_address(shopper.address)
        .shipping_city(shopper.city)
        .shipping_region(shopper.city)
        .shipping_country("Peru")
        .shipping_zip_code(shopper.zip_code)
        // One line per order; "0" is Monnet's documented placeholder for
        // the product fields of a single-item order.
        .product_id("0")
        .product_description("0")
        .product_amount("0")
        .product_sku("0")
        .product_quantity("0")
        .pan(pan)
        .cvv(cvv)
        .card_expiration(expiration)
        .build()
}
