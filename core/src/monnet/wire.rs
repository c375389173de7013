//! What Monnet's wire format needs beyond serde: a fixed-order JSON object
//! writer that records where card data sits, and a JSON scalar that may be a
//! string or a number and keeps its text exactly as received (reading by a
//! schema table is in [`schema`](super::schema)).

use std::ops::Range;

use serde::de::{Deserialize, Deserializer};

/// A minified JSON object written field by field, in the order given.
///
/// Values are JSON strings escaped exactly as `serde_json` escapes them
/// (`"`, `\`, and control characters; everything else verbatim).
pub(crate) struct ObjectWriter {
    buf: Vec<u8>,
    first: bool,
}

impl ObjectWriter {
    /// Starts an object in a buffer of this capacity.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity);
        buf.push(b'{');
        Self { buf, first: true }
    }

    /// Writes `"name":"value"` and returns the byte range of the escaped
    /// value between its quotes. `name` must need no escaping.
    pub(crate) fn string(&mut self, name: &str, value: &str) -> Range<usize> {
        self.open(name);
        let start = self.buf.len();
        escape_into(&mut self.buf, value);
        let end = self.buf.len();
        self.buf.push(b'"');
        start..end
    }

    /// Writes `"name":"` + raw ASCII bytes that need no escaping + `"`.
    pub(crate) fn raw_string(&mut self, name: &str, value: &[u8]) {
        self.open(name);
        self.buf.extend_from_slice(value);
        self.buf.push(b'"');
    }

    fn open(&mut self, name: &str) {
        if self.first {
            self.first = false;
            self.buf.push(b'"');
        } else {
            self.buf.extend_from_slice(b",\"");
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":\"");
    }

    /// Closes the object and returns its bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.push(b'}');
        self.buf
    }
}

/// Appends `s` JSON-escaped (without the surrounding quotes), byte for byte
/// what `serde_json` produces.
pub(crate) fn escape_into(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

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
    use proptest::prelude::*;

    #[test]
    fn writer_writes_minified_object_and_ranges() {
        let mut w = ObjectWriter::with_capacity(8);
        w.string("a", "x\"y");
        let r = w.string("pan", "4111");
        w.raw_string("h", b"ff");
        let out = w.finish();
        assert_eq!(out, br#"{"a":"x\"y","pan":"4111","h":"ff"}"#);
        assert_eq!(&out[r], b"4111");
    }

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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn escaping_matches_serde_json(s in any::<String>()) {
            let mut out = vec![b'"'];
            escape_into(&mut out, &s);
            out.push(b'"');
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }

        #[test]
        fn escaping_matches_serde_json_on_specials(s in "[\\x00-\\x1f\\x7f\"\\\\/a-zñ€😀]{0,24}") {
            let mut out = vec![b'"'];
            escape_into(&mut out, &s);
            out.push(b'"');
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }
}
