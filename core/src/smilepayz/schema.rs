//! One declarative schema per SmilePayz message.
//!
//! Every message — pay-in request and response, inquiry-status and
//! inquiry-balance requests and responses, the callback — is declared once,
//! with the `request!` or `response!` macro of this module: for each field
//! its wire name, Rust name, [`Presence`], type and rule. That one
//! declaration generates
//!
//! - the Rust type (private fields and getters for requests, public fields
//!   for `#[non_exhaustive]` responses),
//! - the validation a request's `build()` runs (each rule names its field by
//!   wire path, `payer.name`),
//! - the serialization (wire order, unset optionals omitted) or the parsing
//!   (absent, `null` and `""` mean unset for optionals; the JSON path of a
//!   bad value is reported),
//! - and the field list, `FIELDS`, that tests, fixtures and documentation
//!   read: a table of [`crate::schema::Field`], the one descriptor type of
//!   both gateways.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::error::ValidationError;
use crate::json_writer::ObjectWriter;

pub use crate::schema::{Field, FieldType, Presence};

/// What a value is on the wire, for [`Field::ty`] and [`Field::nested`].
pub(crate) trait WireType {
    const TY: FieldType;
    const NESTED: Option<&'static [Field]> = None;
}

/// One row of a `FIELDS` table, as the `request!` and `response!` macros
/// declare it: the type and nested fields come from the field's
/// [`WireType`] or [`Convert`].
pub(crate) const fn field(
    wire: &'static str,
    rust: &'static str,
    presence: Presence,
    ty: FieldType,
    rule: &'static str,
    nested: Option<&'static [Field]>,
) -> Field {
    let field = Field::new(wire, rust, presence, ty, rule);
    match nested {
        Some(nested) => field.with_nested(nested),
        None => field,
    }
}

/// Writes a request value as one field of a JSON object (cannot fail).
pub(crate) trait ToWire {
    fn write(&self, w: &mut ObjectWriter, key: &'static str);
}

/// A value a getter lends out: `&str` for a `String`, a copy for numbers.
pub(crate) trait Lend<'a, T> {
    fn lend(&'a self) -> T;
}

impl<'a, T> Lend<'a, &'a T> for T {
    fn lend(&'a self) -> &'a T {
        self
    }
}

impl<'a> Lend<'a, &'a str> for String {
    fn lend(&'a self) -> &'a str {
        self
    }
}

impl<'a, T> Lend<'a, &'a [T]> for Vec<T> {
    fn lend(&'a self) -> &'a [T] {
        self
    }
}

macro_rules! lend_copy {
    ($($t:ty),*) => {$(
        impl<'a> Lend<'a, $t> for $t {
            fn lend(&'a self) -> $t {
                *self
            }
        }
    )*};
}
lend_copy!(u16, u32, crate::Money);

/// A request message or part: the field checks its schema declares.
pub(crate) trait Check {
    fn check(&self) -> Result<(), ValidationError>;
}

/// Where a generated setter writes: the part itself, or the message a
/// builder holds.
pub(crate) trait Fields {
    type Target;
    fn fields_mut(&mut self) -> &mut Self::Target;
}

/// The rule of a nested object: its own checks, paths prefixed.
pub(crate) fn nested<M: Check>(field: &'static str, value: &M) -> Result<(), ValidationError> {
    value.check().map_err(|e| within(field, e))
}

/// `e` with its field path under `parent` (`name` → `payer.name`).
pub(crate) fn within(parent: &str, e: ValidationError) -> ValidationError {
    ValidationError::new(format!("{parent}.{}", e.field()), e.rule().clone())
}

/// A value that failed to convert while reading a message: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) path: String,
    pub(crate) reason: Cow<'static, str>,
}

impl FieldError {
    pub(crate) fn new(path: impl Into<String>, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// A reason about the value itself; the caller adds the path.
    pub(crate) fn here(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(String::new(), reason)
    }

    pub(crate) fn within(self, parent: &str) -> Self {
        let path = if self.path.is_empty() {
            parent.to_owned()
        } else if self.path.starts_with('[') {
            format!("{parent}{}", self.path)
        } else {
            format!("{parent}.{}", self.path)
        };
        Self { path, ..self }
    }
}

/// Reads a response value from its wire form.
pub(crate) trait FromWire: WireType + Sized {
    type Wire: DeserializeOwned;
    fn from_wire(wire: Self::Wire) -> Result<Self, FieldError>;
    /// Whether the wire value is empty (`""`, `[]`).
    fn is_empty(_wire: &Self::Wire) -> bool {
        false
    }
}

/// How a response field is read: [`Native`] (the type's own [`FromWire`])
/// unless the schema names another converter with `via`.
pub(crate) trait Convert {
    type Target;
    type Wire: DeserializeOwned;
    const TY: FieldType;
    const NESTED: Option<&'static [Field]> = None;
    fn convert(wire: Self::Wire) -> Result<Self::Target, FieldError>;
    fn is_empty(_wire: &Self::Wire) -> bool {
        false
    }
}

/// Reads a field with its type's own [`FromWire`].
pub(crate) struct Native<T>(PhantomData<T>);

impl<T: FromWire> Convert for Native<T> {
    type Target = T;
    type Wire = T::Wire;
    const TY: FieldType = T::TY;
    const NESTED: Option<&'static [Field]> = T::NESTED;
    fn convert(wire: Self::Wire) -> Result<T, FieldError> {
        T::from_wire(wire)
    }
    fn is_empty(wire: &Self::Wire) -> bool {
        T::is_empty(wire)
    }
}

/// Reads a field that must be present (and, for [`Presence::NonEmpty`], not
/// empty).
pub(crate) fn take_required<C: Convert>(
    wire: &'static str,
    presence: Presence,
    value: Option<C::Wire>,
) -> Result<C::Target, FieldError> {
    match value {
        None => Err(FieldError::new(wire, "is missing")),
        Some(w) if presence == Presence::NonEmpty && C::is_empty(&w) => {
            Err(FieldError::new(wire, "must not be empty"))
        }
        Some(w) => C::convert(w).map_err(|e| e.within(wire)),
    }
}

/// Reads an optional field: absent, `null` and empty are all `None`.
pub(crate) fn take_optional<C: Convert>(
    wire: &'static str,
    value: Option<C::Wire>,
) -> Result<Option<C::Target>, FieldError> {
    match value {
        None => Ok(None),
        Some(w) if C::is_empty(&w) => Ok(None),
        Some(w) => C::convert(w).map(Some).map_err(|e| e.within(wire)),
    }
}

macro_rules! wire_via_serde {
    ($($t:ty => $ty:ident),* $(,)?) => {$(
        impl WireType for $t {
            const TY: FieldType = FieldType::$ty;
        }
    )*};
}
wire_via_serde!(String => Text, u16 => Integer, u32 => Integer);

impl ToWire for String {
    fn write(&self, w: &mut ObjectWriter, key: &'static str) {
        w.string(key, self);
    }
}

impl ToWire for u16 {
    fn write(&self, w: &mut ObjectWriter, key: &'static str) {
        w.uint(key, u64::from(*self));
    }
}

impl ToWire for u32 {
    fn write(&self, w: &mut ObjectWriter, key: &'static str) {
        w.uint(key, u64::from(*self));
    }
}

impl FromWire for String {
    type Wire = String;
    fn from_wire(wire: String) -> Result<Self, FieldError> {
        Ok(wire)
    }
    fn is_empty(wire: &String) -> bool {
        wire.is_empty()
    }
}

impl WireType for url::Url {
    const TY: FieldType = FieldType::Url;
}

impl FromWire for url::Url {
    type Wire = String;
    fn from_wire(wire: String) -> Result<Self, FieldError> {
        url::Url::parse(&wire).map_err(|e| FieldError::here(format!("not a URL: {e}")))
    }
    fn is_empty(wire: &String) -> bool {
        wire.is_empty()
    }
}

impl WireType for serde_json::Map<String, serde_json::Value> {
    const TY: FieldType = FieldType::Object;
}

impl FromWire for serde_json::Map<String, serde_json::Value> {
    type Wire = serde_json::Map<String, serde_json::Value>;
    fn from_wire(wire: Self::Wire) -> Result<Self, FieldError> {
        Ok(wire)
    }
}

/// An object or an array of them on the wire, a list in Rust
/// (`accountInfos`: typed "object" on the Peru page, read as an array by
/// integrators).
pub(crate) struct OneOrMany<T>(PhantomData<T>);

/// The wire form of [`OneOrMany`].
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrManyWire<W> {
    Many(Vec<W>),
    One(W),
}

impl<T: FromWire> Convert for OneOrMany<T> {
    type Target = Vec<T>;
    type Wire = OneOrManyWire<T::Wire>;
    const TY: FieldType = FieldType::ObjectOrArray;
    const NESTED: Option<&'static [Field]> = T::NESTED;
    fn convert(wire: Self::Wire) -> Result<Vec<T>, FieldError> {
        match wire {
            OneOrManyWire::One(w) => Ok(vec![T::from_wire(w)?]),
            OneOrManyWire::Many(ws) => ws
                .into_iter()
                .enumerate()
                .map(|(i, w)| T::from_wire(w).map_err(|e| e.within(&format!("[{i}]"))))
                .collect(),
        }
    }
    fn is_empty(wire: &Self::Wire) -> bool {
        matches!(wire, OneOrManyWire::Many(v) if v.is_empty())
    }
}

/// The Rust type of a field of this presence.
macro_rules! field_ty {
    (Optional, $ty:ty) => { Option<$ty> };
    ($other:ident, $ty:ty) => { $ty };
}
pub(crate) use field_ty;

/// The converter of a response field.
macro_rules! conv {
    ($ty:ty) => { $crate::smilepayz::schema::Native<$ty> };
    ($ty:ty, $via:ty) => { $via };
}
pub(crate) use conv;

/// Reads a response field by presence.
macro_rules! take {
    (Optional, $c:ty, $wire:literal, $value:expr) => {
        $crate::smilepayz::schema::take_optional::<$c>($wire, $value)
    };
    ($presence:ident, $c:ty, $wire:literal, $value:expr) => {
        $crate::smilepayz::schema::take_required::<$c>(
            $wire,
            $crate::smilepayz::schema::Presence::$presence,
            $value,
        )
    };
}
pub(crate) use take;

/// Checks a request field by presence.
macro_rules! check_field {
    (Optional, $wire:literal, $value:expr, $rule:path) => {
        if let Some(v) = $value {
            $rule($wire, v)?;
        }
    };
    ($presence:ident, $wire:literal, $value:expr, $rule:path) => {
        $rule($wire, $value)?;
    };
}
pub(crate) use check_field;

/// Writes a request field by presence (unset optionals are omitted).
macro_rules! write_field {
    (Optional, $w:expr, $wire:literal, $value:expr) => {
        if let Some(v) = $value {
            $crate::smilepayz::schema::ToWire::write(v, $w, $wire);
        }
    };
    ($presence:ident, $w:expr, $wire:literal, $value:expr) => {
        $crate::smilepayz::schema::ToWire::write($value, $w, $wire);
    };
}
pub(crate) use write_field;

/// A getter's return type by presence.
macro_rules! getter_ty {
    (Optional, $ty:ty) => { Option<$ty> };
    ($other:ident, $ty:ty) => { $ty };
}
pub(crate) use getter_ty;

/// A getter's body by presence.
macro_rules! lend {
    (Optional, $value:expr) => {
        $value.as_ref().map($crate::smilepayz::schema::Lend::lend)
    };
    ($other:ident, $value:expr) => {
        $crate::smilepayz::schema::Lend::lend($value)
    };
}
pub(crate) use lend;

/// Declares a request message or a part of one (an object inside it).
///
/// ```text
/// request! {
///     /// docs
///     pub struct Name as "wireName", setters on TargetType, also extra_check {
///         /// docs
///         rust_name: Type = "wireName", Presence, get GetterType, set setter_name,
///             rule rule_fn => "the rule in words";
///     }
/// }
/// ```
///
/// `setters on` names where setters of optional fields go (the part
/// itself, or the message's [`RequestBuilder`](super::RequestBuilder));
/// `set` is given for optional fields only; `also` adds a check across
/// fields.
macro_rules! request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $wire_name:literal, setters on $target:ty $(, also $extra:path)? {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty = $wire:literal, $presence:ident, get $get:ty
                    $(, set $setter:ident)?, rule $rule_fn:path => $rule:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $( $field: $crate::smilepayz::schema::field_ty!($presence, $ty), )*
        }

        impl $name {
            /// The schema of this object: every field in wire order, with
            /// its presence, type and rule.
            pub const FIELDS: &'static [$crate::schema::Field] = &[
                $( $crate::smilepayz::schema::field(
                    $wire,
                    stringify!($field),
                    $crate::schema::Presence::$presence,
                    <$ty as $crate::smilepayz::schema::WireType>::TY,
                    $rule,
                    <$ty as $crate::smilepayz::schema::WireType>::NESTED,
                ), )*
            ];

            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!("Wire: `", $wire, "` (", $rule, ").")]
                pub fn $field(&self) -> $crate::smilepayz::schema::getter_ty!($presence, $get) {
                    $crate::smilepayz::schema::lend!($presence, &self.$field)
                }
            )*
        }

        impl $crate::smilepayz::schema::Check for $name {
            fn check(&self) -> Result<(), $crate::error::ValidationError> {
                $( $crate::smilepayz::schema::check_field!($presence, $wire, &self.$field, $rule_fn); )*
                $( $extra(self)?; )?
                Ok(())
            }
        }

        impl $target {
            $( $(
                #[doc = concat!("Sets `", $wire, "` (", $rule, "); see the getter `", stringify!($field), "`.")]
                pub fn $setter(mut self, value: impl Into<$ty>) -> Self {
                    $crate::smilepayz::schema::Fields::fields_mut(&mut self).$field = Some(value.into());
                    self
                }
            )? )*
        }

        impl $name {
            /// This object as minified JSON, exactly as it is sent (the
            /// schema's wire order, unset optionals omitted). For a whole
            /// request these are the bytes that are signed.
            pub fn to_json(&self) -> String {
                <Self as $crate::smilepayz::schema::WireBody>::to_body(self)
            }
        }

        impl $crate::smilepayz::schema::WireBody for $name {
            fn write_fields(&self, w: &mut $crate::json_writer::ObjectWriter) {
                $( $crate::smilepayz::schema::write_field!($presence, w, $wire, &self.$field); )*
            }
        }

        impl $crate::smilepayz::schema::WireType for $name {
            const TY: $crate::schema::FieldType = $crate::schema::FieldType::Object;
            const NESTED: Option<&'static [$crate::schema::Field]> = Some(Self::FIELDS);
        }

        impl $crate::smilepayz::schema::ToWire for $name {
            fn write(&self, w: &mut $crate::json_writer::ObjectWriter, key: &'static str) {
                w.object(key, |inner| {
                    <Self as $crate::smilepayz::schema::WireBody>::write_fields(self, inner)
                });
            }
        }
    };
}
pub(crate) use request;

/// A request message or part written as a JSON object: its fields in
/// schema order. Writing cannot fail.
pub(crate) trait WireBody {
    /// Writes the fields into an open object.
    fn write_fields(&self, w: &mut ObjectWriter);

    /// The whole object as minified JSON.
    fn to_body(&self) -> String {
        let mut w = ObjectWriter::with_capacity(256);
        self.write_fields(&mut w);
        w.finish()
    }
}

/// Declares a response message or a part of one.
///
/// ```text
/// response! {
///     /// docs
///     pub struct Name as "wireName", wire WireStructName {
///         /// docs
///         rust_name: Type = "wireName", Presence [alias "otherName"] [via Converter];
///             "the rule in words";
///     }
/// }
/// ```
macro_rules! response {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $wire_name:literal, wire $wire_struct:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty = $wire:literal, $presence:ident
                    $(alias $alias:literal)? $(via $via:ty)?; $rule:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!("Wire: `", $wire, "` (", $rule, ").")]
                pub $field: $crate::smilepayz::schema::field_ty!($presence, $ty),
            )*
        }

        impl $name {
            /// The schema of this object: every field in wire order, with
            /// its presence, type and rule.
            pub const FIELDS: &'static [$crate::schema::Field] = &[
                $( $crate::smilepayz::schema::field(
                    $wire,
                    stringify!($field),
                    $crate::schema::Presence::$presence,
                    <$crate::smilepayz::schema::conv!($ty $(, $via)?) as $crate::smilepayz::schema::Convert>::TY,
                    $rule,
                    <$crate::smilepayz::schema::conv!($ty $(, $via)?) as $crate::smilepayz::schema::Convert>::NESTED,
                ), )*
            ];
        }

        /// The wire form: every field optional, presence checked on
        /// conversion so that the error names the field.
        #[derive(serde::Deserialize)]
        pub(crate) struct $wire_struct {
            $(
                #[serde(rename = $wire $(, alias = $alias)?)]
                $field: Option<<$crate::smilepayz::schema::conv!($ty $(, $via)?) as $crate::smilepayz::schema::Convert>::Wire>,
            )*
        }

        impl $crate::smilepayz::schema::WireType for $name {
            const TY: $crate::schema::FieldType = $crate::schema::FieldType::Object;
            const NESTED: Option<&'static [$crate::schema::Field]> = Some(Self::FIELDS);
        }

        impl $crate::smilepayz::schema::FromWire for $name {
            type Wire = $wire_struct;
            fn from_wire(wire: $wire_struct) -> Result<Self, $crate::smilepayz::schema::FieldError> {
                Ok(Self {
                    $( $field: $crate::smilepayz::schema::take!(
                        $presence,
                        $crate::smilepayz::schema::conv!($ty $(, $via)?),
                        $wire,
                        wire.$field
                    )?, )*
                })
            }
        }
    };
}
pub(crate) use response;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::find;
    use crate::smilepayz::{CallbackClaims, InquiryBalanceResponse, PayInResponse};

    #[test]
    fn wire_types_keep_their_documented_wording() {
        let described = |fields, path| find(fields, path).map(|f| f.ty.describe());
        for (fields, path, words) in [
            (PayInResponse::FIELDS, "orderNo", "string"),
            (PayInResponse::FIELDS, "channel", "object"),
            (
                PayInResponse::FIELDS,
                "transactionTime",
                "string (yyyy-MM-ddTHH:mm:ss and an RFC 3339 offset)",
            ),
            (
                PayInResponse::FIELDS,
                "money",
                "object {amount: integer minor units, currency: string}",
            ),
            (
                CallbackClaims::FIELDS,
                "transactionTime",
                "string (yyyy-MM-ddTHH:mm:ss, optional offset: Peru time)",
            ),
            (
                InquiryBalanceResponse::FIELDS,
                "accountInfos",
                "object, or array of objects",
            ),
            (
                InquiryBalanceResponse::FIELDS,
                "accountInfos.amount",
                "object {currency: string, value: string of minor units}",
            ),
            (
                InquiryBalanceResponse::FIELDS,
                "balanceTypes",
                "array of strings",
            ),
        ] {
            assert_eq!(described(fields, path), Some(words), "{path}");
        }
        assert_eq!(<url::Url as WireType>::TY.describe(), "string (URL)");
        assert_eq!(<u32 as WireType>::TY.describe(), "integer");
    }

    #[test]
    fn field_errors_nest_paths() {
        assert_eq!(FieldError::here("bad").within("value").path, "value");
        assert_eq!(
            FieldError::here("bad")
                .within("value")
                .within("[2]")
                .within("accountInfos")
                .path,
            "accountInfos[2].value"
        );
    }
}
