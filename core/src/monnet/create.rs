//! Creating a card pay-in through the PCI proxy: the request in typed parts,
//! its one schema table, and the exact body Monnet expects.

use std::borrow::Cow;

use crate::error::{Rule, ValidationError};
use crate::http::{Method, PreparedRequest};
use crate::money::Money;
use crate::personal::{DocumentNumber, Email, PersonName, Phone};
use crate::validate;

use super::card::Card;
use super::environment::Config;
use super::schema::{Field, FieldType, Presence};
use super::verification::{hex_512, payin_digest};
use crate::json_writer::ObjectWriter;

/// The card payment method (`payinMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardMethod {
    /// `TCTD`: credit or debit card, the shopper chooses.
    CreditOrDebit,
    /// `TC`: credit card.
    Credit,
    /// `TD`: debit card.
    Debit,
}

impl CardMethod {
    /// The wire code.
    pub fn as_str(&self) -> &'static str {
        match self {
            CardMethod::CreditOrDebit => "TCTD",
            CardMethod::Credit => "TC",
            CardMethod::Debit => "TD",
        }
    }
}

/// The transaction itself: every field here is sent and must not be empty.
///
/// `payinExpirationTime` defaults to 30 minutes (the seed's suggested
/// minimum for online payments) and `payinLanguage` to `ES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    operation_number: String,
    amount: Money,
    method: CardMethod,
    ok_url: String,
    error_url: String,
    expiration_minutes: u32,
    language: String,
    date_time: String,
}

impl Transaction {
    /// A transaction: your unique operation number (≤ 50 characters;
    /// notifications name it), the amount (sent as `payinAmount` with two
    /// decimals and `payinCurrency`), the card method, the https OK and
    /// error URLs (≤ 250 characters) and the transaction date
    /// (`payinDateTime`, sent as `YYYY-MM-DD`; see [`date_time`](Self::date_time)).
    pub fn new(
        operation_number: impl Into<String>,
        amount: Money,
        method: CardMethod,
        ok_url: impl Into<String>,
        error_url: impl Into<String>,
        date: time::Date,
    ) -> Self {
        Self {
            operation_number: operation_number.into(),
            amount,
            method,
            ok_url: ok_url.into(),
            error_url: error_url.into(),
            expiration_minutes: 30,
            language: "ES".to_owned(),
            date_time: ymd(date),
        }
    }

    /// Sets `payinExpirationTime`: whole minutes until the payment expires,
    /// 1 to 999999.
    pub fn expiration_minutes(mut self, minutes: u32) -> Self {
        self.expiration_minutes = minutes;
        self
    }

    /// Sets `payinLanguage`: two letters (ISO 639-1), e.g. `ES`, `EN`.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = language.into();
        self
    }

    /// Sets `payinDateTime` as free text instead of the date given to
    /// [`new`](Self::new) (Monnet only says it must not be empty).
    pub fn date_time(mut self, text: impl Into<String>) -> Self {
        self.date_time = text.into();
        self
    }

    /// `payinMerchantOperationNumber`.
    pub fn operation_number(&self) -> &str {
        &self.operation_number
    }

    /// `payinAmount` and `payinCurrency`.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// `payinMethod`.
    pub fn method(&self) -> CardMethod {
        self.method
    }

    /// `payinTransactionOKURL`.
    pub fn ok_url(&self) -> &str {
        &self.ok_url
    }

    /// `payinTransactionErrorURL`.
    pub fn error_url(&self) -> &str {
        &self.error_url
    }

    /// `payinExpirationTime`, in minutes.
    pub fn expiration(&self) -> u32 {
        self.expiration_minutes
    }

    /// `payinLanguage`.
    pub fn language_code(&self) -> &str {
        &self.language
    }

    /// `payinDateTime`.
    pub fn date_time_text(&self) -> &str {
        &self.date_time
    }
}

/// A Peruvian identity document type (`payinCustomerTypeDocument`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocumentType {
    /// `DNI`: national identity card, 8 digits.
    Dni,
    /// `CE`: foreigner's card.
    Ce,
    /// `RUC`: taxpayer number.
    Ruc,
    /// `PAS`: passport.
    Pas,
    /// Another code, sent as given.
    Other(String),
}

impl DocumentType {
    /// The type for a wire code (`DNI`, `CE`, `RUC`, `PAS`; anything else
    /// is [`Other`](Self::Other)).
    pub fn parse(code: &str) -> Self {
        match code {
            "DNI" => DocumentType::Dni,
            "CE" => DocumentType::Ce,
            "RUC" => DocumentType::Ruc,
            "PAS" => DocumentType::Pas,
            other => DocumentType::Other(other.to_owned()),
        }
    }

    /// The wire code.
    pub fn as_str(&self) -> &str {
        match self {
            DocumentType::Dni => "DNI",
            DocumentType::Ce => "CE",
            DocumentType::Ruc => "RUC",
            DocumentType::Pas => "PAS",
            DocumentType::Other(code) => code,
        }
    }
}

/// The shopper. Name, last name, e-mail and phone must never be empty
/// (Monnet: "This four fields must NOT be sent with empty values"); the
/// identity document is optional and sent as `""` when not given.
///
/// Every field but the document type is personal data, held in
/// [`crate::personal`]'s redacted types: masked in `Debug`, read on purpose
/// with `expose()`, sent as given.
///
/// ```
/// use pasarela_core::monnet::{Customer, DocumentType};
///
/// let customer = Customer::new("Rosa", "Quispe", "rosa@example.com", "987654321")
///     .document(DocumentType::Dni, "44556677");
/// assert_eq!(customer.last_name().expose(), "Quispe");
/// assert!(!format!("{customer:?}").contains("Quispe"));
/// assert!(!format!("{customer:?}").contains("44556677"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    name: PersonName,
    last_name: PersonName,
    email: Email,
    phone: Phone,
    document: Option<(DocumentType, DocumentNumber)>,
}

impl Customer {
    /// A customer: first name and last name (≤ 30 characters each),
    /// e-mail (≤ 50 characters) and mobile phone (8 or 9 digits).
    pub fn new(
        name: impl Into<PersonName>,
        last_name: impl Into<PersonName>,
        email: impl Into<Email>,
        phone: impl Into<Phone>,
    ) -> Self {
        Self {
            name: name.into(),
            last_name: last_name.into(),
            email: email.into(),
            phone: phone.into(),
            document: None,
        }
    }

    /// Sets the identity document (`payinCustomerTypeDocument`,
    /// `payinCustomerDocument`). `build()` checks it: the type is one of
    /// Monnet's Peru types (an [`Other`](DocumentType::Other) type is
    /// refused), and the number is not empty and fits its type — a `DNI` 8
    /// digits, a `RUC` 11 digits, a `CE` or `PAS` up to 20 letters and
    /// digits. Without a document both fields go out as `""`.
    pub fn document(mut self, kind: DocumentType, number: impl Into<DocumentNumber>) -> Self {
        self.document = Some((kind, number.into()));
        self
    }

    /// `payinCustomerName`.
    pub fn name(&self) -> &PersonName {
        &self.name
    }

    /// `payinCustomerLastName`.
    pub fn last_name(&self) -> &PersonName {
        &self.last_name
    }

    /// `payinCustomerEmail`.
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// `payinCustomerPhone`.
    pub fn phone(&self) -> &Phone {
        &self.phone
    }

    /// The identity document, if given.
    pub fn identity_document(&self) -> Option<(&DocumentType, &DocumentNumber)> {
        self.document.as_ref().map(|(k, n)| (k, n))
    }
}

/// Declares a part made only of text fields: the struct, a constructor
/// taking every field in order, and a getter per field. A `personal` part
/// (an address, a shipping destination) is masked whole in `Debug`.
macro_rules! text_part {
    ($(#[$meta:meta])* $name:ident, $new_doc:literal { $($field:ident => $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $($field: String,)*
        }

        text_part!(@impl $name, $new_doc { $($field => $wire),* });
    };
    (personal $(#[$meta:meta])* $name:ident, $new_doc:literal { $($field:ident => $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name {
            $($field: String,)*
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        text_part!(@impl $name, $new_doc { $($field => $wire),* });
    };
    (@impl $name:ident, $new_doc:literal { $($field:ident => $wire:literal),* }) => {
        impl $name {
            #[doc = $new_doc]
            #[allow(clippy::too_many_arguments)]
            pub fn new($($field: impl Into<String>),*) -> Self {
                Self { $($field: $field.into()),* }
            }

            $(
                #[doc = concat!("`", $wire, "`.")]
                pub fn $field(&self) -> &str {
                    &self.$field
                }
            )*
        }
    };
}

text_part! {
    personal
    /// The customer's billing address (personal data: masked whole in
    /// `Debug`). Optional: without one, address, city,
    /// country and zip code are sent as `""` and the region as `Lima` (the
    /// seed: "Default value is Lima unless different value is indicated").
    /// Any field may be `""`.
    BillingAddress, "An address (`payinCustomerAddress` … `payinCustomerZipCode`); the seed's default region is `Lima`." {
        address => "payinCustomerAddress",
        city => "payinCustomerCity",
        region => "payinCustomerRegion",
        country => "payinCustomerCountry",
        zip_code => "payinCustomerZipCode",
    }
}

text_part! {
    personal
    /// Where the goods go (personal data: masked whole in `Debug`). Optional: without it every shipping field is sent
    /// as `""`. Any field may be `""`.
    Shipping, "A shipping destination (`payinCustomerShipping*`)." {
        name => "payinCustomerShippingName",
        phone => "payinCustomerShippingPhone",
        address => "payinCustomerShippingAddress",
        city => "payinCustomerShippingCity",
        region => "payinCustomerShippingRegion",
        country => "payinCustomerShippingCountry",
        zip_code => "payinCustomerShippingZipCode",
    }
}

text_part! {
    /// What is sold. Required, and no field may be empty: Monnet says "Can
    /// not be empty, could send a default value i.e. "0"" — which
    /// [`Product::placeholder`] does.
    Product, "A product (`payinProductID`, `payinProductDescription`, `payinProductAmount`, `payinProductSku`, `payinProductQuantity`)." {
        id => "payinProductID",
        description => "payinProductDescription",
        amount => "payinProductAmount",
        sku => "payinProductSku",
        quantity => "payinProductQuantity",
    }
}

impl Product {
    /// Every product field `"0"`, the default Monnet suggests.
    pub fn placeholder() -> Self {
        Self::new("0", "0", "0", "0", "0")
    }
}

const DEFAULT_REGION: &str = "Lima";

/// Builds a [`CreateRequest`] from its required parts; the optional parts
/// and fields are setters; [`build`](Self::build) checks every rule of
/// [`CREATE_REQUEST`] and names the wire field of the first one broken.
#[derive(Debug, Clone)]
pub struct CreateRequestBuilder {
    transaction: Transaction,
    customer: Customer,
    product: Product,
    card: Card,
    billing: Option<BillingAddress>,
    shipping: Option<Shipping>,
    regular_customer: String,
    customer_id: String,
    discount_coupon: String,
    filter_by: String,
}

impl CreateRequestBuilder {
    /// Sets the billing address (`payinCustomerAddress` … `payinCustomerZipCode`).
    pub fn billing_address(mut self, address: BillingAddress) -> Self {
        self.billing = Some(address);
        self
    }

    /// Sets the shipping destination (`payinCustomerShipping*`).
    pub fn shipping(mut self, shipping: Shipping) -> Self {
        self.shipping = Some(shipping);
        self
    }

    /// Sets `payinRegularCustomer` (sent as `""` when unset).
    pub fn regular_customer(mut self, value: impl Into<String>) -> Self {
        self.regular_customer = value.into();
        self
    }

    /// Sets `payinCustomerID` (sent as `""` when unset; PSPs put the
    /// sub-merchant name here).
    pub fn customer_id(mut self, value: impl Into<String>) -> Self {
        self.customer_id = value.into();
        self
    }

    /// Sets `payinDiscountCoupon` (sent as `""` when unset).
    pub fn discount_coupon(mut self, value: impl Into<String>) -> Self {
        self.discount_coupon = value.into();
        self
    }

    /// Sets `payinFilterBy` (sent as `""` when unset).
    pub fn filter_by(mut self, value: impl Into<String>) -> Self {
        self.filter_by = value.into();
        self
    }

    /// Checks every rule, in body order, and returns the request or the
    /// first broken rule with its wire field name.
    pub fn build(self) -> Result<CreateRequest, ValidationError> {
        let request = CreateRequest {
            amount_text: self.transaction.amount.to_decimal_string(),
            currency_text: self.transaction.amount.currency().as_str().to_owned(),
            expiration_text: self.transaction.expiration_minutes.to_string(),
            parts: self,
        };
        for spec in &SPECS {
            let (Source::Request(get) | Source::Card(get)) = spec.source else {
                continue; // from the Config or computed: checked when prepared
            };
            let value = get(&request);
            let field = spec.field.wire;
            match spec.field.presence {
                Presence::NonEmpty if value.trim().is_empty() => {
                    return Err(ValidationError::new(field, Rule::Required));
                }
                Presence::MayBeEmpty if value.is_empty() => continue,
                _ => {}
            }
            if let Some(check) = spec.check {
                check(field, value, &request)?;
            }
        }
        Ok(request)
    }
}

/// A validated Monnet create request: every rule of [`CREATE_REQUEST`]
/// holds.
///
/// Made with [`CreateRequest::builder`]; sent with [`prepare_create`].
/// `Debug` masks the card data.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    parts: CreateRequestBuilder,
    amount_text: String,
    currency_text: String,
    expiration_text: String,
}

impl CreateRequest {
    /// A builder from the four required parts: forgetting one does not
    /// compile.
    pub fn builder(
        transaction: Transaction,
        customer: Customer,
        product: Product,
        card: Card,
    ) -> CreateRequestBuilder {
        CreateRequestBuilder {
            transaction,
            customer,
            product,
            card,
            billing: None,
            shipping: None,
            regular_customer: String::new(),
            customer_id: String::new(),
            discount_coupon: String::new(),
            filter_by: String::new(),
        }
    }

    /// The transaction part.
    pub fn transaction(&self) -> &Transaction {
        &self.parts.transaction
    }

    /// The customer part.
    pub fn customer(&self) -> &Customer {
        &self.parts.customer
    }

    /// The product part.
    pub fn product(&self) -> &Product {
        &self.parts.product
    }

    /// The billing address, if set.
    pub fn billing_address(&self) -> Option<&BillingAddress> {
        self.parts.billing.as_ref()
    }

    /// The shipping destination, if set.
    pub fn shipping(&self) -> Option<&Shipping> {
        self.parts.shipping.as_ref()
    }

    /// `payinMerchantOperationNumber`.
    pub fn operation_number(&self) -> &str {
        &self.parts.transaction.operation_number
    }

    /// `payinAmount` with `payinCurrency`.
    pub fn amount(&self) -> Money {
        self.parts.transaction.amount
    }

    /// The text of `payinAmount` as sent (`"150.00"`).
    pub fn amount_text(&self) -> &str {
        &self.amount_text
    }

    /// The value sent for a create field, by its wire name; `None` for the
    /// fields that come from the [`Config`] or are computed
    /// (`payinMerchantID`, `payinVerification`, `URLMonnet`, `typePost`) and
    /// for the card fields, which are never exposed this way.
    pub fn wire_value(&self, wire: &str) -> Option<&str> {
        SPECS
            .iter()
            .find(|s| s.field.wire == wire)
            .and_then(|s| match s.source {
                Source::Request(get) => Some(get(self)),
                _ => None,
            })
    }
}

fn ymd(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

type Getter = for<'a> fn(&'a CreateRequest) -> &'a str;
type Check = fn(&'static str, &str, &CreateRequest) -> Result<(), ValidationError>;

/// Where a field's value comes from.
#[derive(Clone, Copy)]
enum Source {
    /// `Config::merchant_id`.
    MerchantId,
    /// The computed `payinVerification`.
    Verification,
    /// The environment's `URLMonnet`.
    UrlMonnet,
    /// A constant.
    Constant(&'static str),
    /// The request.
    Request(Getter),
    /// The request's card: masked in wire text.
    Card(Getter),
}

/// One row of the create table: the public description, where the value
/// comes from and the check beyond presence.
struct Spec {
    field: Field,
    source: Source,
    check: Option<Check>,
}

fn max_chars<const N: usize>(field: &'static str, v: &str, _: &CreateRequest) -> Check2 {
    validate::max_chars(field, v, N)
}

type Check2 = Result<(), ValidationError>;

/// The largest `payinAmount` sent, in minor units: 999999999999.99, at
/// most 12 integer digits. Monnet documents no maximum, only a "Decimal"
/// with two decimals; the simulator refuses more than 12 digits before the
/// point, and no card payment comes near it: the SDK sends no more.
pub(crate) const MAX_AMOUNT_MINOR: u64 = 99_999_999_999_999;

/// The longest `payinExpirationTime` sent, in minutes (six digits, about
/// 694 days). Monnet documents whole minutes without a maximum; the
/// simulator refuses more than six digits: the SDK sends no more.
pub(crate) const MAX_EXPIRATION_MINUTES: u32 = 999_999;

fn positive_amount(field: &'static str, _: &str, r: &CreateRequest) -> Check2 {
    validate::range(field, r.amount().minor_units(), 1, MAX_AMOUNT_MINOR)
}

fn positive_minutes(field: &'static str, _: &str, r: &CreateRequest) -> Check2 {
    let m = u64::from(r.parts.transaction.expiration_minutes);
    validate::range(field, m, 1, u64::from(MAX_EXPIRATION_MINUTES))
}

fn email(field: &'static str, v: &str, _: &CreateRequest) -> Check2 {
    validate::max_chars(field, v, 50)?;
    validate::email(field, v)
}

fn phone(field: &'static str, v: &str, _: &CreateRequest) -> Check2 {
    validate::digits(field, v, 8, 9)
}

fn language(field: &'static str, v: &str, _: &CreateRequest) -> Check2 {
    if v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed("two letters (ISO 639-1), such as ES")),
        ))
    }
}

fn https_url(field: &'static str, v: &str, _: &CreateRequest) -> Check2 {
    validate::url(field, v, &["https"], 250, "an absolute https URL")
}

/// Only Monnet's Peru document types are sent (GATEWAYS.md: `DNI`, `CE`,
/// `RUC`, `PAS`); Monnet answers `0022` for a type it does not know.
/// A type also needs its number (the number's own rule does not run on an
/// empty value, which is fine without a document).
fn document_type(field: &'static str, v: &str, r: &CreateRequest) -> Check2 {
    validate::max_chars(field, v, 10)?;
    match &r.parts.customer.document {
        Some((DocumentType::Other(_), _)) => Err(unknown_document_type(field)),
        Some((_, number)) if number.is_empty() => Err(ValidationError::new(
            "payinCustomerDocument",
            Rule::Required,
        )),
        _ => Ok(()),
    }
}

fn unknown_document_type(field: &'static str) -> ValidationError {
    ValidationError::new(
        field,
        Rule::Format(Cow::Borrowed(
            "one of DNI, CE, RUC, PAS (Monnet's Peru document types)",
        )),
    )
}

/// A document type goes with a number that fits it (Monnet answers
/// `0023`–`0026` otherwise): `DNI` 8 digits, `RUC` 11 digits (Peru's tax id
/// length), `CE`/`PAS` 1–20 letters and digits.
fn document_number(field: &'static str, v: &str, r: &CreateRequest) -> Check2 {
    match &r.parts.customer.document {
        Some((DocumentType::Dni, _)) => validate::digits(field, v, 8, 8),
        Some((DocumentType::Ruc, _)) => validate::digits(field, v, 11, 11),
        Some((DocumentType::Ce | DocumentType::Pas, _)) => validate::ascii_alnum(field, v, 1, 20),
        Some((DocumentType::Other(_), _)) => {
            Err(unknown_document_type("payinCustomerTypeDocument"))
        }
        None => validate::max_chars(field, v, 20),
    }
}

/// Builds the 43-row table with one line per field.
macro_rules! create_table {
    ($($wire:literal, $rust:literal, $presence:ident, $ty:ident, $source:expr, $check:expr, $rule:literal;)*) => {
        const SPECS: [Spec; 43] = [$(Spec {
            field: Field::new($wire, $rust, Presence::$presence, FieldType::$ty, $rule),
            source: $source,
            check: $check,
        },)*];
    };
}

const fn req(get: Getter) -> Source {
    Source::Request(get)
}

// The create request, in the seed's sample order (the order of the body).
//
// Presence follows GATEWAYS.md, "Which fields may be empty": "Required" in
// Monnet's table means *present*. Only the four customer fields, the product
// fields, `payinDateTime` and the fields carrying the transaction itself are
// `NonEmpty`; everything else is `MayBeEmpty` and sent as `""` when unset.
create_table! {
    "payinMerchantID", "Config::merchant_id", NonEmpty, Integer, Source::MerchantId, None,
        "digits only (from the Config)";
    "payinAmount", "transaction.amount", NonEmpty, Decimal, req(|r| &r.amount_text), Some(positive_amount),
        "more than zero, at most 999999999999.99 (12 integer digits), exactly two decimals";
    "payinCurrency", "transaction.amount.currency", NonEmpty, Text, req(|r| &r.currency_text), None,
        "three upper-case letters (ISO 4217)";
    "payinMerchantOperationNumber", "transaction.operation_number", NonEmpty, Text, req(|r| &r.parts.transaction.operation_number), Some(max_chars::<50>),
        "at most 50 characters";
    "payinMethod", "transaction.method", NonEmpty, Text, req(|r| r.parts.transaction.method.as_str()), None,
        "TCTD, TC or TD";
    "payinVerification", "(computed)", NonEmpty, Hex, Source::Verification, None,
        "lowercase hex SHA-512 of merchant id + operation number + amount + currency + KeyMonnet, as sent";
    "payinCustomerName", "customer.name", NonEmpty, Text, req(|r| r.parts.customer.name.expose()), Some(max_chars::<30>),
        "at most 30 characters";
    "payinCustomerLastName", "customer.last_name", NonEmpty, Text, req(|r| r.parts.customer.last_name.expose()), Some(max_chars::<30>),
        "at most 30 characters";
    "payinCustomerEmail", "customer.email", NonEmpty, Text, req(|r| r.parts.customer.email.expose()), Some(email),
        "an e-mail address, at most 50 characters";
    "payinCustomerPhone", "customer.phone", NonEmpty, Integer, req(|r| r.parts.customer.phone.expose()), Some(phone),
        "8 or 9 digits";
    "payinCustomerTypeDocument", "customer.document.0", MayBeEmpty, Text, req(|r| r.parts.customer.document.as_ref().map_or("", |d| d.0.as_str())), Some(document_type),
        "DNI, CE, RUC or PAS; empty when no document is given";
    "payinCustomerDocument", "customer.document.1", MayBeEmpty, Text, req(|r| r.parts.customer.document.as_ref().map_or("", |d| d.1.expose())), Some(document_number),
        "with a type: a DNI 8 digits, a RUC 11 digits, a CE or PAS 1-20 letters and digits; empty when no document is given";
    "payinRegularCustomer", "regular_customer", MayBeEmpty, Text, req(|r| &r.parts.regular_customer), None,
        "free text, may be empty";
    "payinCustomerID", "customer_id", MayBeEmpty, Text, req(|r| &r.parts.customer_id), None,
        "free text, may be empty (PSPs: the sub-merchant name)";
    // The seed's table marks payinDiscountCoupon "(Requied)" [sic] and an
    // earlier version of this SDK required it. GATEWAYS.md ("Which fields may
    // be empty") overrides the seed: a merchant without a coupon sends "".
    "payinDiscountCoupon", "discount_coupon", MayBeEmpty, Text, req(|r| &r.parts.discount_coupon), None,
        "free text, may be empty";
    "payinLanguage", "transaction.language", NonEmpty, Text, req(|r| &r.parts.transaction.language), Some(language),
        "two letters (ISO 639-1)";
    "payinExpirationTime", "transaction.expiration_minutes", NonEmpty, Integer, req(|r| &r.expiration_text), Some(positive_minutes),
        "whole minutes, 1 to 999999";
    "payinDateTime", "transaction.date_time", NonEmpty, Text, req(|r| &r.parts.transaction.date_time), None,
        "must not be empty (the date of the transaction)";
    "payinTransactionOKURL", "transaction.ok_url", NonEmpty, Url, req(|r| &r.parts.transaction.ok_url), Some(https_url),
        "absolute https URL, at most 250 characters";
    "payinTransactionErrorURL", "transaction.error_url", NonEmpty, Url, req(|r| &r.parts.transaction.error_url), Some(https_url),
        "absolute https URL, at most 250 characters";
    "payinFilterBy", "filter_by", MayBeEmpty, Text, req(|r| &r.parts.filter_by), None,
        "free text, may be empty";
    "payinCustomerAddress", "billing_address.address", MayBeEmpty, Text, req(|r| r.parts.billing.as_ref().map_or("", |b| &b.address)), None,
        "free text, may be empty";
    "payinCustomerCity", "billing_address.city", MayBeEmpty, Text, req(|r| r.parts.billing.as_ref().map_or("", |b| &b.city)), None,
        "free text, may be empty";
    "payinCustomerRegion", "billing_address.region", MayBeEmpty, Text, req(|r| r.parts.billing.as_ref().map_or(DEFAULT_REGION, |b| &b.region)), None,
        "free text, may be empty; Lima unless set";
    "payinCustomerCountry", "billing_address.country", MayBeEmpty, Text, req(|r| r.parts.billing.as_ref().map_or("", |b| &b.country)), None,
        "free text, may be empty";
    "payinCustomerZipCode", "billing_address.zip_code", MayBeEmpty, Text, req(|r| r.parts.billing.as_ref().map_or("", |b| &b.zip_code)), None,
        "free text, may be empty";
    "payinCustomerShippingName", "shipping.name", MayBeEmpty, Text, req(|r| r.parts.shipping.as_ref().map_or("", |s| &s.name)), None,
        "free text, may be empty";
    "payinCustomerShippingPhone", "shipping.phone", MayBeEmpty, Text, req(|r| r.parts.shipping.as_ref().map_or("", |s| &s.phone)), None,
        "free text, may be empty";
    "payinCustomerShippingAddress", "shipping.address", MayBeEmpty, Text, req(|r| r.parts.shipping.as_ref().map_or("", |s| &s.address)), None,
        "free text, may be empty";
    "payinCustomerShippingCity", "shipping.city", MayBeEmpty, Text, req(|r| r.parts.shipping.as_ref().map_or("", |s| &s.city)), None,
        "free text, may be empty";
    "payinCustomerShippingRegion", "shipping.region", MayBeEmpty, Text, req(|r| r.parts.shipping.as_ref().map_or("", |s| &s.region)), None,
        "free text, may be empty";
    "payinCustomerShippingCountry", "shipping.country", MayBeEmpty, Text, req(|r| r.parts.shipping.as_ref().map_or("", |s| &s.country)), None,
        "free text, may be empty";
    "payinCustomerShippingZipCode", "shipping.zip_code", MayBeEmpty, Text, req(|r| r.parts.shipping.as_ref().map_or("", |s| &s.zip_code)), None,
        "free text, may be empty";
    "payinProductID", "product.id", NonEmpty, Text, req(|r| &r.parts.product.id), None,
        "must not be empty (\"0\" as a default)";
    "payinProductDescription", "product.description", NonEmpty, Text, req(|r| &r.parts.product.description), None,
        "must not be empty (\"0\" as a default)";
    "payinProductAmount", "product.amount", NonEmpty, Text, req(|r| &r.parts.product.amount), None,
        "must not be empty (\"0\" as a default)";
    "payinProductSku", "product.sku", NonEmpty, Text, req(|r| &r.parts.product.sku), None,
        "must not be empty (\"0\" as a default)";
    "payinProductQuantity", "product.quantity", NonEmpty, Text, req(|r| &r.parts.product.quantity), None,
        "must not be empty (\"0\" as a default)";
    "URLMonnet", "Config::environment", NonEmpty, Url, Source::UrlMonnet, None,
        "the Monnet endpoint the proxy forwards to (from the environment)";
    "typePost", "(constant)", NonEmpty, Text, Source::Constant("json"), None,
        "always json";
    "payinPan", "card.pan", NonEmpty, Card, Source::Card(|r| r.parts.card.pan().expose_secret()), None,
        "8 to 19 digits";
    "payinCvv", "card.cvv", NonEmpty, Card, Source::Card(|r| r.parts.card.cvv().expose_secret()), None,
        "3 or 4 digits";
    "payinCardExpiration", "card.expiration", NonEmpty, Card, Source::Card(|r| r.parts.card.expiration().expose_secret()), None,
        "YYYY-MM";
}

/// The create request's schema: its 43 fields in the order they are sent
/// (the seed's sample order), each always sent as a JSON string.
pub const CREATE_REQUEST: [Field; 43] = {
    let mut out = [SPECS[0].field; 43];
    let mut i = 0;
    while i < 43 {
        out[i] = SPECS[i].field;
        i += 1;
    }
    out
};

/// The wire names of [`CREATE_REQUEST`], in order.
pub const CREATE_FIELDS: [&str; 43] = {
    let mut out = [""; 43];
    let mut i = 0;
    while i < 43 {
        out[i] = SPECS[i].field.wire;
        i += 1;
    }
    out
};

/// Field names and fixed punctuation of the body, for sizing the buffer.
const BODY_OVERHEAD: usize = 1300;

/// Prepares the create request: `POST` to the environment's PCI-proxy URL,
/// `Content-Type: application/json`, and the body of the seed's sample —
/// the fields of [`CREATE_REQUEST`] in its order, every value a JSON
/// string, unset optionals as `""`, `URLMonnet` for the environment,
/// `typePost` `json`, minified — with `payinVerification` computed over the
/// merchant id, operation number, amount and currency exactly as they
/// appear in it.
///
/// The PAN, CVV and expiry are masked in
/// [`PreparedRequest::to_wire_text`]. It cannot fail: the request was
/// checked by [`CreateRequestBuilder::build`], the only way to make one, and
/// the configuration by [`Config::new`].
pub fn prepare_create(config: &Config, request: &CreateRequest) -> PreparedRequest {
    let url = config.pci_proxy_url().clone();
    let url_monnet = config.url_monnet();
    // `request` passed every check in `build`, the only way to make one, and
    // its fields are private: it is not checked again.
    let merchant_id = config.merchant_id();
    let hash = hex_512(&payin_digest(
        merchant_id,
        request.operation_number(),
        &request.amount_text,
        &request.currency_text,
        config.key(),
    ));
    let hash = std::str::from_utf8(&hash).unwrap_or("");

    let value = |source: Source| match source {
        Source::MerchantId => merchant_id,
        Source::Verification => hash,
        Source::UrlMonnet => url_monnet,
        Source::Constant(c) => c,
        Source::Request(get) | Source::Card(get) => get(request),
    };
    let capacity = BODY_OVERHEAD + SPECS.iter().map(|s| value(s.source).len()).sum::<usize>();
    let mut w = ObjectWriter::with_capacity(capacity);
    let mut masked = Vec::with_capacity(3);
    for spec in &SPECS {
        match spec.source {
            Source::Verification => w.raw_string(spec.field.wire, hash),
            Source::Card(_) => masked.push(w.string(spec.field.wire, value(spec.source))),
            other => {
                w.string(spec.field.wire, value(other));
            }
        }
    }

    PreparedRequest::new(
        Method::POST,
        url,
        vec![("Content-Type".to_owned(), "application/json".to_owned())],
        w.finish().into_bytes(),
    )
    .with_masked(masked)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::monnet::{CardExpiration, Cvv, Environment, Pan, payin_verification};
    use crate::secret::MonnetKey;
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use time::macros::date;

    pub(crate) const PAN: &str = "4517721004856075";
    pub(crate) const CVV: &str = "8351";
    pub(crate) const EXPIRY: &str = "2031-09";
    pub(crate) const KEY: &str = "k3y-Mönnet-s3cr3t";

    /// A JSON object's entries in document order.
    struct Ordered(Vec<(String, serde_json::Value)>);

    impl<'de> Deserialize<'de> for Ordered {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Ordered;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                    let mut out = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        out.push(entry);
                    }
                    Ok(Ordered(out))
                }
            }
            d.deserialize_map(V)
        }
    }

    fn entries(body: &[u8]) -> Vec<(String, serde_json::Value)> {
        serde_json::from_slice::<Ordered>(body).unwrap().0
    }

    fn get(body: &[u8], wire: &str) -> String {
        let e = entries(body);
        match &e.iter().find(|(k, _)| k == wire).unwrap().1 {
            serde_json::Value::String(s) => s.clone(),
            other => panic!("{wire} is not a string: {other}"),
        }
    }

    pub(crate) fn config() -> Config {
        Config::new("4001", KEY, Environment::Certification).unwrap()
    }

    fn card(pan: &str, cvv: &str, expiry: &str) -> Card {
        Card::new(
            Pan::new(pan).unwrap(),
            Cvv::new(cvv).unwrap(),
            CardExpiration::new(expiry).unwrap(),
        )
    }

    fn transaction() -> Transaction {
        Transaction::new(
            "0000",
            Money::pen(15000),
            CardMethod::CreditOrDebit,
            "https://test.com",
            "https://test.com",
            date!(2025 - 07 - 01),
        )
    }

    fn customer() -> Customer {
        Customer::new("string", "string", "cliente@example.com", "987654321")
            .document(DocumentType::Dni, "00000000")
    }

    fn product() -> Product {
        Product::new("0000", "string", "0000", "string", "0000")
    }

    fn minimal() -> CreateRequestBuilder {
        CreateRequest::builder(transaction(), customer(), product(), card(PAN, CVV, EXPIRY))
    }

    /// A request with the seed sample's values where they are valid.
    fn sample_builder() -> CreateRequestBuilder {
        CreateRequest::builder(
            transaction(),
            customer(),
            product(),
            card("4517721004856075", "123", "2025-07"),
        )
        .regular_customer("string")
        .customer_id("string")
        .discount_coupon("string")
        .filter_by("string")
        .billing_address(BillingAddress::new(
            "string", "string", "string", "Peru", "0000",
        ))
        .shipping(Shipping::new(
            "string", "0000", "string", "string", "string", "Peru", "0000",
        ))
    }

    /// A valid request with the PCI test values of this module.
    pub(crate) fn request() -> CreateRequest {
        CreateRequest::builder(
            Transaction::new(
                "ORD-000123",
                Money::pen(15000),
                CardMethod::CreditOrDebit,
                "https://test.com",
                "https://test.com",
                date!(2025 - 07 - 01),
            ),
            customer(),
            product(),
            card(PAN, CVV, EXPIRY),
        )
        .build()
        .unwrap()
    }

    fn rule_of(b: CreateRequestBuilder) -> (String, Rule) {
        let e = b.build().unwrap_err();
        // Messages never carry card data or the key.
        for s in [PAN, CVV, EXPIRY, KEY, "4517721004856075"] {
            assert!(!e.to_string().contains(s));
            assert!(!format!("{e:?}").contains(s));
        }
        (e.field().to_owned(), e.rule().clone())
    }

    fn fmt_rule(b: CreateRequestBuilder, field: &str) {
        let (f, rule) = rule_of(b);
        assert_eq!(f, field);
        assert!(matches!(rule, Rule::Format(_)), "{field}: {rule:?}");
    }

    fn with_tx(f: impl FnOnce(Transaction) -> Transaction) -> CreateRequestBuilder {
        CreateRequest::builder(
            f(transaction()),
            customer(),
            product(),
            card(PAN, CVV, EXPIRY),
        )
    }

    fn with_customer(c: Customer) -> CreateRequestBuilder {
        CreateRequest::builder(transaction(), c, product(), card(PAN, CVV, EXPIRY))
    }

    #[test]
    fn seed_sample_renders_same_fields_order_and_types() {
        let sample = entries(include_bytes!(
            "../../testdata/monnet/create/seed-sample-request.json"
        ));
        let req = sample_builder().build().unwrap();
        let prepared = prepare_create(&config(), &req);
        let ours = entries(prepared.body());

        let names = |e: &[(String, serde_json::Value)]| -> Vec<String> {
            e.iter().map(|(k, _)| k.clone()).collect()
        };
        assert_eq!(names(&ours), names(&sample));
        assert_eq!(names(&ours), CREATE_FIELDS.map(str::to_owned).to_vec());
        // Values we had to change from the sample's placeholders (which break
        // the gateway's own rules) or that are computed.
        let changed = [
            "payinMerchantID",
            "payinAmount",
            "payinVerification",
            "payinCustomerEmail",
            "payinCustomerPhone",
            "payinExpirationTime",
            "payinDateTime",
        ];
        for ((k, ours), (_, theirs)) in ours.iter().zip(&sample) {
            assert!(ours.is_string(), "{k} is not a string");
            assert!(theirs.is_string());
            if !changed.contains(&k.as_str()) {
                assert_eq!(ours, theirs, "{k}");
            }
        }
        let body = prepared.body();
        assert_eq!(get(body, "payinMerchantID"), "4001");
        assert_eq!(get(body, "payinAmount"), "150.00");
        assert_eq!(get(body, "payinExpirationTime"), "30");
        assert_eq!(get(body, "payinDateTime"), "2025-07-01");
        assert_eq!(
            get(body, "payinVerification"),
            payin_verification("4001", "0000", "150.00", "PEN", &MonnetKey::new(KEY))
        );
        // Minified: no insignificant whitespace (sample values hold no spaces).
        assert!(!body.contains(&b' '));
        assert!(!body.contains(&b'\n'));
    }

    #[test]
    fn schema_table_matches_the_body_and_gateways_md() {
        use Presence::*;
        let never_empty = [
            "payinMerchantID",
            "payinAmount",
            "payinCurrency",
            "payinMerchantOperationNumber",
            "payinMethod",
            "payinVerification",
            "payinCustomerName",
            "payinCustomerLastName",
            "payinCustomerEmail",
            "payinCustomerPhone",
            "payinLanguage",
            "payinExpirationTime",
            "payinDateTime",
            "payinTransactionOKURL",
            "payinTransactionErrorURL",
            "payinProductID",
            "payinProductDescription",
            "payinProductAmount",
            "payinProductSku",
            "payinProductQuantity",
            "URLMonnet",
            "typePost",
            "payinPan",
            "payinCvv",
            "payinCardExpiration",
        ];
        for f in CREATE_REQUEST {
            let expected = if never_empty.contains(&f.wire) {
                NonEmpty
            } else {
                MayBeEmpty
            };
            assert_eq!(f.presence, expected, "{}", f.wire);
        }
        assert_eq!(
            CREATE_REQUEST
                .iter()
                .filter(|f| f.presence == MayBeEmpty)
                .count(),
            43 - never_empty.len()
        );
        assert_eq!(CREATE_FIELDS, CREATE_REQUEST.map(|f| f.wire));
    }

    #[test]
    fn request_line_headers_and_masking() {
        let prepared = prepare_create(&config(), &request());
        assert_eq!(prepared.method(), Method::POST);
        assert_eq!(
            prepared.url().as_str(),
            "https://sandbox.pci-proxy.com/v1/push/7efeb612e5dda6f1"
        );
        assert_eq!(
            prepared.headers(),
            &[("Content-Type".to_owned(), "application/json".to_owned())]
        );
        let body = std::str::from_utf8(prepared.body()).unwrap();
        assert!(body.ends_with(&format!(
            r#""typePost":"json","payinPan":"{PAN}","payinCvv":"{CVV}","payinCardExpiration":"{EXPIRY}"}}"#
        )));
        let wire = prepared.to_wire_text();
        assert!(wire.starts_with(
            "POST /v1/push/7efeb612e5dda6f1 HTTP/1.1\r\nHost: sandbox.pci-proxy.com\r\nContent-Type: application/json\r\n"
        ));
        assert!(wire.ends_with(
            r#""payinPan":"****************","payinCvv":"****","payinCardExpiration":"*******"}"#
        ));
        for secret in [PAN, CVV, EXPIRY, KEY] {
            assert!(!wire.contains(secret), "{secret}");
            assert!(!format!("{prepared:?}").contains(secret));
            assert!(!format!("{:?}", request()).contains(secret));
            assert!(!format!("{:?}", minimal()).contains(secret));
            assert!(!format!("{:?}", config()).contains(secret));
        }
        assert!(format!("{:?}", request()).contains("************6075"));
    }

    #[test]
    fn environments_choose_url_and_url_monnet() {
        for (env, proxy, monnet) in [
            (
                Environment::Production,
                "https://api.pci-proxy.com/v1/push/32dfee54fc151dd3",
                "https://payin.api.monnetpayments.com/api-payin/v3/online-payments",
            ),
            (
                Environment::Certification,
                "https://sandbox.pci-proxy.com/v1/push/7efeb612e5dda6f1",
                "https://cert.monnetpayments.com/api-payin/v3/online-payments",
            ),
            (
                Environment::Custom("http://127.0.0.1:9/sim/".parse().unwrap()),
                "http://127.0.0.1:9/sim/v1/push/7efeb612e5dda6f1",
                "http://127.0.0.1:9/sim/api-payin/v3/online-payments",
            ),
        ] {
            let cfg = Config::new("4001", KEY, env).unwrap();
            let p = prepare_create(&cfg, &request());
            assert_eq!(p.url().as_str(), proxy);
            assert_eq!(get(p.body(), "URLMonnet"), monnet);
        }
    }

    #[test]
    fn unset_optional_parts_are_empty_strings_and_region_is_lima() {
        // No coupon, no shipping, no billing address, no document: the
        // merchant of issue 9 can create a payment.
        let req = minimal().build().unwrap();
        let p = prepare_create(&config(), &req);
        let body = p.body();
        for f in CREATE_REQUEST
            .iter()
            .filter(|f| f.presence == Presence::MayBeEmpty)
        {
            let expected = match f.wire {
                "payinCustomerRegion" => "Lima",
                "payinCustomerTypeDocument" => "DNI",
                "payinCustomerDocument" => "00000000",
                _ => "",
            };
            assert_eq!(get(body, f.wire), expected, "{}", f.wire);
        }
        let req = with_customer(Customer::new(
            "Rosa",
            "Quispe",
            "rosa@example.com",
            "987654321",
        ))
        .build()
        .unwrap();
        let p = prepare_create(&config(), &req);
        assert_eq!(get(p.body(), "payinCustomerTypeDocument"), "");
        assert_eq!(get(p.body(), "payinCustomerDocument"), "");
        // Every may-be-empty field set explicitly to "" is accepted too.
        let req = minimal()
            .discount_coupon("")
            .regular_customer("")
            .customer_id("")
            .filter_by("")
            .billing_address(BillingAddress::new("", "", "", "", ""))
            .shipping(Shipping::new("", "", "", "", "", "", ""))
            .build()
            .unwrap();
        let p = prepare_create(&config(), &req);
        assert_eq!(get(p.body(), "payinDiscountCoupon"), "");
        assert_eq!(get(p.body(), "payinCustomerRegion"), "");
        assert_eq!(get(p.body(), "payinCustomerShippingName"), "");
    }

    #[test]
    fn escaping_is_exact_and_hash_covers_the_value() {
        let req = with_tx(|_| {
            Transaction::new(
                "Año \"ñ\"\\\n",
                Money::pen(15000),
                CardMethod::Credit,
                "https://test.com",
                "https://test.com",
                date!(2025 - 07 - 01),
            )
        })
        .billing_address(BillingAddress::new("Av. Perú 123\t#4", "", "", "", ""))
        .build()
        .unwrap();
        let p = prepare_create(&config(), &req);
        let body = p.body();
        assert_eq!(get(body, "payinMerchantOperationNumber"), "Año \"ñ\"\\\n");
        assert_eq!(get(body, "payinCustomerAddress"), "Av. Perú 123\t#4");
        assert_eq!(get(body, "payinMethod"), "TC");
        assert_eq!(
            get(body, "payinVerification"),
            payin_verification(
                "4001",
                "Año \"ñ\"\\\n",
                "150.00",
                "PEN",
                &MonnetKey::new(KEY)
            )
        );
        // Byte-identical to serde_json for the same ordered string values.
        let mut expected = String::from("{");
        for (i, (k, v)) in entries(body).iter().enumerate() {
            if i > 0 {
                expected.push(',');
            }
            expected.push_str(&serde_json::to_string(k).unwrap());
            expected.push(':');
            expected.push_str(&serde_json::to_string(v).unwrap());
        }
        expected.push('}');
        assert_eq!(body, expected.as_bytes());
    }

    #[test]
    fn never_empty_fields_name_the_wire_field() {
        for (field, b) in [
            (
                "payinMerchantOperationNumber",
                with_tx(|t| Transaction {
                    operation_number: " ".into(),
                    ..t
                }),
            ),
            ("payinLanguage", with_tx(|t| t.language(""))),
            ("payinDateTime", with_tx(|t| t.date_time(""))),
            ("payinDateTime", with_tx(|t| t.date_time("  "))),
            (
                "payinTransactionOKURL",
                with_tx(|t| Transaction {
                    ok_url: String::new(),
                    ..t
                }),
            ),
            (
                "payinTransactionErrorURL",
                with_tx(|t| Transaction {
                    error_url: String::new(),
                    ..t
                }),
            ),
            (
                "payinCustomerName",
                with_customer(Customer::new("", "Q", "a@b.pe", "987654321")),
            ),
            (
                "payinCustomerName",
                with_customer(Customer::new("  ", "Q", "a@b.pe", "987654321")),
            ),
            (
                "payinCustomerLastName",
                with_customer(Customer::new("R", "\t", "a@b.pe", "987654321")),
            ),
            (
                "payinCustomerEmail",
                with_customer(Customer::new("R", "Q", "", "987654321")),
            ),
            (
                "payinCustomerPhone",
                with_customer(Customer::new("R", "Q", "a@b.pe", "")),
            ),
        ] {
            assert_eq!(rule_of(b), (field.to_owned(), Rule::Required));
        }
        for (i, field) in [
            "payinProductID",
            "payinProductDescription",
            "payinProductAmount",
            "payinProductSku",
            "payinProductQuantity",
        ]
        .into_iter()
        .enumerate()
        {
            let mut v = ["0"; 5];
            v[i] = "";
            let b = CreateRequest::builder(
                transaction(),
                customer(),
                Product::new(v[0], v[1], v[2], v[3], v[4]),
                card(PAN, CVV, EXPIRY),
            );
            assert_eq!(rule_of(b), (field.to_owned(), Rule::Required));
        }
        assert!(
            CreateRequest::builder(
                transaction(),
                customer(),
                Product::placeholder(),
                card(PAN, CVV, EXPIRY)
            )
            .build()
            .is_ok()
        );
    }

    #[test]
    fn limits_name_field_and_rule() {
        assert_eq!(
            rule_of(with_tx(|t| Transaction {
                amount: Money::pen(0),
                ..t
            })),
            (
                "payinAmount".to_owned(),
                Rule::OutOfRange {
                    min: 1,
                    max: MAX_AMOUNT_MINOR
                }
            )
        );
        let op = |s: String| {
            with_tx(move |t| Transaction {
                operation_number: s,
                ..t
            })
        };
        assert!(op("x".repeat(50)).build().is_ok());
        assert!(op("ñ".repeat(50)).build().is_ok());
        assert_eq!(
            rule_of(op("x".repeat(51))),
            (
                "payinMerchantOperationNumber".to_owned(),
                Rule::TooLong { max: 50 }
            )
        );
        let name = |n: String, l: String| with_customer(Customer::new(n, l, "a@b.pe", "987654321"));
        assert!(name("Ñ".repeat(30), "é".repeat(30)).build().is_ok());
        assert_eq!(
            rule_of(name("a".repeat(31), "b".into())),
            ("payinCustomerName".to_owned(), Rule::TooLong { max: 30 })
        );
        assert_eq!(
            rule_of(name("a".into(), "b".repeat(31))),
            (
                "payinCustomerLastName".to_owned(),
                Rule::TooLong { max: 30 }
            )
        );
        let mail = |e: String| with_customer(Customer::new("R", "Q", e, "987654321"));
        for bad in ["nobody", "@x.com", "abc@", "a b@c.d", "a@b@c.pe"] {
            fmt_rule(mail(bad.into()), "payinCustomerEmail");
        }
        let fifty = format!("{}@example.pe", "a".repeat(50 - 11));
        assert_eq!(fifty.len(), 50);
        assert!(mail(fifty.clone()).build().is_ok());
        assert_eq!(
            rule_of(mail(format!("a{fifty}"))),
            ("payinCustomerEmail".to_owned(), Rule::TooLong { max: 50 })
        );
        let tel = |p: &str| with_customer(Customer::new("R", "Q", "a@b.pe", p));
        assert!(tel("12345678").build().is_ok());
        assert_eq!(
            rule_of(tel("1234567")),
            ("payinCustomerPhone".to_owned(), Rule::TooShort { min: 8 })
        );
        assert_eq!(
            rule_of(tel("1234567890")),
            ("payinCustomerPhone".to_owned(), Rule::TooLong { max: 9 })
        );
        fmt_rule(tel("+5198765432"), "payinCustomerPhone");
        fmt_rule(tel("987 65432"), "payinCustomerPhone");
        for bad in ["E", "ESP", "e1", "ñs"] {
            fmt_rule(with_tx(|t| t.language(bad)), "payinLanguage");
        }
        assert!(with_tx(|t| t.language("en")).build().is_ok());
        assert_eq!(
            rule_of(with_tx(|t| t.expiration_minutes(0))),
            (
                "payinExpirationTime".to_owned(),
                Rule::OutOfRange {
                    min: 1,
                    max: u64::from(MAX_EXPIRATION_MINUTES)
                }
            )
        );
        type Set = fn(Transaction, String) -> Transaction;
        let set_ok: Set = |t, u| Transaction { ok_url: u, ..t };
        let set_err: Set = |t, u| Transaction { error_url: u, ..t };
        for (field, set) in [
            ("payinTransactionOKURL", set_ok),
            ("payinTransactionErrorURL", set_err),
        ] {
            for bad in [
                "http://shop.pe/ok",
                "shop.pe/ok",
                "https://",
                "ftp://shop.pe",
            ] {
                fmt_rule(with_tx(|t| set(t, bad.to_owned())), field);
            }
            let long = format!("https://shop.pe/{}", "a".repeat(250 - 16));
            assert_eq!(long.len(), 250);
            assert!(with_tx(|t| set(t, long.clone())).build().is_ok());
            assert_eq!(
                rule_of(with_tx(|t| set(t, format!("{long}a")))),
                (field.to_owned(), Rule::TooLong { max: 250 })
            );
        }
        // payinCustomerDocument: a DNI is 8 digits, a RUC 11, a CE or PAS
        // 1–20 letters and digits; never empty beside a type.
        let doc = |k: DocumentType, n: &str| {
            with_customer(Customer::new("R", "Q", "a@b.pe", "987654321").document(k, n))
        };
        fmt_rule(doc(DocumentType::Dni, "1234567a"), "payinCustomerDocument");
        assert_eq!(
            rule_of(doc(DocumentType::Dni, "1234567")),
            (
                "payinCustomerDocument".to_owned(),
                Rule::TooShort { min: 8 }
            )
        );
        assert!(doc(DocumentType::Ce, "X12345").build().is_ok());
        assert!(doc(DocumentType::Pas, &"A1".repeat(10)).build().is_ok());
        assert!(doc(DocumentType::Ruc, "20123456789").build().is_ok());
        for (kind, number, rule) in [
            (DocumentType::Pas, "", Rule::Required),
            (DocumentType::Ce, "", Rule::Required),
            (DocumentType::Dni, "", Rule::Required),
            (DocumentType::Ruc, "", Rule::Required),
            (DocumentType::Ruc, "2012345678", Rule::TooShort { min: 11 }),
            (DocumentType::Ruc, "201234567890", Rule::TooLong { max: 11 }),
            (
                DocumentType::Pas,
                &"A".repeat(21),
                Rule::TooLong { max: 20 },
            ),
        ] {
            assert_eq!(
                rule_of(doc(kind.clone(), number)),
                ("payinCustomerDocument".to_owned(), rule),
                "{kind:?} {number:?}"
            );
        }
        fmt_rule(
            doc(DocumentType::Ruc, "2012345678a"),
            "payinCustomerDocument",
        );
        fmt_rule(doc(DocumentType::Ce, "X-12345"), "payinCustomerDocument");
        // Only Monnet's four types are sent.
        fmt_rule(
            doc(DocumentType::Other("NIT".into()), "1"),
            "payinCustomerTypeDocument",
        );
        assert_eq!(
            rule_of(doc(DocumentType::Other("X".repeat(11)), "1")),
            (
                "payinCustomerTypeDocument".to_owned(),
                Rule::TooLong { max: 10 }
            )
        );
    }

    #[test]
    fn config_is_checked_before_anything_is_produced() {
        // `Config::new` is the one check; a built config prepares every
        // built request.
        assert_eq!(
            Config::new("M-1", KEY, Environment::Certification)
                .unwrap_err()
                .field(),
            "payinMerchantID"
        );
        assert_eq!(
            Config::new("1", "", Environment::Certification)
                .unwrap_err()
                .field(),
            "KeyMonnet"
        );
        let file = Environment::Custom("file:///tmp".parse().unwrap());
        assert_eq!(
            Config::new("1", "k", file).unwrap_err().field(),
            "environment"
        );
        // A checked config prepares (the signature says it cannot fail).
        let prepared: PreparedRequest = prepare_create(&config(), &request());
        assert_eq!(prepared.method(), Method::POST);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        #[test]
        fn any_text_renders_valid_json_hashed_as_sent(
            op in "\\PC{1,50}",
            address in "[\\x00-\\x1f\"\\\\a-zñ ]{0,40}",
            cents in 1u64..=MAX_AMOUNT_MINOR,
        ) {
            let b = with_tx(|t| Transaction { operation_number: op.clone(), amount: Money::pen(cents), ..t })
                .billing_address(BillingAddress::new(address.clone(), "", "", "", ""));
            let Ok(req) = b.build() else {
                // Only a blank operation number is refused here.
                proptest::prop_assert!(op.trim().is_empty());
                return Ok(());
            };
            let p = prepare_create(&config(), &req);
            let body = p.body();
            proptest::prop_assert_eq!(get(body, "payinMerchantOperationNumber"), op.as_str());
            proptest::prop_assert_eq!(get(body, "payinCustomerAddress"), address.as_str());
            let amount = Money::pen(cents).to_decimal_string();
            proptest::prop_assert_eq!(get(body, "payinAmount"), amount.as_str());
            let hash = payin_verification("4001", &op, &amount, "PEN", &MonnetKey::new(KEY));
            proptest::prop_assert_eq!(get(body, "payinVerification"), hash);
            let wire = p.to_wire_text();
            for s in [PAN, CVV, EXPIRY] {
                let masked = format!("\"{}\"", "*".repeat(s.len()));
                proptest::prop_assert!(wire.contains(&masked));
                // The CVV's four digits may occur in a random amount.
                if s != CVV {
                    proptest::prop_assert!(!wire.contains(s));
                }
            }
        }
    }

    /// payinAmount: at most 12 integer digits; payinExpirationTime: at
    /// most 999999 minutes (the simulator refuses more; Monnet documents no
    /// maximum, so the SDK sends no more than the witness takes).
    #[test]
    fn amount_and_expiration_have_a_ceiling() {
        let amount = |minor| {
            with_tx(|t| Transaction {
                amount: Money::pen(minor),
                ..t
            })
        };
        let most = amount(MAX_AMOUNT_MINOR).build().unwrap();
        assert_eq!(most.amount_text(), "999999999999.99");
        for over in [MAX_AMOUNT_MINOR + 1, u64::MAX] {
            assert_eq!(
                rule_of(amount(over)),
                (
                    "payinAmount".to_owned(),
                    Rule::OutOfRange {
                        min: 1,
                        max: MAX_AMOUNT_MINOR
                    }
                )
            );
        }
        assert!(with_tx(|t| t.expiration_minutes(999_999)).build().is_ok());
        for over in [1_000_000, u32::MAX] {
            assert_eq!(
                rule_of(with_tx(|t| t.expiration_minutes(over))).0,
                "payinExpirationTime"
            );
        }
    }

    #[test]
    fn getters_and_wire_values() {
        let r = request();
        assert_eq!(r.operation_number(), "ORD-000123");
        assert_eq!(r.amount(), Money::pen(15000));
        assert_eq!(r.amount_text(), "150.00");
        assert_eq!(r.transaction().method(), CardMethod::CreditOrDebit);
        assert_eq!(r.transaction().expiration(), 30);
        assert_eq!(r.transaction().language_code(), "ES");
        assert_eq!(r.transaction().date_time_text(), "2025-07-01");
        assert_eq!(
            r.customer().identity_document().unwrap().0,
            &DocumentType::Dni
        );
        assert!(r.billing_address().is_none() && r.shipping().is_none());
        assert_eq!(r.wire_value("payinCustomerRegion"), Some("Lima"));
        assert_eq!(r.wire_value("payinCurrency"), Some("PEN"));
        assert_eq!(r.wire_value("payinPan"), None);
        assert_eq!(r.wire_value("payinVerification"), None);
        assert_eq!(r.wire_value("nope"), None);
        assert_eq!(CardMethod::Debit.as_str(), "TD");
        assert_eq!(DocumentType::Other("XX".into()).as_str(), "XX");
        for t in [
            DocumentType::Dni,
            DocumentType::Ce,
            DocumentType::Ruc,
            DocumentType::Pas,
        ] {
            assert_eq!(DocumentType::parse(t.as_str()), t);
        }
        assert_eq!(
            DocumentType::parse("dni"),
            DocumentType::Other("dni".into())
        );
    }
}
