//! Signing and verification: the seam between the protocols and RSA.
//!
//! Both gateways' signatures are RSASSA-PKCS1-v1_5 with SHA-256. The
//! protocols only ever see the [`Signer`] and [`Verifier`] traits, so a key
//! held in an HSM or a cloud KMS signs by implementing [`Signer`], and a
//! change of algorithm is one new implementation.
//!
//! Two software backends ship:
//!
//! | backend | feature | notes |
//! |---|---|---|
//! | [`RsaSigner`] / [`RsaVerifier`] | always | pure Rust (`rsa` crate); its private-key operation is not constant-time (RUSTSEC-2023-0071) |
//! | [`AwsLcSigner`] / [`AwsLcVerifier`] | `aws-lc` | AWS-LC: constant-time private-key operations, several times faster |
//!
//! PKCS#1 v1.5 signatures are deterministic, so both backends give the same
//! bytes for the same key and message (tested), and so does
//! `openssl dgst -sha256 -sign`.

mod async_signer;
#[cfg(feature = "aws-lc")]
mod aws_lc_backend;
mod keys;
mod rsa_backend;

use std::sync::Arc;

pub use async_signer::AsyncSigner;
pub(crate) use async_signer::DynAsyncSigner;
#[cfg(feature = "aws-lc")]
pub use aws_lc_backend::{AwsLcSigner, AwsLcVerifier};
pub use keys::{PrivateKey, PublicKey};
pub use rsa_backend::{RsaSigner, RsaVerifier};

use crate::error::SignError;

/// Produces RSASSA-PKCS1-v1_5 / SHA-256 signatures over a message.
///
/// Implement this to sign with a key you cannot load into memory:
///
/// ```
/// use pasarela_core::crypto::Signer;
/// use pasarela_core::SignError;
///
/// /// A signer that asks a (here imaginary) KMS.
/// struct KmsSigner { key_id: String }
///
/// impl Signer for KmsSigner {
///     fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
///         // call the KMS with `self.key_id`, algorithm RSASSA_PKCS1_V1_5_SHA_256
///         let _ = (message, &self.key_id);
///         Err(SignError::new("KMS unreachable", None))
///     }
/// }
/// ```
pub trait Signer {
    /// Signs `message` (the whole message: the signer hashes it).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Checks RSASSA-PKCS1-v1_5 / SHA-256 signatures.
pub trait Verifier {
    /// Whether `signature` is valid for `message`.
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool;
}

impl<T: Signer + ?Sized> Signer for &T {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

impl<T: Signer + ?Sized> Signer for Box<T> {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

impl<T: Signer + ?Sized> Signer for Arc<T> {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

impl<T: Verifier + ?Sized> Verifier for &T {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        (**self).verify(message, signature)
    }
}

impl<T: Verifier + ?Sized> Verifier for Box<T> {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        (**self).verify(message, signature)
    }
}

impl<T: Verifier + ?Sized> Verifier for Arc<T> {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        (**self).verify(message, signature)
    }
}

/// A software signing backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// The pure-Rust `rsa` crate.
    Rsa,
    /// AWS-LC through `aws-lc-rs` (feature `aws-lc`).
    #[cfg(feature = "aws-lc")]
    AwsLc,
}

impl Backend {
    /// Every backend compiled in.
    pub const ALL: &'static [Backend] = &[
        Backend::Rsa,
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc,
    ];

    /// The backend's short name: `rsa` or `aws-lc`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Rsa => "rsa",
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => "aws-lc",
        }
    }

    /// A signer for `key` on this backend.
    pub fn signer(
        self,
        key: &PrivateKey,
    ) -> Result<Arc<dyn Signer + Send + Sync>, crate::KeyError> {
        Ok(match self {
            Backend::Rsa => Arc::new(RsaSigner::new(key)),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Arc::new(AwsLcSigner::new(key)?),
        })
    }

    /// A verifier for `key` on this backend.
    pub fn verifier(
        self,
        key: &PublicKey,
    ) -> Result<Arc<dyn Verifier + Send + Sync>, crate::KeyError> {
        Ok(match self {
            Backend::Rsa => Arc::new(RsaVerifier::new(key)),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Arc::new(AwsLcVerifier::new(key)?),
        })
    }
}

impl Default for Backend {
    /// `aws-lc` when that feature is on (the user opted into it), else `rsa`.
    fn default() -> Self {
        #[cfg(feature = "aws-lc")]
        {
            Backend::AwsLc
        }
        #[cfg(not(feature = "aws-lc"))]
        {
            Backend::Rsa
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const MERCHANT: &str = include_str!("../../testdata/keys/merchant_private_pkcs8.pem");
    /// Pinned in `testdata/openssl-signature/`, made with OpenSSL (see its README).
    const STRING_TO_SIGN: &[u8] =
        include_bytes!("../../testdata/openssl-signature/string-to-sign.txt");
    const OPENSSL_SIG: &str = include_str!("../../testdata/openssl-signature/signature.b64");

    #[test]
    fn every_backend_matches_openssl_byte_for_byte() {
        let key = PrivateKey::load(MERCHANT).unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .decode(OPENSSL_SIG.trim())
            .unwrap();
        for backend in Backend::ALL {
            let sig = backend.signer(&key).unwrap().sign(STRING_TO_SIGN).unwrap();
            assert_eq!(sig, expected, "backend {}", backend.name());
            for verifier_backend in Backend::ALL {
                let v = verifier_backend.verifier(&key.public_key()).unwrap();
                assert!(v.verify(STRING_TO_SIGN, &sig));
                assert!(!v.verify(b"other message", &sig));
                assert!(!v.verify(STRING_TO_SIGN, &sig[1..]));
                assert!(!v.verify(STRING_TO_SIGN, &[]));
            }
        }
    }

    #[test]
    fn backends_agree_on_many_messages() {
        let key = PrivateKey::load(MERCHANT).unwrap();
        let signers: Vec<_> = Backend::ALL
            .iter()
            .map(|b| b.signer(&key).unwrap())
            .collect();
        for n in 0..20usize {
            let msg = "é|x".repeat(n);
            let sigs: Vec<_> = signers
                .iter()
                .map(|s| s.sign(msg.as_bytes()).unwrap())
                .collect();
            assert!(sigs.windows(2).all(|w| w[0] == w[1]));
        }
    }
}
