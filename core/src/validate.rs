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
    if ok && !value.chars().any(char::is_whitespace) {
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
        assert!(email("e", "a@b.pe").is_ok());
        for bad in ["a@b", "@b.pe", "a b@c.pe", "ab.pe", "a@.pe", "a@b.pe."] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
        assert!(printable("n", "José\n").is_err());
    }
}
