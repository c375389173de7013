//! The two gateway request values the merchant builds, and nothing else.
//!
//! Kept apart on purpose: the request-building APIs in `pasarela-core` are
//! moving to builders with typed required parts, and these two functions are
//! the only place this service touches them.

use pasarela_core::monnet::{
    BillingAddress, Card, CardExpiration, CardMethod, CreateRequest, Customer, Cvv, DocumentType,
    Pan, Product, Shipping, Transaction,
};
use pasarela_core::smilepayz::{Merchant, PayInRequest, Payer};
use pasarela_core::{Money, ValidationError};

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

/// The SmilePayz pay-in for our order `order_no` of `centimos` PEN, for
/// the merchant `config` speaks for, with the callback aimed at this
/// service's webhook route.
pub fn smilepayz_pay_in(
    config: &pasarela_core::smilepayz::Config,
    order_no: &str,
    centimos: u64,
    callback_url: &str,
    redirect_url: &str,
) -> Result<PayInRequest, ValidationError> {
    PayInRequest::builder(
        Merchant::of(config),
        order_no,
        Money::pen(centimos),
        "pasarela axum merchant order",
        Payer::new("Cliente de la tienda"),
    )
    .callback_url(callback_url)
    .redirect_url(redirect_url)
    .build()
}

/// The Monnet card pay-in for our operation `operation_number` of `amount`,
/// dated `today` (the gateway's day), with the shopper's card. No coupon:
/// Monnet allows it empty.
pub fn monnet_create(
    operation_number: &str,
    amount: Money,
    today: time::Date,
    shopper: &Shopper<'_>,
    card: (Pan, Cvv, CardExpiration),
    return_base: &str,
) -> Result<CreateRequest, ValidationError> {
    let (pan, cvv, expiration) = card;
    let back = format!("{return_base}/orders/{operation_number}");
    let transaction = Transaction::new(
        operation_number,
        amount,
        CardMethod::CreditOrDebit,
        back.clone(),
        back,
        today,
    );
    let customer = Customer::new(
        shopper.name,
        shopper.last_name,
        shopper.email,
        shopper.phone,
    )
    .document(DocumentType::parse(shopper.document_type), shopper.document);
    CreateRequest::builder(
        transaction,
        customer,
        Product::placeholder(),
        Card::new(pan, cvv, expiration),
    )
    .billing_address(BillingAddress::new(
        shopper.address,
        shopper.city,
        "Lima",
        "Peru",
        shopper.zip_code,
    ))
    .shipping(Shipping::new(
        format!("{} {}", shopper.name, shopper.last_name),
        shopper.phone,
        shopper.address,
        shopper.city,
        "Lima",
        "Peru",
        shopper.zip_code,
    ))
    .build()
}
