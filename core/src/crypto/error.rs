//! The errors of signing, verifying and loading keys.
//!
//! They live beside the signers, so that [`crate::crypto`] depends on no
//! other module of the crate; [`crate::error`] and the crate root re-export
//! [`SignError`] and [`KeyError`] with the other errors.

use std::fmt;

use super::SignatureAlgorithm;

/// Why a [`Verifier`](super::Verifier) did not accept a signature.
///
/// [`SignatureError::Unavailable`] is the only variant that does not mean
/// "forged or corrupted": the verifier could not check at all (a remote
/// service down), so the message should be retried later, not rejected as
/// invalid for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature's length is not the key's modulus length.
    #[error("signature is {actual} bytes, the {bits}-bit key makes {expected}-byte signatures")]
    WrongLength {
        /// Bytes a signature by this key has.
        expected: usize,
        /// Bytes received.
        actual: usize,
        /// The key's modulus size in bits.
        bits: usize,
    },
    /// The signature is well-formed but not valid for this message and key.
    #[error("signature does not match the message and key")]
    Mismatch,
    /// The verifier checks another algorithm than the one required.
    #[error("verifier checks {found}, the protocol requires {required}")]
    WrongAlgorithm {
        /// What the protocol requires.
        required: SignatureAlgorithm,
        /// What the verifier checks.
        found: SignatureAlgorithm,
    },
    /// The verifier could not check (a remote service failed); the message
    /// is neither valid nor proven invalid. The text never carries key
    /// material.
    #[error("verifier unavailable: {0}")]
    Unavailable(String),
}

/// A signer could not produce a signature (for example an HSM was unreachable).
#[derive(Debug)]
pub struct SignError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl SignError {
    /// A signing failure with a description and, optionally, its cause.
    pub fn new(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source,
        }
    }
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signing failed: {}", self.message)
    }
}

impl std::error::Error for SignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}; accepted formats: {accepted}")]
pub struct KeyError {
    message: String,
    accepted: &'static str,
}

impl KeyError {
    pub(crate) fn new(message: impl Into<String>, accepted: &'static str) -> Self {
        Self {
            message: message.into(),
            accepted,
        }
    }

    /// What was wrong with the input.
    pub fn message(&self) -> &str {
        &self.message
    }
}
