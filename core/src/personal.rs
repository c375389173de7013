//! Payer personal data (Peru's Ley 29733 on personal data protection) as
//! redacted newtypes: [`PersonName`], [`Email`], [`Phone`] and
//! [`DocumentNumber`].
//!
//! Like the card's data ([`crate::monnet::Pan`]) and the secrets
//! ([`crate::secret`]), each is masked wherever it could be printed by
//! accident — `Debug` and `Display` show `<redacted>` — and its memory is
//! wiped when dropped. Read one on purpose with
//! [`expose`](PersonName::expose): to send it, or to show it to the person
//! it belongs to. On the wire nothing changes: the gateways get the same
//! bytes as before.
//!
//! They are what [`smilepayz::Payer`](crate::smilepayz::Payer),
//! [`smilepayz::CallbackPayer`](crate::smilepayz::CallbackPayer) and
//! [`monnet::Customer`](crate::monnet::Customer) hold, and they convert
//! from `&str` and `String`, so building one stays plain:
//!
//! ```
//! use pasarela_core::personal::{Email, PersonName};
//! use pasarela_core::smilepayz::Payer;
//!
//! let payer = Payer::new("Rosa Quispe").with_email("rosa@example.com");
//! assert_eq!(format!("{payer:?}").contains("Rosa"), false); // masked
//! assert_eq!(payer.name().expose(), "Rosa Quispe"); // read on purpose
//! assert_eq!(payer.name(), "Rosa Quispe"); // compared without printing
//! assert_eq!(payer.email().map(Email::to_string).as_deref(), Some("<redacted>"));
//! let name = PersonName::from(String::from("Ana"));
//! assert_eq!(format!("{name:?} {name}"), "PersonName(<redacted>) <redacted>");
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::secret::redacted_string;

macro_rules! personal {
    ($(#[$meta:meta])* $name:ident) => {
        redacted_string! {
            $(#[$meta])*
            $name,
            expose,
            "The value itself. Call this only to send it or to show it to the person it belongs to, never to log it."
        }

        impl $name {
            /// Whether the value is empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new(String::new())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<redacted>")
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.expose() == other.expose()
            }
        }

        impl Eq for $name {}

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.expose() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.expose() == *other
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.expose().hash(state)
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                Self::new(value.as_str())
            }
        }
    };
}

personal! {
    /// A person's name, or part of one (a payer's full name; a customer's
    /// first or last name). Masked in `Debug` and `Display`.
    PersonName
}

personal! {
    /// An e-mail address. Masked in `Debug` and `Display`.
    Email
}

personal! {
    /// A phone number. Masked in `Debug` and `Display`.
    Phone
}

personal! {
    /// An identity document number (DNI, CE, RUC, passport). Masked in
    /// `Debug` and `Display`.
    DocumentNumber
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_when_printed_readable_on_purpose() {
        let email = Email::new("rosa@example.com");
        assert_eq!(format!("{email:?}"), "Email(<redacted>)");
        assert_eq!(format!("{email:#?}"), "Email(<redacted>)");
        assert_eq!(email.to_string(), "<redacted>");
        assert_eq!(email.expose(), "rosa@example.com");
        assert!(!format!("{:?}", Some(Phone::from("987654321"))).contains("987"));
        assert_eq!(DocumentNumber::from("44556677"), "44556677");
        assert_eq!(
            PersonName::from("Ana"),
            PersonName::new(String::from("Ana"))
        );
        assert_ne!(PersonName::from("Ana"), PersonName::from("Eva"));
        assert!(PersonName::default().is_empty());
    }
}
