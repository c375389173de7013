//! What the message schemas of both gateways share: the presence of a field.
//!
//! Each message of each gateway is declared once, in its gateway's schema
//! ([`crate::smilepayz::FieldSpec`] lists such as `PayInRequest::FIELDS`,
//! [`crate::monnet::schema`] tables such as `CREATE_REQUEST`): wire name, Rust name, presence,
//! type and rule. The declaration drives the type, its validation, its
//! serialization and the field lists tests and fixtures read. Presence means
//! the same on both gateways.

/// Whether a field must appear on the wire, and whether it may be empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Presence {
    /// Always present and not `null`: absent or `null` is an error. A text
    /// value may be empty.
    Required,
    /// Always present and never empty (`""`, only spaces, `[]`).
    NonEmpty,
    /// Always present; `""` is a valid value (what an unset optional part is
    /// sent as, where the gateway wants every field).
    MayBeEmpty,
    /// May be absent. Where the gateway allows it the SDK omits it when
    /// unset; when reading, absent, `null` and (for text) `""` mean unset.
    Optional,
}

impl Presence {
    /// The documentation's word for it: `required`, `must not be empty`,
    /// `may be empty`, `optional`.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Required => "required",
            Presence::NonEmpty => "must not be empty",
            Presence::MayBeEmpty => "may be empty",
            Presence::Optional => "optional",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Presence;

    #[test]
    fn both_gateways_share_one_presence() {
        // The same type under both gateways' schema modules.
        let sp: crate::smilepayz::Presence = Presence::MayBeEmpty;
        let mn: crate::monnet::schema::Presence = sp;
        assert_eq!(mn.as_str(), "may be empty");
    }
}
