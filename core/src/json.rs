//! Shared JSON decoding that turns serde errors into [`ParseError`]s and
//! [`VerifyError`]s carrying the JSON path.

use serde::de::DeserializeOwned;

use crate::error::{ParseError, RawBody, VerifyError};

/// Decodes `body` as `T`, reporting the JSON path of the first problem.
pub(crate) fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::EmptyBody { status });
    }
    decode_path(body).map_err(|(path, reason)| ParseError::Json {
        path,
        reason,
        body: RawBody(body.to_vec()),
    })
}

/// Decodes a callback or notification body as `T`.
pub(crate) fn decode_callback<T: DeserializeOwned>(body: &[u8]) -> Result<T, VerifyError> {
    decode_path(body).map_err(|(path, reason)| VerifyError::MalformedBody { path, reason })
}

fn decode_path<T: DeserializeOwned>(body: &[u8]) -> Result<T, (String, String)> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        (path, e.into_inner().to_string())
    })?;
    // Only whitespace may follow the value: `{...}xyz` is not the protocol.
    de.end().map_err(|e| {
        (
            ".".to_owned(),
            format!("trailing characters after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

/// A parse error for a field whose JSON is well typed but whose value breaks
/// the protocol.
pub(crate) fn value_error(path: &str, reason: impl Into<String>, body: &[u8]) -> ParseError {
    ParseError::Value {
        path: path.to_owned(),
        reason: reason.into(),
        body: RawBody(body.to_vec()),
    }
}

/// Reads a JSON number or string as its exact text: `150.0`, `"150.00"` and
/// `150.00` keep their digits, never passing through floating point.
pub(crate) fn number_or_string_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<String, D::Error> {
    use serde::Deserialize as _;
    let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(serde::de::Error::custom)
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(serde::de::Error::custom("expected a number or a string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        inner: Inner,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        amount: u64,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Amounts {
        #[serde(deserialize_with = "number_or_string_text")]
        a: String,
    }

    #[test]
    fn numbers_keep_their_text() {
        for (json, text) in [
            (r#"{"a":150.0}"#, "150.0"),
            (r#"{"a":"150.00"}"#, "150.00"),
            (r#"{"a":1e3}"#, "1e3"),
            (r#"{"a":-2}"#, "-2"),
        ] {
            assert_eq!(decode::<Amounts>(200, json.as_bytes()).unwrap().a, text);
        }
        for bad in [r#"{"a":true}"#, r#"{"a":null}"#, r#"{"a":[1]}"#] {
            assert_eq!(
                decode::<Amounts>(200, bad.as_bytes()).unwrap_err().path(),
                Some("a")
            );
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        assert!(decode::<Amounts>(200, br#"{"a":1} "#).is_ok());
        let err = decode::<Amounts>(200, br#"{"a":1}xyz"#).unwrap_err();
        assert!(
            matches!(err, ParseError::Json { ref reason, .. } if reason.contains("trailing")),
            "{err:?}"
        );
        assert!(matches!(
            decode_callback::<Amounts>(br#"{"a":1}{"a":2}"#),
            Err(VerifyError::MalformedBody { .. })
        ));
    }

    #[test]
    fn path_is_reported() {
        let err = decode::<Outer>(200, br#"{"inner":{"amount":"x"}}"#).unwrap_err();
        assert_eq!(err.path(), Some("inner.amount"));
        assert_eq!(err.raw_body(), Some(&br#"{"inner":{"amount":"x"}}"#[..]));
        assert_eq!(
            decode::<Outer>(500, b" \n").unwrap_err(),
            ParseError::EmptyBody { status: 500 }
        );
        let err = decode::<Outer>(200, b"<html>").unwrap_err();
        assert!(matches!(err, ParseError::Json { .. }));
    }
}
