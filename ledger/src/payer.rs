//! The payer's personal data, kept only when the application opts in
//! ([`Options::keep_payer_data`](crate::Options::keep_payer_data)).
//!
//! By default the ledger stores no name, e-mail, phone or identity document
//! (Peru's Ley 29733 asks for the minimum): what it needs to confirm and
//! reconcile a payment is the order number, the merchant and the money. An
//! application that must keep who paid (a receipt, a dispute) opts in; the
//! data then sits in one column of the payment's row, never in its history
//! or its outcomes, is read with [`Ledger::payer`](crate::Ledger::payer)
//! and erased with [`Ledger::erase_payer`](crate::Ledger::erase_payer)
//! (a data subject's request to delete).
//!
//! Each value is one of `pasarela-core`'s redacted types: `Debug` shows
//! `<redacted>`, and the value is read on purpose with `expose()`.

use pasarela_core::personal::{DocumentNumber, Email, PersonName, Phone};
use serde_json::{Map, Value};

/// Who pays, as the create request named them. Every field is optional:
/// the gateways ask for different things (SmilePayz a name, Monnet a first
/// and a last name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayerData {
    /// Name (SmilePayz `payer.name`, Monnet `payinCustomerName`).
    pub name: Option<PersonName>,
    /// Last name (Monnet `payinCustomerLastName`).
    pub last_name: Option<PersonName>,
    /// E-mail address.
    pub email: Option<Email>,
    /// Phone number.
    pub phone: Option<Phone>,
    /// Identity document type as on the wire (`DNI`, `CE`, `PAS`, `RUC`).
    pub document_type: Option<String>,
    /// Identity document number.
    pub document: Option<DocumentNumber>,
}

/// The JSON field names, in the stored object.
const NAME: &str = "name";
const LAST_NAME: &str = "lastName";
const EMAIL: &str = "email";
const PHONE: &str = "phone";
const DOCUMENT_TYPE: &str = "documentType";
const DOCUMENT: &str = "document";

impl PayerData {
    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// The stored form: a JSON object of the fields present (empty values
    /// left out).
    pub(crate) fn to_json(&self) -> String {
        let mut out = Map::new();
        let mut put = |key: &str, value: Option<&str>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.insert(key.to_owned(), Value::from(v));
            }
        };
        put(NAME, self.name.as_ref().map(PersonName::expose));
        put(LAST_NAME, self.last_name.as_ref().map(PersonName::expose));
        put(EMAIL, self.email.as_ref().map(Email::expose));
        put(PHONE, self.phone.as_ref().map(Phone::expose));
        put(DOCUMENT_TYPE, self.document_type.as_deref());
        put(DOCUMENT, self.document.as_ref().map(DocumentNumber::expose));
        Value::Object(out).to_string()
    }

    /// Reads the stored form back; `None` when it is not a JSON object
    /// (the message names what was wrong, never a value).
    pub(crate) fn from_json(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("the stored payer data is not JSON (line {})", e.line()))?;
        let Value::Object(map) = value else {
            return Err("the stored payer data is not a JSON object".into());
        };
        let field = |key: &str| -> Result<Option<String>, String> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("the stored payer data's {key} is not a string")),
            }
        };
        Ok(Self {
            name: field(NAME)?.map(PersonName::from),
            last_name: field(LAST_NAME)?.map(PersonName::from),
            email: field(EMAIL)?.map(Email::from),
            phone: field(PHONE)?.map(Phone::from),
            document_type: field(DOCUMENT_TYPE)?,
            document: field(DOCUMENT)?.map(DocumentNumber::from),
        })
    }

    /// What a SmilePayz pay-in names.
    pub(crate) fn of_smilepayz(payer: &pasarela_core::smilepayz::Payer) -> Self {
        Self {
            name: Some(payer.name().clone()),
            last_name: None,
            email: payer.email().cloned(),
            phone: payer.phone().cloned(),
            document_type: payer.id_type().map(|t| t.as_str().to_owned()),
            document: payer.identity().cloned(),
        }
    }

    /// What a Monnet create names.
    pub(crate) fn of_monnet(customer: &pasarela_core::monnet::Customer) -> Self {
        let document = customer.identity_document();
        Self {
            name: Some(customer.name().clone()),
            last_name: Some(customer.last_name().clone()),
            email: Some(customer.email().clone()),
            phone: Some(customer.phone().clone()),
            document_type: document.map(|(kind, _)| kind.as_str().to_owned()),
            document: document.map(|(_, number)| number.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_stored_form_and_never_prints() {
        let payer = PayerData {
            name: Some("Rosa".into()),
            last_name: Some("Quispe".into()),
            email: Some("rosa@example.com".into()),
            phone: None,
            document_type: Some("DNI".into()),
            document: Some("44556677".into()),
        };
        let stored = payer.to_json();
        assert_eq!(
            stored,
            r#"{"document":"44556677","documentType":"DNI","email":"rosa@example.com","lastName":"Quispe","name":"Rosa"}"#
        );
        assert_eq!(PayerData::from_json(&stored), Ok(payer.clone()));
        let printed = format!("{payer:?}");
        assert!(
            !printed.contains("Rosa") && !printed.contains("4455"),
            "{printed}"
        );
        assert!(PayerData::default().is_empty());
        assert_eq!(PayerData::default().to_json(), "{}");
    }

    #[test]
    fn a_damaged_stored_form_is_an_error_that_shows_no_value() {
        let e = PayerData::from_json(r#"{"name": 5}"#).unwrap_err();
        assert!(e.contains("name is not a string"), "{e}");
        let e = PayerData::from_json("Rosa Quispe").unwrap_err();
        assert!(!e.contains("Rosa"), "{e}");
        assert!(PayerData::from_json("[]").is_err());
    }
}
