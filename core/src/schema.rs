//! One descriptor type for every message of both gateways.
//!
//! Each message of each gateway is declared once, as a table of [`Field`]s:
//! wire name, Rust name, [`Presence`], [`FieldType`], rule and, for an
//! object (or the elements of an array), its nested fields. SmilePayz
//! declares its tables with a macro on the message type
//! (`PayInRequest::FIELDS`, `CallbackClaims::FIELDS`, ...), Monnet as
//! constants in [`crate::monnet::schema`] (`CREATE_REQUEST`,
//! `NOTIFICATION`, ...); both are `&[Field]`, read with the same helpers
//! ([`paths`], [`find`], [`wire_names`]). The declaration drives the type,
//! its validation, its serialization or parsing, and the field lists tests,
//! fixtures and documentation read. A presence or a type means the same on
//! both gateways.
//!
//! ```
//! use pasarela_core::monnet::schema::CREATE_REQUEST;
//! use pasarela_core::schema::{self, Field, FieldType, Presence};
//! use pasarela_core::smilepayz::PayInRequest;
//!
//! // A SmilePayz field, found by its dotted wire path.
//! let name: &Field = schema::find(PayInRequest::FIELDS, "payer.name").unwrap();
//! assert_eq!((name.rust, name.presence), ("name", Presence::NonEmpty));
//! assert_eq!(name.ty, FieldType::Text);
//!
//! // A Monnet row, through the same type and the same helpers.
//! let coupon: &Field = schema::find(&CREATE_REQUEST, "payinDiscountCoupon").unwrap();
//! assert_eq!(coupon.presence, Presence::MayBeEmpty);
//! assert_eq!(schema::wire_names(&CREATE_REQUEST)[0], "payinMerchantID");
//!
//! // Nested objects are part of the table.
//! assert!(schema::paths(PayInRequest::FIELDS).contains(&"money.amount".to_owned()));
//! let money = schema::find(PayInRequest::FIELDS, "money").unwrap();
//! assert_eq!(
//!     money.ty.describe(),
//!     "object {amount: integer minor units, currency: string}"
//! );
//! ```

use std::fmt;

/// Whether a field must appear on the wire, and whether it may be empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Presence {
    /// Always present and not `null`: absent or `null` is an error. A text
    /// value may be empty.
    Required,
    /// Always present and never empty (`""`, only spaces, `[]`).
    NonEmpty,
    /// Always present; `""` is a valid value (what an unset optional part is
    /// sent as, where the gateway wants every field).
    MayBeEmpty,
    /// May be absent. Where the gateway allows it the SDK omits it when
    /// unset; when reading, absent, `null` and (for text) `""` mean unset.
    Optional,
}

impl Presence {
    /// The documentation's word for it: `required`, `must not be empty`,
    /// `may be empty`, `optional`.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Required => "required",
            Presence::NonEmpty => "must not be empty",
            Presence::MayBeEmpty => "may be empty",
            Presence::Optional => "optional",
        }
    }
}

/// A field's type on the wire, for both gateways.
///
/// [`describe`](FieldType::describe) gives it in words. Numbers a gateway
/// may send as JSON strings are read as their text where the table says so
/// (Monnet keeps the text that was hashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// Text: a JSON string (Monnet reads a JSON number as its text).
    Text,
    /// A decimal amount, `"150.00"`, kept as text (Monnet).
    Decimal,
    /// A whole number: a JSON integer (SmilePayz `area`, `expiryPeriod`)
    /// or its digits as text (Monnet, where a JSON number is read as its
    /// text).
    Integer,
    /// Lowercase hexadecimal (a hash).
    Hex,
    /// An absolute URL.
    Url,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// Cardholder data: masked in wire text, never printed.
    Card,
    /// A JSON object; its fields, where declared, are the field's
    /// [`nested`](Field::nested) table.
    Object,
    /// A JSON array; the fields of each element, where declared, are the
    /// field's [`nested`](Field::nested) table.
    Array,
    /// A JSON object, or an array of such objects, read as a list
    /// (SmilePayz `accountInfos`).
    ObjectOrArray,
    /// A JSON array of strings (SmilePayz `balanceTypes`).
    TextArray,
    /// A timestamp `yyyy-MM-ddTHH:mm:ss` with an RFC 3339 offset (`Z`
    /// included), no fractional seconds (SmilePayz `transactionTime` of a
    /// response).
    Timestamp,
    /// A local time `yyyy-MM-ddTHH:mm:ss`, Peru time unless an RFC 3339
    /// offset follows (SmilePayz callback `transactionTime`).
    PeruLocalTime,
    /// Money as an object of an integer number of minor units and a
    /// currency, `{"amount": 20000, "currency": "PEN"}` (SmilePayz
    /// `money`).
    Money,
    /// Money as an object of a currency and a string of minor units,
    /// `{"currency": "PEN", "value": "1050"}` (SmilePayz balances).
    MoneyText,
    /// Any JSON value, kept and never evaluated: a string as its text,
    /// anything else as its JSON text (Monnet's reserved
    /// `payinStatusErrorCode`).
    Any,
}

impl FieldType {
    /// The type in words, as the documentation tables give it: `string`,
    /// `integer`, `string (yyyy-MM-ddTHH:mm:ss and an RFC 3339 offset)`, ...
    pub fn describe(self) -> &'static str {
        match self {
            FieldType::Text => "string",
            FieldType::Decimal => "string (decimal amount, such as 150.00)",
            FieldType::Integer => "integer",
            FieldType::Hex => "string (lowercase hex)",
            FieldType::Url => "string (URL)",
            FieldType::Date => "string (yyyy-MM-dd)",
            FieldType::Card => "string (cardholder data, masked)",
            FieldType::Object => "object",
            FieldType::Array => "array",
            FieldType::ObjectOrArray => "object, or array of objects",
            FieldType::TextArray => "array of strings",
            FieldType::Timestamp => "string (yyyy-MM-ddTHH:mm:ss and an RFC 3339 offset)",
            FieldType::PeruLocalTime => "string (yyyy-MM-ddTHH:mm:ss, optional offset: Peru time)",
            FieldType::Money => "object {amount: integer minor units, currency: string}",
            FieldType::MoneyText => "object {currency: string, value: string of minor units}",
            FieldType::Any => "any JSON value (kept as text, never evaluated)",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One field of one message, of either gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// The name on the wire, exactly (`orderNo`, `payinMerchantOperationNumber`).
    pub wire: &'static str,
    /// The Rust name it has in this crate: the field, getter or setter stem
    /// (`order_no`), or its place in the request (`transaction.operation_number`).
    pub rust: &'static str,
    /// Presence and emptiness.
    pub presence: Presence,
    /// The wire type.
    pub ty: FieldType,
    /// The rule, in words (what is checked when it is sent or read).
    pub rule: &'static str,
    /// The fields of a nested object (for an array, of each element), where
    /// the schema declares them.
    pub nested: Option<&'static [Field]>,
}

impl Field {
    /// A field description, without nested fields.
    pub(crate) const fn new(
        wire: &'static str,
        rust: &'static str,
        presence: Presence,
        ty: FieldType,
        rule: &'static str,
    ) -> Self {
        Self {
            wire,
            rust,
            presence,
            ty,
            rule,
            nested: None,
        }
    }

    /// This field with the fields of its object (or of each element of its
    /// array).
    pub(crate) const fn with_nested(self, nested: &'static [Field]) -> Self {
        Self {
            nested: Some(nested),
            ..self
        }
    }
}

/// Every field of `fields` and of its nested tables, as dotted wire paths
/// in declaration order: `merchant`, `merchant.merchantId`, ... (the
/// elements of an array share one path: `accountInfos.balanceType`).
pub fn paths(fields: &[Field]) -> Vec<String> {
    fn walk(prefix: &str, fields: &[Field], out: &mut Vec<String>) {
        for f in fields {
            let path = if prefix.is_empty() {
                f.wire.to_owned()
            } else {
                format!("{prefix}.{}", f.wire)
            };
            out.push(path.clone());
            if let Some(nested) = f.nested {
                walk(&path, nested, out);
            }
        }
    }
    let mut out = Vec::new();
    walk("", fields, &mut out);
    out
}

/// The field at a dotted wire path (`payer.name`), if declared.
pub fn find(fields: &'static [Field], path: &str) -> Option<&'static Field> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let field = fields.iter().find(|f| f.wire == head)?;
    match rest {
        None => Some(field),
        Some(rest) => find(field.nested?, rest),
    }
}

/// The wire names of a table's own fields (not nested ones), in order.
pub fn wire_names(fields: &[Field]) -> Vec<&'static str> {
    fields.iter().map(|f| f.wire).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monnet::schema::{CREATE_REQUEST, NOTIFICATION, STATUS_QUERY_RESPONSE};
    use crate::smilepayz::{
        CallbackAuth, CallbackClaims, InquiryBalanceResponse, PayInRequest, PayInResponse,
    };

    /// Compiles only if every argument is a table of this module's [`Field`].
    fn tables(tables: &[&'static [Field]]) -> usize {
        tables.len()
    }

    #[test]
    fn both_gateways_declare_their_messages_with_one_field_type() {
        // The gateway modules' names are this module's types, not copies.
        let sp: crate::smilepayz::Field = PayInRequest::FIELDS[0];
        let mn: crate::monnet::schema::Field = CREATE_REQUEST[0];
        let both: [Field; 2] = [sp, mn];
        let ty: crate::monnet::schema::FieldType = both[0].ty;
        let presence: crate::smilepayz::Presence = crate::monnet::schema::Presence::MayBeEmpty;
        assert_eq!((ty, presence.as_str()), (FieldType::Object, "may be empty"));
        assert_eq!(
            tables(&[
                PayInRequest::FIELDS,
                PayInResponse::FIELDS,
                InquiryBalanceResponse::FIELDS,
                CallbackAuth::BODY_FIELDS,
                CallbackClaims::FIELDS,
                &CREATE_REQUEST,
                NOTIFICATION,
                STATUS_QUERY_RESPONSE,
            ]),
            8
        );

        // One set of helpers reads both.
        assert_eq!(
            find(PayInRequest::FIELDS, "payer.name").map(|f| f.presence),
            Some(Presence::NonEmpty)
        );
        assert_eq!(
            find(&CREATE_REQUEST, "payinAmount").map(|f| f.ty),
            Some(FieldType::Decimal)
        );
        assert_eq!(
            find(NOTIFICATION, "errorDetails.codeErrorTrx").map(|f| f.rust),
            Some("claims.transaction_error.code")
        );
        assert_eq!(wire_names(&CREATE_REQUEST).len(), 43);
        assert_eq!(paths(&CREATE_REQUEST).len(), 43);
        assert!(paths(STATUS_QUERY_RESPONSE).contains(&"operations.payinStateID".to_owned()));
    }

    #[test]
    fn paths_and_find_walk_nested_tables() {
        const INNER: &[Field] = &[Field::new(
            "b",
            "b",
            Presence::Required,
            FieldType::Text,
            "r",
        )];
        const OUTER: &[Field] = &[
            Field::new("a", "a", Presence::Required, FieldType::Object, "r").with_nested(INNER),
            Field::new("c", "c", Presence::Optional, FieldType::Integer, "r"),
        ];
        assert_eq!(paths(OUTER), ["a", "a.b", "c"]);
        assert_eq!(wire_names(OUTER), ["a", "c"]);
        assert_eq!(find(OUTER, "a.b").map(|f| f.wire), Some("b"));
        assert_eq!(find(OUTER, "a"), Some(&OUTER[0]));
        for missing in ["", "b", "a.c", "c.b", "a.b.c", "a."] {
            assert_eq!(find(OUTER, missing), None, "{missing}");
        }
    }

    #[test]
    fn every_type_is_described() {
        let all = [
            FieldType::Text,
            FieldType::Decimal,
            FieldType::Integer,
            FieldType::Hex,
            FieldType::Url,
            FieldType::Date,
            FieldType::Card,
            FieldType::Object,
            FieldType::Array,
            FieldType::ObjectOrArray,
            FieldType::TextArray,
            FieldType::Timestamp,
            FieldType::PeruLocalTime,
            FieldType::Money,
            FieldType::MoneyText,
            FieldType::Any,
        ];
        let words: std::collections::HashSet<_> = all.iter().map(|t| t.describe()).collect();
        assert_eq!(words.len(), all.len(), "two types described alike");
        assert_eq!(
            FieldType::Timestamp.to_string(),
            "string (yyyy-MM-ddTHH:mm:ss and an RFC 3339 offset)"
        );
    }
}
