//! Strip insignificant whitespace from JSON without touching anything else.

/// The input is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid JSON: {0}")]
pub struct MinifyError(String);

/// Removes whitespace outside strings. Keys keep their order and strings
/// keep their exact escapes (`\u00e9` stays `\u00e9`), so the output is the
/// input minus insignificant bytes: what a gateway expects to be signed when
/// a body was pretty-printed by hand.
///
/// ```
/// use pasarela_core::smilepayz::minify_json;
/// let pretty = b"{\n  \"b\": \"x y\",\n  \"a\": \"\\u00e9\"\n}\n";
/// assert_eq!(minify_json(pretty)?, br#"{"b":"x y","a":"\u00e9"}"#);
/// assert!(minify_json(b"{oops}").is_err());
/// # Ok::<(), pasarela_core::smilepayz::MinifyError>(())
/// ```
pub fn minify_json(input: &[u8]) -> Result<Vec<u8>, MinifyError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(input)
        .map_err(|e| MinifyError(e.to_string()))?;
    let mut out = Vec::with_capacity(input.len());
    let mut in_string = false;
    let mut escaped = false;
    for &byte in input {
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            if byte == b'"' {
                in_string = true;
            }
            out.push(byte);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_strings_and_escapes() {
        let input = br#" { "k\"ey" : [ 1 , "a \\ b" , { } ] , "t" : true } "#;
        assert_eq!(
            minify_json(input).unwrap(),
            br#"{"k\"ey":[1,"a \\ b",{}],"t":true}"#
        );
        assert!(minify_json(b"").is_err());
        assert!(minify_json(b"{} {}").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn minified_is_equal_json(value in proptest::arbitrary::any::<Vec<(String, Option<i32>)>>()) {
            let pretty = serde_json::to_vec_pretty(&value).unwrap();
            let min = minify_json(&pretty).unwrap();
            assert_eq!(min, serde_json::to_vec(&value).unwrap());
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = minify_json(&bytes);
        }
    }
}
