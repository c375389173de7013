//! The pure-Rust backend on the `rsa` crate.
//!
//! Its private-key operation is not constant-time (RUSTSEC-2023-0071, the
//! "Marvin" timing side channel); where an attacker can time many signatures
//! from the same process, prefer the `aws-lc` backend.

use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer as _, Verifier as _};
use sha2::Sha256;

use super::{PrivateKey, PublicKey, Signer, Verifier};
use crate::error::SignError;

/// RSASSA-PKCS1-v1_5 / SHA-256 signer on the `rsa` crate.
#[derive(Clone)]
pub struct RsaSigner {
    key: SigningKey<Sha256>,
}

impl RsaSigner {
    /// A signer for this key.
    pub fn new(key: &PrivateKey) -> Self {
        Self {
            key: SigningKey::<Sha256>::new(key.rsa_key().clone()),
        }
    }
}

impl Signer for RsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key
            .try_sign(message)
            .map(|s| s.to_vec())
            .map_err(|e| SignError::new(format!("rsa backend: {e}"), None))
    }
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaSigner(<redacted>)")
    }
}

/// RSASSA-PKCS1-v1_5 / SHA-256 verifier on the `rsa` crate.
#[derive(Debug, Clone)]
pub struct RsaVerifier {
    key: VerifyingKey<Sha256>,
}

impl RsaVerifier {
    /// A verifier for this key.
    pub fn new(key: &PublicKey) -> Self {
        Self {
            key: VerifyingKey::<Sha256>::new(key.rsa_key().clone()),
        }
    }
}

impl Verifier for RsaVerifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match Signature::try_from(signature) {
            Ok(sig) => self.key.verify(message, &sig).is_ok(),
            Err(_) => false,
        }
    }
}
