//! Field checks shared by both gateways. Each returns a [`ValidationError`]
//! naming the wire field and the rule; none echoes the value.

use std::borrow::Cow;

use crate::error::{Rule, ValidationError};

type Field = &'static str;

/// Fails unless `value` is non-empty and at most `max` characters.
pub(crate) fn required_len(
    field: Field,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Rule::Required));
    }
    let len = value.chars().count();
    if len < min {
        return Err(ValidationError::new(field, Rule::TooShort { min }));
    }
    if len > max {
        return Err(ValidationError::new(field, Rule::TooLong { max }));
    }
    Ok(())
}

/// Fails unless `value` is `min..=max` ASCII letters and digits: `Required`
/// when empty, `TooShort`/`TooLong` by length, `Format` for another
/// character.
pub(crate) fn ascii_alnum(
    field: Field,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    required_len(field, value, min, max)?;
    charset(
        field,
        value,
        |c| c.is_ascii_alphanumeric(),
        "ASCII letters and digits",
    )
}

/// Fails unless every character satisfies `ok`.
pub(crate) fn charset(
    field: Field,
    value: &str,
    ok: impl Fn(char) -> bool,
    what: &'static str,
) -> Result<(), ValidationError> {
    if value.chars().all(ok) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed(what)),
        ))
    }
}

/// Fails unless `value` is within `min..=max`.
pub(crate) fn range(field: Field, value: u64, min: u64, max: u64) -> Result<(), ValidationError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new(field, Rule::OutOfRange { min, max }))
    }
}

/// Fails unless `value` is an absolute URL with one of `schemes` and at most
/// `max` characters.
pub(crate) fn url(
    field: Field,
    value: &str,
    schemes: &[&str],
    max: usize,
    what: &'static str,
) -> Result<(), ValidationError> {
    required_len(field, value, 1, max)?;
    let ok = url::Url::parse(value)
        .map(|u| schemes.contains(&u.scheme()) && u.host_str().is_some_and(|h| !h.is_empty()))
        .unwrap_or(false);
    // No spaces and no control characters anywhere (`url` would percent-
    // encode some of them silently, and the gateway sees other bytes).
    if ok && !value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed(what)),
        ))
    }
}

/// Fails unless `value` looks like an e-mail address (`local@domain.tld`,
/// no spaces, at most 254 characters).
pub(crate) fn email(field: Field, value: &str) -> Result<(), ValidationError> {
    required_len(field, value, 3, 254)?;
    let shape = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    });
    if shape && !value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed("an e-mail address")),
        ))
    }
}

/// Fails if `value` holds control characters (they have no place in a name).
pub(crate) fn printable(field: Field, value: &str) -> Result<(), ValidationError> {
    charset(
        field,
        value,
        |c| !c.is_control(),
        "free of control characters",
    )
}

/// Fails with [`Rule::Required`] when `value` is empty or only white space
/// (what a gateway trimming its input reads as empty).
pub(crate) fn not_blank(field: Field, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(field, Rule::Required));
    }
    Ok(())
}

/// Fails if `value` has more than `max` characters (an empty value passes:
/// presence is the caller's rule).
pub(crate) fn max_chars(field: Field, value: &str, max: usize) -> Result<(), ValidationError> {
    // Counting chars only when the byte length could exceed the limit.
    if value.len() > max && value.chars().count() > max {
        return Err(ValidationError::new(field, Rule::TooLong { max }));
    }
    Ok(())
}

/// Fails unless `value` is `min..=max` ASCII digits: `Required` when empty,
/// `Format` for any other character, then `TooShort`/`TooLong`.
pub(crate) fn digits(
    field: Field,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Rule::Required));
    }
    charset(field, value, |c| c.is_ascii_digit(), "digits only")?;
    required_len(field, value, min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_the_field() {
        assert_eq!(
            required_len("f", "", 1, 3).unwrap_err().rule(),
            &Rule::Required
        );
        assert_eq!(
            required_len("f", "abcd", 1, 3).unwrap_err().rule(),
            &Rule::TooLong { max: 3 }
        );
        assert_eq!(
            required_len("f", "añ", 3, 9).unwrap_err().rule(),
            &Rule::TooShort { min: 3 }
        );
        assert!(
            required_len("f", "ñññ", 1, 3).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(range("amount", 5, 10, 20).unwrap_err().field(), "amount");
        assert!(url("u", "https://a.pe/x", &["https"], 250, "https").is_ok());
        assert!(url("u", "http://a.pe/x", &["https"], 250, "https").is_err());
        assert!(url("u", "not a url", &["https"], 250, "https").is_err());
        assert!(url("u", "https://", &["https"], 250, "https").is_err());
        assert!(url("u", "https://a.pe/x y", &["https"], 250, "https").is_err());
        for control in [
            "https://a.pe/x\0",
            "https://a.pe/\u{7f}",
            "https://a.pe/?q=\u{85}",
        ] {
            assert!(
                url("u", control, &["https"], 250, "https").is_err(),
                "{control:?}"
            );
        }
        assert!(email("e", "a@b.pe").is_ok());
        for bad in ["a@b", "@b.pe", "a b@c.pe", "ab.pe", "a@.pe", "a@b.pe."] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
        assert!(printable("n", "José\n").is_err());
    }

    #[test]
    fn ascii_alnum_checks_length_then_characters() {
        assert!(ascii_alnum("f", "A1b2", 1, 4).is_ok());
        assert_eq!(
            ascii_alnum("f", "", 1, 4).unwrap_err().rule(),
            &Rule::Required
        );
        assert_eq!(
            ascii_alnum("f", "A1b2c", 1, 4).unwrap_err().rule(),
            &Rule::TooLong { max: 4 }
        );
        for bad in ["A-1", "A 1", "Añ1", "A_1"] {
            assert!(
                matches!(
                    ascii_alnum("f", bad, 1, 4).unwrap_err().rule(),
                    Rule::Format(_)
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn not_blank_refuses_white_space_only() {
        for blank in ["", " ", "\t", "\u{a0}", "\u{3000} "] {
            assert_eq!(
                not_blank("f", blank).unwrap_err().rule(),
                &Rule::Required,
                "{blank:?}"
            );
        }
        assert!(not_blank("f", " a ").is_ok());
    }

    #[test]
    fn max_chars_and_digits() {
        assert!(max_chars("f", "ñññ", 3).is_ok());
        assert!(max_chars("f", "", 3).is_ok());
        assert_eq!(
            max_chars("f", "abcd", 3).unwrap_err().rule(),
            &Rule::TooLong { max: 3 }
        );
        assert_eq!(digits("p", "", 8, 9).unwrap_err().rule(), &Rule::Required);
        assert!(matches!(
            digits("p", "1234567a", 8, 9).unwrap_err().rule(),
            Rule::Format(_)
        ));
        assert!(matches!(
            digits("p", "١٢٣٤٥٦٧٨", 8, 9).unwrap_err().rule(),
            Rule::Format(_)
        ));
        assert_eq!(
            digits("p", "1234567", 8, 9).unwrap_err().rule(),
            &Rule::TooShort { min: 8 }
        );
        assert_eq!(
            digits("p", "1234567890", 8, 9).unwrap_err().rule(),
            &Rule::TooLong { max: 9 }
        );
        assert_eq!(digits("p", "123456789", 8, 9), Ok(()));
    }
}
