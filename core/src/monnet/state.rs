//! The state of a Monnet pay-in (`payinStateID`).

/// A pay-in's state, from `payinStateID`. Any id Monnet adds later is
/// [`Unknown`](PayinState::Unknown), not an error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayinState {
    /// 1, "Creado": created.
    Created,
    /// 2, "Pendiente de pago": waiting for payment.
    Pending,
    /// 3, "Expirado": expired unpaid.
    Expired,
    /// 5, "Autorizado": authorized (paid).
    Authorized,
    /// 6, "Denegado": denied.
    Denied,
    /// 9, "Liquidado": settled.
    Settled,
    /// 10, "Reembolsado": refunded before settlement.
    Refunded,
    /// 11, "Devuelto": returned after settlement.
    Returned,
    /// An id this version does not know, with the `payinState` text sent
    /// alongside it, if any.
    Unknown {
        /// `payinStateID`.
        id: u32,
        /// `payinState`.
        text: Option<String>,
    },
}

impl PayinState {
    /// The state for an id; `text` is kept only for an unknown id.
    pub fn from_id(id: u32, text: Option<&str>) -> Self {
        match id {
            1 => Self::Created,
            2 => Self::Pending,
            3 => Self::Expired,
            5 => Self::Authorized,
            6 => Self::Denied,
            9 => Self::Settled,
            10 => Self::Refunded,
            11 => Self::Returned,
            _ => Self::Unknown {
                id,
                text: text.map(str::to_owned),
            },
        }
    }

    /// The `payinStateID`.
    pub fn id(&self) -> u32 {
        match self {
            Self::Created => 1,
            Self::Pending => 2,
            Self::Expired => 3,
            Self::Authorized => 5,
            Self::Denied => 6,
            Self::Settled => 9,
            Self::Refunded => 10,
            Self::Returned => 11,
            Self::Unknown { id, .. } => *id,
        }
    }

    /// Whether the money was taken: authorized or settled.
    pub fn is_paid(&self) -> bool {
        matches!(self, Self::Authorized | Self::Settled)
    }
}

/// Parses a `payinStateID` text (`"5"` or `5`).
pub(crate) fn parse_state_id(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for id in [1, 2, 3, 5, 6, 9, 10, 11] {
            let s = PayinState::from_id(id, Some("x"));
            assert!(!matches!(s, PayinState::Unknown { .. }));
            assert_eq!(s.id(), id);
        }
        assert_eq!(
            PayinState::from_id(4, Some("Nuevo")),
            PayinState::Unknown {
                id: 4,
                text: Some("Nuevo".into())
            }
        );
        assert_eq!(PayinState::from_id(77, None).id(), 77);
        assert!(PayinState::Authorized.is_paid());
        assert!(!PayinState::Denied.is_paid());
    }

    #[test]
    fn state_id_text() {
        assert_eq!(parse_state_id("5"), Some(5));
        assert_eq!(parse_state_id("05"), Some(5));
        for bad in ["", "-1", "5.0", "+5", " 5", "99999999999"] {
            assert_eq!(parse_state_id(bad), None, "{bad}");
        }
    }
}
