//! Redacted newtypes for secrets.
//!
//! Every value here zeroizes its memory on drop, has a `Debug` that prints
//! only the type name and `<redacted>`, and deliberately has no `Display`:
//! the only way to read the secret is the explicit [`expose_secret`]-style
//! accessor, so it never reaches a log line by accident.
//!
//! [`expose_secret`]: MerchantSecret::expose_secret

/// Defines a newtype over a string wiped from memory on drop: a
/// constructor from anything that becomes a `String`, the one accessor that
/// reads it (named by the caller: `expose_secret`, `expose`), a `Debug` that
/// prints only the type name and `<redacted>`, and conversions from strings.
/// The secrets here and the personal data of [`crate::personal`] add their
/// own comparisons (and, for personal data, a masked `Display`).
macro_rules! redacted_string {
    ($(#[$meta:meta])* $name:ident, $read:ident, $read_doc:literal) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(zeroize::Zeroizing<String>);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(zeroize::Zeroizing::new(value.into()))
            }

            #[doc = $read_doc]
            pub fn $read(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }
    };
}
pub(crate) use redacted_string;

/// Defines a string secret newtype with redacted `Debug`, no `Display`,
/// zeroize-on-drop and constant-time equality.
macro_rules! string_secret {
    ($(#[$meta:meta])* $name:ident) => {
        redacted_string! {
            $(#[$meta])*
            $name,
            expose_secret,
            "The secret itself. Call this only where the bytes are needed (a string to sign or hash), never to print or log."
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                use subtle::ConstantTimeEq;
                self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
            }
        }

        impl Eq for $name {}
    };
}

string_secret! {
    /// The SmilePayz merchant secret, the middle part of every string to sign
    /// (`timestamp|merchantSecret|body`).
    MerchantSecret
}

string_secret! {
    /// Monnet's `KeyMonnet`: the merchant key appended to every
    /// `payinVerification` hash input and to the status-query
    /// `authorization` hash.
    MonnetKey
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = MerchantSecret::new("s3cr3t-value");
        assert_eq!(format!("{s:?}"), "MerchantSecret(<redacted>)");
        assert_eq!(s.expose_secret(), "s3cr3t-value");
        let k = MonnetKey::from("key-monnet-123");
        assert!(!format!("{k:?}").contains("key-monnet"));
        assert!(!format!("{:#?}", Some(&k)).contains("key-monnet"));
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(MonnetKey::new("a"), MonnetKey::new("a"));
        assert_ne!(MonnetKey::new("a"), MonnetKey::new("b"));
    }
}
