//! The one JSON writer of the crate: request bodies of both gateways are
//! written field by field, in schema order, minified, byte for byte what
//! `serde_json` would produce for the same values — and it cannot fail, so
//! no prepare function carries an error that cannot happen.

use std::ops::Range;

/// A minified JSON object written field by field, in the order given.
///
/// Strings are escaped exactly as `serde_json` escapes them (`"`, `\`, and
/// control characters; everything else verbatim). Field names are the
/// schemas' own constants and need no escaping.
pub(crate) struct ObjectWriter {
    // A `String`: everything written is UTF-8 (escaped `&str`s, digits,
    // punctuation), so the body is text without a fallible conversion.
    buf: String,
    first: bool,
}

impl ObjectWriter {
    /// Starts an object in a buffer of this capacity.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut buf = String::with_capacity(capacity);
        buf.push('{');
        Self { buf, first: true }
    }

    /// Writes `"name":"value"` and returns the byte range of the escaped
    /// value between its quotes.
    pub(crate) fn string(&mut self, name: &str, value: &str) -> Range<usize> {
        self.key(name);
        self.buf.push('"');
        let start = self.buf.len();
        escape_into(&mut self.buf, value);
        let end = self.buf.len();
        self.buf.push('"');
        start..end
    }

    /// Writes `"name":"` + text that needs no escaping (a hex digest) + `"`.
    pub(crate) fn raw_string(&mut self, name: &str, value: &str) {
        self.key(name);
        self.buf.push('"');
        self.buf.push_str(value);
        self.buf.push('"');
    }

    /// Writes `"name":123`.
    pub(crate) fn uint(&mut self, name: &str, value: u64) {
        self.key(name);
        self.buf.push_str(&value.to_string());
    }

    /// Writes `"name":["a","b"]`.
    pub(crate) fn strings<'s>(&mut self, name: &str, values: impl IntoIterator<Item = &'s str>) {
        self.key(name);
        self.buf.push('[');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            self.buf.push('"');
            escape_into(&mut self.buf, value);
            self.buf.push('"');
        }
        self.buf.push(']');
    }

    /// Writes `"name":{...}`, the inner object's fields written by `fields`.
    pub(crate) fn object(&mut self, name: &str, fields: impl FnOnce(&mut ObjectWriter)) {
        self.key(name);
        let mut inner = ObjectWriter {
            buf: std::mem::take(&mut self.buf),
            first: true,
        };
        inner.buf.push('{');
        fields(&mut inner);
        self.buf = inner.finish();
    }

    fn key(&mut self, name: &str) {
        if self.first {
            self.first = false;
        } else {
            self.buf.push(',');
        }
        self.buf.push('"');
        self.buf.push_str(name);
        self.buf.push_str("\":");
    }

    /// Closes the object and returns its text.
    pub(crate) fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

/// Appends `s` JSON-escaped (without the surrounding quotes), byte for byte
/// what `serde_json` produces.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    // Every byte escaped is ASCII, so `start..i` always falls on character
    // boundaries.
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
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
        w.raw_string("h", "ff");
        let out = w.finish();
        assert_eq!(out, r#"{"a":"x\"y","pan":"4111","h":"ff"}"#);
        assert_eq!(&out[r], "4111");
    }

    #[test]
    fn nested_objects_numbers_and_arrays() {
        let mut w = ObjectWriter::with_capacity(8);
        w.object("m", |m| {
            m.uint("amount", 20000);
            m.string("currency", "PEN");
        });
        w.object("e", |_| {});
        w.strings("t", ["A", "B\n"]);
        w.strings("none", []);
        w.uint("z", 0);
        assert_eq!(
            w.finish(),
            r#"{"m":{"amount":20000,"currency":"PEN"},"e":{},"t":["A","B\n"],"none":[],"z":0}"#
        );
        assert_eq!(ObjectWriter::with_capacity(0).finish(), "{}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn escaping_matches_serde_json(s in any::<String>()) {
            let mut out = String::from('"');
            escape_into(&mut out, &s);
            out.push('"');
            prop_assert_eq!(out, serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn escaping_matches_serde_json_on_specials(s in "[\\x00-\\x1f\\x7f\"\\\\/a-zñ€😀]{0,24}") {
            let mut out = String::from('"');
            escape_into(&mut out, &s);
            out.push('"');
            prop_assert_eq!(out, serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn objects_match_serde_json(
            a in any::<String>(),
            n in any::<u64>(),
            list in proptest::collection::vec(any::<String>(), 0..4),
        ) {
            let mut w = ObjectWriter::with_capacity(0);
            w.string("a", &a);
            // (keys in the order `json!` sorts them)
            w.object("o", |o| {
                o.strings("list", list.iter().map(String::as_str));
                o.uint("n", n);
            });
            let expected = serde_json::to_string(&serde_json::json!({"a": a, "o": {"n": n, "list": list}})).unwrap();
            prop_assert_eq!(w.finish(), expected);
        }
    }
}
