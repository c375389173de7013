//! One declarative schema per Monnet message.
//!
//! Every message Monnet defines — the create request and response, the
//! notification, the status query and its answer — is described once, as a
//! table of [`Field`]s (the one descriptor type of both gateways, see
//! [`crate::schema`]): the wire name, the Rust name, whether the field must
//! be present and whether it may be empty, its wire type and its rule. The
//! tables drive the code: the create request is validated and serialized by
//! walking [`CREATE_REQUEST`] (in its order, which is the seed's sample
//! order), and every parsed message is read by walking its table: presence,
//! duplicates, JSON types and unknown fields are decided by the table, and
//! the typed fields are then taken out of the read message by their table
//! names (a name not in the table is a bug a debug assertion catches). Tests
//! and fixtures use the same tables for their field lists.
//!
//! ```
//! use pasarela_core::monnet::schema::{CREATE_REQUEST, Presence};
//!
//! assert_eq!(CREATE_REQUEST.len(), 43);
//! assert_eq!(CREATE_REQUEST[0].wire, "payinMerchantID");
//! let coupon = CREATE_REQUEST.iter().find(|f| f.wire == "payinDiscountCoupon").unwrap();
//! assert_eq!(coupon.presence, Presence::MayBeEmpty);
//! ```

use std::collections::HashSet;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

pub use super::create::CREATE_REQUEST;
pub use super::notification::{NOTIFICATION, NOTIFICATION_ERROR_DETAILS};
pub use super::response::CREATE_RESPONSE;
pub use super::status::{STATUS_OPERATION, STATUS_QUERY_REQUEST, STATUS_QUERY_RESPONSE};

pub use crate::schema::{Field, FieldType, Presence, wire_names};

/// Where reading a message failed: a JSON path and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) path: String,
    pub(crate) reason: String,
}

impl Failure {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// One field's value as read.
#[derive(Debug, Clone)]
pub(crate) enum Slot<'a> {
    /// Absent or `null`.
    Absent,
    /// A JSON string (decoded) or number (its text verbatim).
    Text(String),
    /// A JSON object, raw (read it with its own table, or as a map).
    Object(&'a RawValue),
    /// A JSON array, its elements raw (read each with its own table).
    Array(Vec<&'a RawValue>),
}

/// A message read by its table: one [`Slot`] per field, in table order.
#[derive(Debug)]
pub(crate) struct Read<'a> {
    table: &'static [Field],
    slots: Vec<Slot<'a>>,
    prefix: String,
}

impl<'a> Read<'a> {
    fn index(&self, wire: &str) -> usize {
        // Only called with names of `self.table` (the module's own constants):
        // a mistyped name is a bug, caught by the tests (debug builds); in a
        // release build it reads as absent rather than panicking.
        let found = self.table.iter().position(|f| f.wire == wire);
        debug_assert!(found.is_some(), "{wire} is not a field of this table");
        found.unwrap_or(usize::MAX)
    }

    /// The path of a field of this object, for errors.
    pub(crate) fn path(&self, wire: &str) -> String {
        format!("{}{wire}", self.prefix)
    }

    /// Takes a field's slot out (leaving it absent).
    pub(crate) fn take(&mut self, wire: &str) -> Slot<'a> {
        let i = self.index(wire);
        self.slots
            .get_mut(i)
            .map_or(Slot::Absent, |s| std::mem::replace(s, Slot::Absent))
    }

    /// A text field, or `None` when absent.
    pub(crate) fn text(&mut self, wire: &str) -> Option<String> {
        match self.take(wire) {
            Slot::Text(t) => Some(t),
            _ => None,
        }
    }

    /// An object field, raw, or `None` when absent.
    pub(crate) fn object(&mut self, wire: &str) -> Option<&'a RawValue> {
        match self.take(wire) {
            Slot::Object(o) => Some(o),
            _ => None,
        }
    }

    /// An array field's elements, or `None` when absent.
    pub(crate) fn array(&mut self, wire: &str) -> Option<Vec<&'a RawValue>> {
        match self.take(wire) {
            Slot::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// The entries of a JSON object, values raw.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key, value));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a whole body (one JSON object, nothing but whitespace after it)
/// by `table`.
pub(crate) fn read_body<'a>(body: &'a [u8], table: &'static [Field]) -> Result<Read<'a>, Failure> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let entries = Entries::deserialize(&mut de).map_err(|e| Failure::new(".", e.to_string()))?;
    de.end().map_err(|e| {
        Failure::new(
            ".",
            format!("trailing characters after the JSON value: {e}"),
        )
    })?;
    read_entries(entries, table, String::new())
}

/// Reads one element of an array field by `table`; `prefix` is its path
/// with a trailing dot (`operations[2].`).
pub(crate) fn read_element<'a>(
    raw: &'a RawValue,
    table: &'static [Field],
    prefix: String,
) -> Result<Read<'a>, Failure> {
    let entries: Entries<'a> = serde_json::from_str(raw.get())
        .map_err(|e| Failure::new(prefix.trim_end_matches('.').to_owned(), e.to_string()))?;
    read_entries(entries, table, prefix)
}

fn read_entries<'a>(
    entries: Entries<'a>,
    table: &'static [Field],
    prefix: String,
) -> Result<Read<'a>, Failure> {
    let mut seen = HashSet::with_capacity(entries.0.len());
    let mut slots = vec![Slot::Absent; table.len()];
    for (key, raw) in entries.0 {
        let path = || format!("{prefix}{key}");
        if !seen.insert(key.clone()) {
            // Two values for one name: which one counts is ambiguous.
            return Err(Failure::new(path(), "duplicate field"));
        }
        // Unknown fields are skipped: a gateway may add fields at any time.
        let Some(i) = table.iter().position(|f| f.wire == key) else {
            continue;
        };
        slots[i] = slot(raw, table[i].ty).map_err(|reason| Failure::new(path(), reason))?;
    }
    for (field, slot) in table.iter().zip(&slots) {
        if matches!(field.presence, Presence::Required | Presence::NonEmpty)
            && matches!(slot, Slot::Absent)
        {
            return Err(Failure::new(
                format!("{prefix}{}", field.wire),
                "missing field",
            ));
        }
    }
    Ok(Read {
        table,
        slots,
        prefix,
    })
}

fn slot(raw: &RawValue, ty: FieldType) -> Result<Slot<'_>, String> {
    let text = raw.get();
    if text == "null" {
        return Ok(Slot::Absent);
    }
    match ty {
        FieldType::Object => {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
                .map(|_| Slot::Object(raw))
                .map_err(|_| "expected a JSON object".to_owned())
        }
        FieldType::Array => serde_json::from_str::<Vec<&RawValue>>(text)
            .map(Slot::Array)
            .map_err(|_| "expected a JSON array".to_owned()),
        // Reserved fields: whatever arrives is kept, nothing fails on it.
        FieldType::Any if !text.starts_with('"') => Ok(Slot::Text(text.to_owned())),
        _ if text.starts_with('"') => serde_json::from_str::<String>(text)
            .map(Slot::Text)
            .map_err(|e| e.to_string()),
        _ if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
            Ok(Slot::Text(text.to_owned()))
        }
        _ => Err("expected a number or a string".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &[Field] = &[
        Field::new("a", "a", Presence::Required, FieldType::Text, ""),
        Field::new("b", "b", Presence::Optional, FieldType::Object, ""),
        Field::new("c", "c", Presence::Optional, FieldType::Array, ""),
    ];

    #[test]
    fn reads_by_table_keeping_number_text() {
        let body = br#"{"z":{"any":[1]},"a":150.0,"b":{"k":"v"},"c":[{"x":1},2]}"#;
        let mut r = read_body(body, T).unwrap();
        assert_eq!(r.text("a").as_deref(), Some("150.0"));
        assert_eq!(r.object("b").unwrap().get(), r#"{"k":"v"}"#);
        assert_eq!(r.array("c").unwrap().len(), 2);
        let mut r = read_body(br#"{"a":"x\"y","b":null}"#, T).unwrap();
        assert_eq!(r.text("a").as_deref(), Some("x\"y"));
        assert!(r.object("b").is_none());
    }

    #[test]
    fn failures_name_the_path() {
        for (body, path) in [
            (&b"[]"[..], "."),
            (b"null", "."),
            (b"", "."),
            (b"{}", "a"),
            (br#"{"a":null}"#, "a"),
            (br#"{"a":true}"#, "a"),
            (br#"{"a":"1","b":[]}"#, "b"),
            (br#"{"a":"1","c":{}}"#, "c"),
            (br#"{"a":"1","a":"2"}"#, "a"),
            (br#"{"a":"1","q":1,"q":2}"#, "q"),
            (br#"{"a":"1"}x"#, "."),
        ] {
            let e = read_body(body, T).unwrap_err();
            assert_eq!(e.path, path, "{}", String::from_utf8_lossy(body));
        }
        let raw: &RawValue = serde_json::from_str(r#"{"c":[]}"#).unwrap();
        assert_eq!(
            read_element(raw, T, "ops[3].".into()).unwrap_err().path,
            "ops[3].a"
        );
        let raw: &RawValue = serde_json::from_str("7").unwrap();
        assert_eq!(
            read_element(raw, T, "ops[3].".into()).unwrap_err().path,
            "ops[3]"
        );
    }

    #[test]
    fn every_table_names_each_wire_field_once() {
        for table in [
            &CREATE_REQUEST[..],
            CREATE_RESPONSE,
            NOTIFICATION,
            NOTIFICATION_ERROR_DETAILS,
            STATUS_QUERY_REQUEST,
            STATUS_QUERY_RESPONSE,
            STATUS_OPERATION,
        ] {
            let names = wire_names(table);
            let unique: HashSet<_> = names.iter().collect();
            assert_eq!(unique.len(), names.len(), "{names:?}");
            assert!(
                table
                    .iter()
                    .all(|f| !f.rule.is_empty() && !f.rust.is_empty())
            );
        }
    }
}
