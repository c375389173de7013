//! What Monnet's wire format needs beyond serde: a JSON scalar that may be
//! a string or a number and keeps its text exactly as received (writing is
//! the crate's one [`ObjectWriter`](crate::json_writer::ObjectWriter);
//! reading by a schema table is in [`schema`](super::schema)).

use serde::de::{Deserialize, Deserializer};

/// A JSON string or number, kept as text exactly as it was received: the
/// decoded string for a JSON string, the original digits for a number
/// (`150.0` stays `150.0`, `150.00` stays `150.00`).
///
/// Monnet sends numeric fields as strings in some versions and as numbers
/// in others, and hashes them as text, so the text is what matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::json::number_or_string_text(deserializer).map(Scalar)
    }
}

impl Scalar {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_keeps_text() {
        #[derive(Debug, serde::Deserialize)]
        struct T {
            a: Scalar,
            b: Scalar,
            c: Scalar,
        }
        let t: T = crate::json::decode(200, br#"{"a":150.0,"b":"150.00","c": -1e3 }"#).unwrap();
        assert_eq!(t.a.as_str(), "150.0");
        assert_eq!(t.b.as_str(), "150.00");
        assert_eq!(t.c.as_str(), "-1e3");
        let err = crate::json::decode::<T>(200, br#"{"a":true,"b":"1","c":"2"}"#).unwrap_err();
        assert_eq!(err.path(), Some("a"));
        let err = crate::json::decode::<T>(200, br#"{"a":"1","b":{},"c":"2"}"#).unwrap_err();
        assert_eq!(err.path(), Some("b"));
    }
}
