//! The AWS-LC backend (feature `aws-lc`): constant-time private-key
//! operations and several times the throughput of the pure-Rust backend.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
};

use super::rsa_backend::check_length;
use super::{KeyError, SignError};
use super::{PrivateKey, PublicKey, SignatureAlgorithm, SignatureError, Signer, Verifier};

const ACCEPTED: &str = "RSA keys of 2048 to 8192 bits";

/// RSASSA-PKCS1-v1_5 / SHA-256 signer on AWS-LC.
pub struct AwsLcSigner {
    pair: RsaKeyPair,
    // aws-lc-rs ignores the RNG for PKCS#1 v1.5 (the padding is
    // deterministic); its API still asks for one.
    rng: SystemRandom,
}

impl AwsLcSigner {
    /// A signer for this key.
    pub fn new(key: &PrivateKey) -> Result<Self, KeyError> {
        let pair = RsaKeyPair::from_der(key.pkcs1_der())
            .map_err(|e| KeyError::new(format!("aws-lc rejected the key: {e}"), ACCEPTED))?;
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
        })
    }
}

impl Signer for AwsLcSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1v15Sha256
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
            .map_err(|_| SignError::new("aws-lc backend: signing failed", None))?;
        Ok(sig)
    }
}

impl std::fmt::Debug for AwsLcSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AwsLcSigner(<redacted>, {} bits)",
            self.pair.public_key().as_ref().len()
        )
    }
}

/// RSASSA-PKCS1-v1_5 / SHA-256 verifier on AWS-LC; the key is parsed once.
pub struct AwsLcVerifier {
    key: ParsedPublicKey,
    modulus_len: usize,
}

impl AwsLcVerifier {
    /// A verifier for this key.
    pub fn new(key: &PublicKey) -> Result<Self, KeyError> {
        let modulus_len = key.bits() / 8;
        let key = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.spki_der())
            .map_err(|e| KeyError::new(format!("aws-lc rejected the key: {e}"), ACCEPTED))?;
        Ok(Self { key, modulus_len })
    }
}

impl std::fmt::Debug for AwsLcVerifier {
    /// The key size only: the key bytes are public, but noise in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsLcVerifier({} bits)", self.modulus_len * 8)
    }
}

impl Verifier for AwsLcVerifier {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1v15Sha256
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        check_length(self.modulus_len, signature)?;
        self.key
            .verify_sig(message, signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}
