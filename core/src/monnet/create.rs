//! Creating a card pay-in through the PCI proxy: the typed, validated request
//! and the exact body Monnet expects.

use std::borrow::Cow;

use crate::error::{Rule, ValidationError};
use crate::http::{Method, PreparedRequest};

use super::amount::Amount;
use super::card::{CardExpiration, Cvv, Pan};
use super::environment::Config;
use super::verification::{hex_512, payin_digest};
use super::wire::ObjectWriter;

/// Every field of the seed's table, as set by the caller.
#[derive(Debug, Clone, Default)]
struct Fields {
    amount: Option<Amount>,
    currency: Option<String>,
    operation_number: Option<String>,
    method: Option<String>,
    customer_name: Option<String>,
    customer_last_name: Option<String>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    customer_document_type: Option<String>,
    customer_document: Option<String>,
    regular_customer: Option<String>,
    customer_id: Option<String>,
    discount_coupon: Option<String>,
    language: Option<String>,
    expiration_minutes: Option<u32>,
    date_time: Option<String>,
    ok_url: Option<String>,
    error_url: Option<String>,
    filter_by: Option<String>,
    customer_address: Option<String>,
    customer_city: Option<String>,
    customer_region: Option<String>,
    customer_country: Option<String>,
    customer_zip_code: Option<String>,
    shipping_name: Option<String>,
    shipping_phone: Option<String>,
    shipping_address: Option<String>,
    shipping_city: Option<String>,
    shipping_region: Option<String>,
    shipping_country: Option<String>,
    shipping_zip_code: Option<String>,
    product_id: Option<String>,
    product_description: Option<String>,
    product_amount: Option<String>,
    product_sku: Option<String>,
    product_quantity: Option<String>,
    pan: Option<Pan>,
    cvv: Option<Cvv>,
    card_expiration: Option<CardExpiration>,
}

/// Builds a [`CreateRequest`]. Every field of Monnet's table has a setter
/// named for it; [`build`](Self::build) checks every rule and names the wire
/// field of the first one broken.
///
/// Required (must be set, not blank): everything except
/// [`regular_customer`](Self::regular_customer),
/// [`customer_id`](Self::customer_id) and [`filter_by`](Self::filter_by),
/// which are sent as `""` when unset. `payinCustomerRegion` defaults to
/// `"Lima"`, as the seed says.
#[derive(Debug, Clone)]
pub struct CreateRequestBuilder(Fields);

impl Default for CreateRequestBuilder {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! text_setters {
    ($($name:ident => $wire:literal $(, $doc:literal)?;)*) => {
        impl CreateRequestBuilder {
            $(
                #[doc = concat!("Sets `", $wire, "`.", $(" ", $doc)?)]
                pub fn $name(mut self, value: impl Into<String>) -> Self {
                    self.0.$name = Some(value.into());
                    self
                }
            )*
        }
    };
}

text_setters! {
    currency => "payinCurrency", "Three upper-case letters (ISO 4217), e.g. `PEN`.";
    operation_number => "payinMerchantOperationNumber", "Your unique sale reference, at most 50 characters; notifications name it.";
    method => "payinMethod", "Payment method id, e.g. `TCTD`, `TC`, `TD`.";
    customer_name => "payinCustomerName", "First name, 1 to 30 characters.";
    customer_last_name => "payinCustomerLastName", "Last name, 1 to 30 characters.";
    customer_email => "payinCustomerEmail", "Never empty.";
    customer_phone => "payinCustomerPhone", "Mobile number, 8 or 9 digits.";
    customer_document_type => "payinCustomerTypeDocument", "E.g. `DNI`.";
    customer_document => "payinCustomerDocument";
    regular_customer => "payinRegularCustomer", "Optional.";
    customer_id => "payinCustomerID", "Optional (PSPs put the sub-merchant name here).";
    discount_coupon => "payinDiscountCoupon", "Required by the seed's table.";
    language => "payinLanguage", "Two letters (ISO 639-1), e.g. `ES`.";
    date_time => "payinDateTime", "Free text; the seed suggests the current date. See also [`date`](Self::date).";
    ok_url => "payinTransactionOKURL", "Absolute `https` URL, at most 250 characters.";
    error_url => "payinTransactionErrorURL", "Absolute `https` URL, at most 250 characters.";
    filter_by => "payinFilterBy", "Optional.";
    customer_address => "payinCustomerAddress";
    customer_city => "payinCustomerCity";
    customer_region => "payinCustomerRegion", "Defaults to `Lima`.";
    customer_country => "payinCustomerCountry";
    customer_zip_code => "payinCustomerZipCode";
    shipping_name => "payinCustomerShippingName";
    shipping_phone => "payinCustomerShippingPhone";
    shipping_address => "payinCustomerShippingAddress";
    shipping_city => "payinCustomerShippingCity";
    shipping_region => "payinCustomerShippingRegion";
    shipping_country => "payinCustomerShippingCountry";
    shipping_zip_code => "payinCustomerShippingZipCode";
    product_id => "payinProductID", "Never empty; the seed suggests `0` as a default.";
    product_description => "payinProductDescription", "Never empty; the seed suggests `0` as a default.";
    product_amount => "payinProductAmount", "Never empty; the seed suggests `0` as a default.";
    product_sku => "payinProductSku", "Never empty; the seed suggests `0` as a default.";
    product_quantity => "payinProductQuantity", "Never empty; the seed suggests `0` as a default.";
}

impl CreateRequestBuilder {
    /// An empty builder (`payinCustomerRegion` preset to `Lima`).
    pub fn new() -> Self {
        Self(Fields {
            customer_region: Some("Lima".to_owned()),
            ..Fields::default()
        })
    }

    /// Sets `payinAmount`; more than zero, sent with two decimals.
    pub fn amount(mut self, amount: Amount) -> Self {
        self.0.amount = Some(amount);
        self
    }

    /// Sets `payinExpirationTime`: minutes until the payment expires, at
    /// least 1 (the seed suggests 30 for online payments).
    pub fn expiration_minutes(mut self, minutes: u32) -> Self {
        self.0.expiration_minutes = Some(minutes);
        self
    }

    /// Sets `payinDateTime` to a date as `YYYY-MM-DD`.
    pub fn date(self, date: time::Date) -> Self {
        let text = format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
        self.date_time(text)
    }

    /// Sets `payinPan`.
    pub fn pan(mut self, pan: Pan) -> Self {
        self.0.pan = Some(pan);
        self
    }

    /// Sets `payinCvv`.
    pub fn cvv(mut self, cvv: Cvv) -> Self {
        self.0.cvv = Some(cvv);
        self
    }

    /// Sets `payinCardExpiration`.
    pub fn card_expiration(mut self, expiration: CardExpiration) -> Self {
        self.0.card_expiration = Some(expiration);
        self
    }

    /// Checks every rule, in body order, and returns the request or the
    /// first broken rule with its wire field name.
    pub fn build(self) -> Result<CreateRequest, ValidationError> {
        validate(&self.0)?;
        Ok(CreateRequest(self.0))
    }
}

/// A validated Monnet create request: every rule of GATEWAYS.md holds.
///
/// Made with [`CreateRequest::builder`]; sent with
/// [`prepare_create`]. `Debug` masks the card data.
#[derive(Debug, Clone)]
pub struct CreateRequest(Fields);

impl CreateRequest {
    /// A builder with nothing set.
    pub fn builder() -> CreateRequestBuilder {
        CreateRequestBuilder::new()
    }

    /// `payinMerchantOperationNumber`.
    pub fn operation_number(&self) -> &str {
        text(&self.0.operation_number)
    }

    /// `payinAmount`.
    pub fn amount(&self) -> Amount {
        self.0.amount.unwrap_or(Amount::from_cents(0))
    }

    /// `payinCurrency`.
    pub fn currency(&self) -> &str {
        text(&self.0.currency)
    }
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

type Check = Result<(), ValidationError>;

fn fail(field: &'static str, rule: Rule) -> Check {
    Err(ValidationError::new(field, rule))
}

fn format(field: &'static str, what: &'static str) -> Check {
    fail(field, Rule::Format(Cow::Borrowed(what)))
}

/// Present and not blank.
fn required<'a>(
    field: &'static str,
    value: &'a Option<String>,
) -> Result<&'a str, ValidationError> {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ValidationError::new(field, Rule::Required)),
    }
}

fn max_chars(field: &'static str, value: &str, max: usize) -> Check {
    // Counting chars only when the byte length could exceed the limit.
    if value.len() > max && value.chars().count() > max {
        return fail(field, Rule::TooLong { max });
    }
    Ok(())
}

fn https_url(field: &'static str, value: &Option<String>) -> Check {
    let v = required(field, value)?;
    max_chars(field, v, 250)?;
    match url::Url::parse(v) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() => Ok(()),
        _ => format(field, "an absolute https URL"),
    }
}

fn validate(f: &Fields) -> Check {
    match f.amount {
        None => return fail("payinAmount", Rule::Required),
        Some(a) if a.cents() == 0 => {
            return fail(
                "payinAmount",
                Rule::OutOfRange {
                    min: 1,
                    max: u64::MAX,
                },
            );
        }
        Some(_) => {}
    }
    let currency = required("payinCurrency", &f.currency)?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        format(
            "payinCurrency",
            "three upper-case letters (ISO 4217), such as PEN",
        )?;
    }
    let op = required("payinMerchantOperationNumber", &f.operation_number)?;
    max_chars("payinMerchantOperationNumber", op, 50)?;
    required("payinMethod", &f.method)?;
    let name = required("payinCustomerName", &f.customer_name)?;
    max_chars("payinCustomerName", name, 30)?;
    let last = required("payinCustomerLastName", &f.customer_last_name)?;
    max_chars("payinCustomerLastName", last, 30)?;
    let email = required("payinCustomerEmail", &f.customer_email)?;
    let email_ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !email_ok {
        format("payinCustomerEmail", "an email address (local@domain)")?;
    }
    let phone = required("payinCustomerPhone", &f.customer_phone)?;
    if !phone.bytes().all(|b| b.is_ascii_digit()) {
        format("payinCustomerPhone", "digits only")?;
    }
    if phone.len() < 8 {
        fail("payinCustomerPhone", Rule::TooShort { min: 8 })?;
    }
    if phone.len() > 9 {
        fail("payinCustomerPhone", Rule::TooLong { max: 9 })?;
    }
    required("payinCustomerTypeDocument", &f.customer_document_type)?;
    required("payinCustomerDocument", &f.customer_document)?;
    // payinRegularCustomer, payinCustomerID: optional.
    // The seed's table marks payinDiscountCoupon "(Requied)" [sic]; GATEWAYS.md
    // is silent, so the seed decides: required.
    required("payinDiscountCoupon", &f.discount_coupon)?;
    let lang = required("payinLanguage", &f.language)?;
    if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        format("payinLanguage", "two letters (ISO 639-1), such as ES")?;
    }
    match f.expiration_minutes {
        None => fail("payinExpirationTime", Rule::Required)?,
        Some(0) => fail(
            "payinExpirationTime",
            Rule::OutOfRange {
                min: 1,
                max: u64::from(u32::MAX),
            },
        )?,
        Some(_) => {}
    }
    required("payinDateTime", &f.date_time)?;
    https_url("payinTransactionOKURL", &f.ok_url)?;
    https_url("payinTransactionErrorURL", &f.error_url)?;
    // payinFilterBy: optional.
    for (field, value) in [
        ("payinCustomerAddress", &f.customer_address),
        ("payinCustomerCity", &f.customer_city),
        ("payinCustomerRegion", &f.customer_region),
        ("payinCustomerCountry", &f.customer_country),
        ("payinCustomerZipCode", &f.customer_zip_code),
        ("payinCustomerShippingName", &f.shipping_name),
        ("payinCustomerShippingPhone", &f.shipping_phone),
        ("payinCustomerShippingAddress", &f.shipping_address),
        ("payinCustomerShippingCity", &f.shipping_city),
        ("payinCustomerShippingRegion", &f.shipping_region),
        ("payinCustomerShippingCountry", &f.shipping_country),
        ("payinCustomerShippingZipCode", &f.shipping_zip_code),
        ("payinProductID", &f.product_id),
        ("payinProductDescription", &f.product_description),
        ("payinProductAmount", &f.product_amount),
        ("payinProductSku", &f.product_sku),
        ("payinProductQuantity", &f.product_quantity),
    ] {
        required(field, value)?;
    }
    if f.pan.is_none() {
        fail("payinPan", Rule::Required)?;
    }
    if f.cvv.is_none() {
        fail("payinCvv", Rule::Required)?;
    }
    if f.card_expiration.is_none() {
        fail("payinCardExpiration", Rule::Required)?;
    }
    Ok(())
}

/// Field names and fixed punctuation of the body, for sizing the buffer.
const BODY_OVERHEAD: usize = 1300;

/// Every field of the create body, in the seed's sample order (the order
/// [`prepare_create`] writes them; tested). All are always sent.
pub const CREATE_FIELDS: [&str; 43] = [
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
    "payinCustomerTypeDocument",
    "payinCustomerDocument",
    "payinRegularCustomer",
    "payinCustomerID",
    "payinDiscountCoupon",
    "payinLanguage",
    "payinExpirationTime",
    "payinDateTime",
    "payinTransactionOKURL",
    "payinTransactionErrorURL",
    "payinFilterBy",
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

/// Prepares the create request: `POST` to the environment's PCI-proxy URL,
/// `Content-Type: application/json`, and the body of the seed's sample —
/// all 43 fields in the sample's order and names, every value a JSON string,
/// unset optionals as `""`, `URLMonnet` for the environment, `typePost`
/// `json`, minified — with `payinVerification` computed over the merchant
/// id, operation number, amount and currency exactly as they appear in it.
///
/// The PAN, CVV and expiry are masked in
/// [`PreparedRequest::to_wire_text`]. Fails before producing a byte if the
/// configuration breaks a rule (the request was validated when built).
pub fn prepare_create(
    config: &Config,
    request: &CreateRequest,
) -> Result<PreparedRequest, ValidationError> {
    let url = config.pci_proxy_url().clone();
    let url_monnet = config.url_monnet();
    // `request` passed `validate` in `build`, the only way to make one, and
    // its fields are private: it is not checked again.
    let f = &request.0;

    let amount = request.amount().to_string();
    let expiration = f.expiration_minutes.unwrap_or(0).to_string();
    let merchant_id = config.merchant_id();
    let op = text(&f.operation_number);
    let currency = text(&f.currency);
    let hash = hex_512(&payin_digest(
        merchant_id,
        op,
        &amount,
        currency,
        config.key(),
    ));
    let pan = f.pan.as_ref().map_or("", Pan::expose_secret);
    let cvv = f.cvv.as_ref().map_or("", Cvv::expose_secret);
    let card_expiration = f
        .card_expiration
        .as_ref()
        .map_or("", CardExpiration::expose_secret);

    let texts = [
        &f.method,
        &f.customer_name,
        &f.customer_last_name,
        &f.customer_email,
        &f.customer_phone,
        &f.customer_document_type,
        &f.customer_document,
        &f.regular_customer,
        &f.customer_id,
        &f.discount_coupon,
        &f.language,
        &f.date_time,
        &f.ok_url,
        &f.error_url,
        &f.filter_by,
        &f.customer_address,
        &f.customer_city,
        &f.customer_region,
        &f.customer_country,
        &f.customer_zip_code,
        &f.shipping_name,
        &f.shipping_phone,
        &f.shipping_address,
        &f.shipping_city,
        &f.shipping_region,
        &f.shipping_country,
        &f.shipping_zip_code,
        &f.product_id,
        &f.product_description,
        &f.product_amount,
        &f.product_sku,
        &f.product_quantity,
    ];
    let capacity = BODY_OVERHEAD
        + texts.iter().map(|t| text(t).len()).sum::<usize>()
        + merchant_id.len()
        + op.len()
        + url_monnet.len()
        + 64;

    // The order and names are the seed's sample, exactly.
    let mut w = ObjectWriter::with_capacity(capacity);
    w.string("payinMerchantID", merchant_id);
    w.string("payinAmount", &amount);
    w.string("payinCurrency", currency);
    w.string("payinMerchantOperationNumber", op);
    w.string("payinMethod", text(&f.method));
    w.raw_string("payinVerification", &hash);
    w.string("payinCustomerName", text(&f.customer_name));
    w.string("payinCustomerLastName", text(&f.customer_last_name));
    w.string("payinCustomerEmail", text(&f.customer_email));
    w.string("payinCustomerPhone", text(&f.customer_phone));
    w.string("payinCustomerTypeDocument", text(&f.customer_document_type));
    w.string("payinCustomerDocument", text(&f.customer_document));
    w.string("payinRegularCustomer", text(&f.regular_customer));
    w.string("payinCustomerID", text(&f.customer_id));
    w.string("payinDiscountCoupon", text(&f.discount_coupon));
    w.string("payinLanguage", text(&f.language));
    w.string("payinExpirationTime", &expiration);
    w.string("payinDateTime", text(&f.date_time));
    w.string("payinTransactionOKURL", text(&f.ok_url));
    w.string("payinTransactionErrorURL", text(&f.error_url));
    w.string("payinFilterBy", text(&f.filter_by));
    w.string("payinCustomerAddress", text(&f.customer_address));
    w.string("payinCustomerCity", text(&f.customer_city));
    w.string("payinCustomerRegion", text(&f.customer_region));
    w.string("payinCustomerCountry", text(&f.customer_country));
    w.string("payinCustomerZipCode", text(&f.customer_zip_code));
    w.string("payinCustomerShippingName", text(&f.shipping_name));
    w.string("payinCustomerShippingPhone", text(&f.shipping_phone));
    w.string("payinCustomerShippingAddress", text(&f.shipping_address));
    w.string("payinCustomerShippingCity", text(&f.shipping_city));
    w.string("payinCustomerShippingRegion", text(&f.shipping_region));
    w.string("payinCustomerShippingCountry", text(&f.shipping_country));
    w.string("payinCustomerShippingZipCode", text(&f.shipping_zip_code));
    w.string("payinProductID", text(&f.product_id));
    w.string("payinProductDescription", text(&f.product_description));
    w.string("payinProductAmount", text(&f.product_amount));
    w.string("payinProductSku", text(&f.product_sku));
    w.string("payinProductQuantity", text(&f.product_quantity));
    w.string("URLMonnet", url_monnet);
    w.string("typePost", "json");
    let pan_range = w.string("payinPan", pan);
    let cvv_range = w.string("payinCvv", cvv);
    let expiry_range = w.string("payinCardExpiration", card_expiration);
    let body = w.finish();

    Ok(PreparedRequest::new(
        Method::POST,
        url,
        vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body,
    )
    .with_masked(vec![pan_range, cvv_range, expiry_range]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::monnet::{Environment, payin_verification};
    use crate::secret::MonnetKey;
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

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

    pub(crate) fn config() -> Config {
        Config::new("4001", KEY, Environment::Certification).unwrap()
    }

    /// A request with the seed sample's values where they are valid.
    fn sample_builder() -> CreateRequestBuilder {
        CreateRequest::builder()
            .amount(Amount::from_cents(15000))
            .currency("PEN")
            .operation_number("0000")
            .method("TCTD")
            .customer_name("string")
            .customer_last_name("string")
            .customer_email("cliente@example.com")
            .customer_phone("987654321")
            .customer_document_type("DNI")
            .customer_document("00000000")
            .regular_customer("string")
            .customer_id("string")
            .discount_coupon("string")
            .language("ES")
            .expiration_minutes(30)
            .date_time("2025-07-01")
            .ok_url("https://test.com")
            .error_url("https://test.com")
            .filter_by("string")
            .customer_address("string")
            .customer_city("string")
            .customer_region("string")
            .customer_country("Peru")
            .customer_zip_code("0000")
            .shipping_name("string")
            .shipping_phone("0000")
            .shipping_address("string")
            .shipping_city("string")
            .shipping_region("string")
            .shipping_country("Peru")
            .shipping_zip_code("0000")
            .product_id("0000")
            .product_description("string")
            .product_amount("0000")
            .product_sku("string")
            .product_quantity("0000")
            .pan(Pan::new("4517721004856075").unwrap())
            .cvv(Cvv::new("123").unwrap())
            .card_expiration(CardExpiration::new("2025-07").unwrap())
    }

    /// A valid request with the PCI test values of this module.
    pub(crate) fn request() -> CreateRequest {
        sample_builder()
            .operation_number("ORD-000123")
            .pan(Pan::new(PAN).unwrap())
            .cvv(Cvv::new(CVV).unwrap())
            .card_expiration(CardExpiration::new(EXPIRY).unwrap())
            .build()
            .unwrap()
    }

    #[test]
    fn seed_sample_renders_same_fields_order_and_types() {
        let sample = entries(include_bytes!(
            "../../testdata/monnet/create/seed-sample-request.json"
        ));
        let req = sample_builder().build().unwrap();
        let prepared = prepare_create(&config(), &req).unwrap();
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
        let get = |k: &str| ours.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("payinMerchantID"), "4001");
        assert_eq!(get("payinAmount"), "150.00");
        assert_eq!(get("payinExpirationTime"), "30");
        assert_eq!(
            get("payinVerification"),
            payin_verification("4001", "0000", "150.00", "PEN", &MonnetKey::new(KEY)).as_str()
        );
        // Minified: no insignificant whitespace (sample values hold no spaces).
        assert!(!prepared.body().contains(&b' '));
        assert!(!prepared.body().contains(&b'\n'));
    }

    #[test]
    fn request_line_headers_and_masking() {
        let prepared = prepare_create(&config(), &request()).unwrap();
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
            assert!(!format!("{:?}", sample_builder()).contains(secret));
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
            let p = prepare_create(&cfg, &request()).unwrap();
            assert_eq!(p.url().as_str(), proxy);
            let body = entries(p.body());
            let url_monnet = &body.iter().find(|(k, _)| k == "URLMonnet").unwrap().1;
            assert_eq!(url_monnet, monnet);
        }
    }

    #[test]
    fn unset_optionals_are_empty_strings_and_escaping_is_exact() {
        let mut b = sample_builder();
        b.0.regular_customer = None;
        b.0.customer_id = None;
        b.0.filter_by = None;
        let req = b
            .operation_number("Año \"ñ\"\\\n")
            .customer_address("Av. Perú 123\t#4")
            .build()
            .unwrap();
        let p = prepare_create(&config(), &req).unwrap();
        let body = entries(p.body());
        let get = |k: &str| body.iter().find(|(n, _)| n == k).unwrap().1.clone();
        for k in ["payinRegularCustomer", "payinCustomerID", "payinFilterBy"] {
            assert_eq!(get(k), "");
        }
        assert_eq!(get("payinCustomerRegion"), "string");
        assert_eq!(get("payinMerchantOperationNumber"), "Año \"ñ\"\\\n");
        assert_eq!(get("payinCustomerAddress"), "Av. Perú 123\t#4");
        // The hash covers the value, not its JSON escaping.
        assert_eq!(
            get("payinVerification"),
            payin_verification(
                "4001",
                "Año \"ñ\"\\\n",
                "150.00",
                "PEN",
                &MonnetKey::new(KEY)
            )
            .as_str()
        );
        // Byte-identical to serde_json for the same ordered string values.
        let mut expected = String::from("{");
        for (i, (k, v)) in body.iter().enumerate() {
            if i > 0 {
                expected.push(',');
            }
            expected.push_str(&serde_json::to_string(k).unwrap());
            expected.push(':');
            expected.push_str(&serde_json::to_string(v).unwrap());
        }
        expected.push('}');
        assert_eq!(p.body(), expected.as_bytes());
    }

    #[test]
    fn region_defaults_to_lima() {
        let mut b = sample_builder();
        b.0.customer_region = None;
        assert_eq!(
            b.build().unwrap_err().field(),
            "payinCustomerRegion",
            "unset after the default was removed"
        );
        let mut fresh = CreateRequestBuilder::default();
        assert_eq!(fresh.0.customer_region.as_deref(), Some("Lima"));
        fresh = fresh.customer_region("Cusco");
        assert_eq!(fresh.0.customer_region.as_deref(), Some("Cusco"));
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

    #[test]
    fn every_required_field_is_required() {
        macro_rules! unset {
            ($($f:ident => $wire:literal),* $(,)?) => {$(
                let mut b = sample_builder();
                b.0.$f = None;
                assert_eq!(rule_of(b), ($wire.to_owned(), Rule::Required));
            )*};
        }
        unset! {
            amount => "payinAmount",
            currency => "payinCurrency",
            operation_number => "payinMerchantOperationNumber",
            method => "payinMethod",
            customer_name => "payinCustomerName",
            customer_last_name => "payinCustomerLastName",
            customer_email => "payinCustomerEmail",
            customer_phone => "payinCustomerPhone",
            customer_document_type => "payinCustomerTypeDocument",
            customer_document => "payinCustomerDocument",
            discount_coupon => "payinDiscountCoupon",
            language => "payinLanguage",
            expiration_minutes => "payinExpirationTime",
            date_time => "payinDateTime",
            ok_url => "payinTransactionOKURL",
            error_url => "payinTransactionErrorURL",
            customer_address => "payinCustomerAddress",
            customer_city => "payinCustomerCity",
            customer_region => "payinCustomerRegion",
            customer_country => "payinCustomerCountry",
            customer_zip_code => "payinCustomerZipCode",
            shipping_name => "payinCustomerShippingName",
            shipping_phone => "payinCustomerShippingPhone",
            shipping_address => "payinCustomerShippingAddress",
            shipping_city => "payinCustomerShippingCity",
            shipping_region => "payinCustomerShippingRegion",
            shipping_country => "payinCustomerShippingCountry",
            shipping_zip_code => "payinCustomerShippingZipCode",
            product_id => "payinProductID",
            product_description => "payinProductDescription",
            product_amount => "payinProductAmount",
            product_sku => "payinProductSku",
            product_quantity => "payinProductQuantity",
            pan => "payinPan",
            cvv => "payinCvv",
            card_expiration => "payinCardExpiration",
        }
    }

    #[test]
    fn the_four_customer_fields_are_never_empty_or_blank() {
        for (field, b) in [
            ("payinCustomerName", sample_builder().customer_name("")),
            ("payinCustomerName", sample_builder().customer_name("  ")),
            (
                "payinCustomerLastName",
                sample_builder().customer_last_name(""),
            ),
            (
                "payinCustomerLastName",
                sample_builder().customer_last_name("\t"),
            ),
            ("payinCustomerEmail", sample_builder().customer_email("")),
            ("payinCustomerPhone", sample_builder().customer_phone("")),
            ("payinProductID", sample_builder().product_id("")),
            ("payinDiscountCoupon", sample_builder().discount_coupon(" ")),
        ] {
            assert_eq!(rule_of(b), (field.to_owned(), Rule::Required));
        }
    }

    #[test]
    fn limits_name_field_and_rule() {
        assert_eq!(
            rule_of(sample_builder().amount(Amount::from_cents(0))),
            (
                "payinAmount".to_owned(),
                Rule::OutOfRange {
                    min: 1,
                    max: u64::MAX
                }
            )
        );
        for bad in ["pen", "PE", "PENN", "P3N", "SÓL"] {
            fmt_rule(sample_builder().currency(bad), "payinCurrency");
        }
        assert!(
            sample_builder()
                .operation_number("x".repeat(50))
                .build()
                .is_ok()
        );
        assert!(
            sample_builder()
                .operation_number("ñ".repeat(50))
                .build()
                .is_ok()
        );
        assert_eq!(
            rule_of(sample_builder().operation_number("x".repeat(51))),
            (
                "payinMerchantOperationNumber".to_owned(),
                Rule::TooLong { max: 50 }
            )
        );
        assert!(
            sample_builder()
                .customer_name("Ñ".repeat(30))
                .build()
                .is_ok()
        );
        assert_eq!(
            rule_of(sample_builder().customer_name("a".repeat(31))),
            ("payinCustomerName".to_owned(), Rule::TooLong { max: 30 })
        );
        assert!(
            sample_builder()
                .customer_last_name("é".repeat(30))
                .build()
                .is_ok()
        );
        assert_eq!(
            rule_of(sample_builder().customer_last_name("a".repeat(31))),
            (
                "payinCustomerLastName".to_owned(),
                Rule::TooLong { max: 30 }
            )
        );
        for bad in ["nobody", "@x.com", "a@", "a b@c.d", "a@b@c"] {
            fmt_rule(sample_builder().customer_email(bad), "payinCustomerEmail");
        }
        assert!(sample_builder().customer_phone("12345678").build().is_ok());
        assert_eq!(
            rule_of(sample_builder().customer_phone("1234567")),
            ("payinCustomerPhone".to_owned(), Rule::TooShort { min: 8 })
        );
        assert_eq!(
            rule_of(sample_builder().customer_phone("1234567890")),
            ("payinCustomerPhone".to_owned(), Rule::TooLong { max: 9 })
        );
        fmt_rule(
            sample_builder().customer_phone("+51987654321"),
            "payinCustomerPhone",
        );
        fmt_rule(
            sample_builder().customer_phone("987 654 32"),
            "payinCustomerPhone",
        );
        for bad in ["E", "ESP", "e1", "ñs"] {
            fmt_rule(sample_builder().language(bad), "payinLanguage");
        }
        assert!(sample_builder().language("es").build().is_ok());
        assert_eq!(
            rule_of(sample_builder().expiration_minutes(0)),
            (
                "payinExpirationTime".to_owned(),
                Rule::OutOfRange {
                    min: 1,
                    max: u64::from(u32::MAX)
                }
            )
        );
        for (field, set) in [
            (
                "payinTransactionOKURL",
                CreateRequestBuilder::ok_url as fn(CreateRequestBuilder, String) -> _,
            ),
            ("payinTransactionErrorURL", CreateRequestBuilder::error_url),
        ] {
            for bad in [
                "http://shop.pe/ok",
                "shop.pe/ok",
                "https://",
                "ftp://shop.pe",
            ] {
                fmt_rule(set(sample_builder(), bad.to_owned()), field);
            }
            let long = format!("https://shop.pe/{}", "a".repeat(250 - 16));
            assert_eq!(long.len(), 250);
            assert!(set(sample_builder(), long.clone()).build().is_ok());
            assert_eq!(
                rule_of(set(sample_builder(), format!("{long}a"))),
                (field.to_owned(), Rule::TooLong { max: 250 })
            );
        }
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
        assert!(prepare_create(&config(), &request()).is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        #[test]
        fn any_text_renders_valid_json_hashed_as_sent(
            op in "\\PC{1,50}",
            address in "[\\x00-\\x1f\"\\\\a-zñ ]{1,40}",
            cents in 1u64..u64::MAX,
        ) {
            let b = sample_builder()
                .operation_number(op.clone())
                .customer_address(address.clone())
                .amount(Amount::from_cents(cents))
                .pan(Pan::new(PAN).unwrap())
                .cvv(Cvv::new(CVV).unwrap())
                .card_expiration(CardExpiration::new(EXPIRY).unwrap());
            let Ok(req) = b.build() else {
                // Only a blank operation number or address is refused here.
                proptest::prop_assert!(op.trim().is_empty() || address.trim().is_empty());
                return Ok(());
            };
            let p = prepare_create(&config(), &req).unwrap();
            let body = entries(p.body());
            let get = |k: &str| body.iter().find(|(n, _)| n == k).unwrap().1.clone();
            proptest::prop_assert_eq!(get("payinMerchantOperationNumber"), op.as_str());
            proptest::prop_assert_eq!(get("payinCustomerAddress"), address.as_str());
            let amount = Amount::from_cents(cents).to_string();
            proptest::prop_assert_eq!(get("payinAmount"), amount.as_str());
            let hash = payin_verification("4001", &op, &amount, "PEN", &MonnetKey::new(KEY));
            proptest::prop_assert_eq!(get("payinVerification"), hash.as_str());
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

    #[test]
    fn date_setter_formats_yyyy_mm_dd() {
        let b = sample_builder().date(time::macros::date!(2025 - 03 - 07));
        assert_eq!(b.0.date_time.as_deref(), Some("2025-03-07"));
    }

    #[test]
    fn getters() {
        let r = request();
        assert_eq!(r.operation_number(), "ORD-000123");
        assert_eq!(r.amount(), Amount::from_cents(15000));
        assert_eq!(r.currency(), "PEN");
    }
}
