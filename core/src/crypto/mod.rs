//! Signing and verification: the seam between the protocols and RSA.
//!
//! Both gateways' signatures are RSASSA-PKCS1-v1_5 with SHA-256
//! ([`SignatureAlgorithm::RsaPkcs1v15Sha256`]). The protocols only ever see
//! the [`Signer`] and [`Verifier`] traits (`Send + Sync`, each naming its
//! algorithm), so a key held in an HSM or a cloud KMS signs by implementing
//! [`Signer`], and a change of algorithm is one new implementation.
//! [`Verifier::verify`] says why a signature did not verify
//! ([`SignatureError`]), keeping "could not check" apart from "forged".
//!
//! Two software backends ship:
//!
//! | backend | feature | notes |
//! |---|---|---|
//! | [`RsaSigner`] / [`RsaVerifier`] | always | pure Rust (`rsa` crate); signs blinded, but its private-key operation is not constant-time (RUSTSEC-2023-0071) |
#![cfg_attr(
    feature = "aws-lc",
    doc = "| [`AwsLcSigner`] / [`AwsLcVerifier`] | `aws-lc` | AWS-LC: constant-time private-key operations, several times faster |"
)]
#![cfg_attr(
    not(feature = "aws-lc"),
    doc = "| `AwsLcSigner` / `AwsLcVerifier` | `aws-lc` (not enabled in this build) | AWS-LC: constant-time private-key operations, several times faster |"
)]
//!
//! PKCS#1 v1.5 signatures are deterministic, so both backends give the same
//! bytes for the same key and message (tested), and so does
//! `openssl dgst -sha256 -sign`.

mod async_signer;
#[cfg(feature = "aws-lc")]
mod aws_lc_backend;
mod error;
mod keys;
mod rsa_backend;

use std::sync::Arc;

pub use async_signer::AsyncSigner;
pub(crate) use async_signer::DynAsyncSigner;
#[cfg(feature = "aws-lc")]
pub use aws_lc_backend::{AwsLcSigner, AwsLcVerifier};
pub use error::{KeyError, SignError, SignatureError};
pub use keys::{PrivateKey, PublicKey};
pub use rsa_backend::{RsaSigner, RsaVerifier};

/// The RNG traits [`RsaSigner::with_rng`] takes (`rand_core` 0.6, as the
/// `rsa` crate uses).
pub use rsa::rand_core;

/// The signature scheme a [`Signer`] produces or a [`Verifier`] checks.
///
/// Both gateways use [`SignatureAlgorithm::RsaPkcs1v15Sha256`] only; every
/// signing and verifying path (the `sign_*` and `verify_*` functions, the
/// one-step `prepare_*`, `UnsignedRequest::sign`, the operations' `sign` and
/// `sign_async`, and the clients with a [`Signer`] or an [`AsyncSigner`])
/// refuses a signer or verifier naming anything else (a [`SignError`] or
/// [`SignatureError::WrongAlgorithm`]) before it signs, instead of sending a
/// signature the gateway cannot check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 section 8.2; JCA
    /// `SHA256withRSA`, AWS KMS `RSASSA_PKCS1_V1_5_SHA_256`, Google Cloud KMS
    /// `RSA_SIGN_PKCS1_*_SHA256`).
    RsaPkcs1v15Sha256,
    /// RSASSA-PSS with SHA-256 (RFC 8017 section 8.1). Neither gateway
    /// accepts it; it is named so that a KMS key configured for PSS is
    /// refused before anything is sent, instead of being rejected by the
    /// gateway.
    RsaPssSha256,
}

impl SignatureAlgorithm {
    /// The scheme's name as RFC 8017 and most KMS APIs spell it:
    /// `RSASSA-PKCS1-v1_5/SHA-256`.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPkcs1v15Sha256 => "RSASSA-PKCS1-v1_5/SHA-256",
            SignatureAlgorithm::RsaPssSha256 => "RSASSA-PSS/SHA-256",
        }
    }
}

impl std::fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Produces signatures over a message; [`Signer::algorithm`] says which
/// scheme (both gateways need [`SignatureAlgorithm::RsaPkcs1v15Sha256`]).
///
/// `Send + Sync`, so one signer serves every thread and async task.
/// Implement this to sign with a key you cannot load into memory (an HSM, a
/// KMS reached without blocking concerns):
///
/// ```
/// use pasarela_core::crypto::{SignatureAlgorithm, Signer};
/// use pasarela_core::SignError;
///
/// /// A signer that asks a (here imaginary) KMS.
/// struct KmsSigner { key_id: String }
///
/// impl Signer for KmsSigner {
///     fn algorithm(&self) -> SignatureAlgorithm {
///         // the KMS key's signing algorithm: RSASSA_PKCS1_V1_5_SHA_256
///         SignatureAlgorithm::RsaPkcs1v15Sha256
///     }
///
///     fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
///         // call the KMS with `self.key_id` and the whole message
///         let _ = (message, &self.key_id);
///         Err(SignError::new("KMS unreachable", None))
///     }
/// }
/// ```
pub trait Signer: Send + Sync {
    /// The scheme [`Signer::sign`] produces.
    fn algorithm(&self) -> SignatureAlgorithm;

    /// Signs `message` (the whole message: the signer hashes it).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Checks signatures; [`Verifier::algorithm`] says which scheme.
///
/// `Send + Sync`, so one verifier serves every thread and async task.
pub trait Verifier: Send + Sync {
    /// The scheme [`Verifier::verify`] checks.
    fn algorithm(&self) -> SignatureAlgorithm;

    /// `Ok(())` when `signature` is valid for `message`, else why not.
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError>;
}

/// Fails unless `signer` produces `required`.
pub(crate) fn require_signer(
    signer: &(impl Signer + ?Sized),
    required: SignatureAlgorithm,
) -> Result<(), SignError> {
    require_algorithm(Signer::algorithm(signer), required)
}

/// Fails unless a signer naming `found` produces `required`: the one check
/// behind every signing path (synchronous, async, type-erased).
pub(crate) fn require_algorithm(
    found: SignatureAlgorithm,
    required: SignatureAlgorithm,
) -> Result<(), SignError> {
    if found == required {
        Ok(())
    } else {
        Err(SignError::new(
            format!("signer produces {found}, the protocol requires {required}"),
            None,
        ))
    }
}

/// Verifies with `verifier`, first checking it checks `required`.
pub(crate) fn verify_as(
    verifier: &(impl Verifier + ?Sized),
    required: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let found = verifier.algorithm();
    if found != required {
        return Err(SignatureError::WrongAlgorithm { required, found });
    }
    verifier.verify(message, signature)
}

macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: Signer + ?Sized> Signer for $ptr {
            fn algorithm(&self) -> SignatureAlgorithm {
                (**self).algorithm()
            }

            fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
                (**self).sign(message)
            }
        }
    )*};
}

forward!(&T, Box<T>, Arc<T>);

macro_rules! forward_verifier {
    ($($ptr:ty),*) => {$(
        impl<T: Verifier + ?Sized> Verifier for $ptr {
            fn algorithm(&self) -> SignatureAlgorithm {
                (**self).algorithm()
            }

            fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
                (**self).verify(message, signature)
            }
        }
    )*};
}

forward_verifier!(&T, Box<T>, Arc<T>);

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
    pub fn signer(self, key: &PrivateKey) -> Result<Arc<dyn Signer + Send + Sync>, KeyError> {
        Ok(match self {
            Backend::Rsa => Arc::new(RsaSigner::new(key)),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Arc::new(AwsLcSigner::new(key)?),
        })
    }

    /// A verifier for `key` on this backend.
    pub fn verifier(self, key: &PublicKey) -> Result<Arc<dyn Verifier + Send + Sync>, KeyError> {
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
                assert_eq!(v.verify(STRING_TO_SIGN, &sig), Ok(()));
                assert_eq!(
                    v.verify(b"other message", &sig),
                    Err(SignatureError::Mismatch)
                );
                let mut flipped = sig.clone();
                flipped[100] ^= 1;
                assert_eq!(
                    v.verify(STRING_TO_SIGN, &flipped),
                    Err(SignatureError::Mismatch)
                );
                assert_eq!(
                    v.verify(STRING_TO_SIGN, &sig[1..]),
                    Err(SignatureError::WrongLength {
                        expected: 256,
                        actual: 255,
                        bits: 2048
                    })
                );
                assert!(matches!(
                    v.verify(STRING_TO_SIGN, &[]),
                    Err(SignatureError::WrongLength { actual: 0, .. })
                ));
            }
        }
    }

    /// An RNG that counts what is drawn from it (deterministic, TEST ONLY:
    /// SHA-256 of a counter).
    struct CountingRng {
        counter: u64,
        drawn: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl rand_core::RngCore for CountingRng {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            use sha2::Digest as _;
            for chunk in dest.chunks_mut(32) {
                self.counter += 1;
                let block = sha2::Sha256::digest(self.counter.to_be_bytes());
                chunk.copy_from_slice(&block[..chunk.len()]);
            }
            self.drawn
                .fetch_add(dest.len(), std::sync::atomic::Ordering::SeqCst);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl rand_core::CryptoRng for CountingRng {}

    #[test]
    fn rsa_backend_blinds_and_still_matches_openssl() {
        use rsa::signature::{SignatureEncoding as _, Signer as _};
        let key = PrivateKey::load(MERCHANT).unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .decode(OPENSSL_SIG.trim())
            .unwrap();
        let drawn = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let signer = RsaSigner::with_rng(
            &key,
            CountingRng {
                counter: 0,
                drawn: drawn.clone(),
            },
        );
        let sig = signer.sign(STRING_TO_SIGN).unwrap();
        assert_eq!(sig, expected);
        // the blinding factor came from the RNG: the blinded path ran
        let after_one = drawn.load(std::sync::atomic::Ordering::SeqCst);
        assert!(after_one >= 32, "drew {after_one} bytes");
        // a second signature draws a fresh factor and is still identical
        assert_eq!(signer.clone().sign(STRING_TO_SIGN).unwrap(), expected);
        assert!(drawn.load(std::sync::atomic::Ordering::SeqCst) > after_one);
        // the OS-RNG signer and the crate's unblinded path agree byte for byte
        assert_eq!(RsaSigner::new(&key).sign(STRING_TO_SIGN).unwrap(), expected);
        let unblinded = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.rsa_key().clone())
            .try_sign(STRING_TO_SIGN)
            .unwrap()
            .to_vec();
        assert_eq!(unblinded, expected);
        assert_eq!(
            format!("{signer:?}"),
            "RsaSigner(<redacted>, blinded, given RNG)"
        );
    }

    #[test]
    fn blinded_signer_is_shared_across_threads() {
        let key = PrivateKey::load(MERCHANT).unwrap();
        let expected = RsaSigner::new(&key).sign(b"m").unwrap();
        let drawn = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let signer: Arc<dyn Signer> =
            Arc::new(RsaSigner::with_rng(&key, CountingRng { counter: 7, drawn }));
        std::thread::scope(|s| {
            for _ in 0..4 {
                let signer = signer.clone();
                let expected = &expected;
                s.spawn(move || assert_eq!(&signer.sign(b"m").unwrap(), expected));
            }
        });
    }

    #[test]
    fn every_backend_names_its_algorithm() {
        let key = PrivateKey::load(MERCHANT).unwrap();
        for backend in Backend::ALL {
            // `AsyncSigner` is in scope too (every `Signer` is one): name
            // the trait, and check both agree.
            let signer = backend.signer(&key).unwrap();
            assert_eq!(
                Signer::algorithm(&signer),
                SignatureAlgorithm::RsaPkcs1v15Sha256
            );
            assert_eq!(
                AsyncSigner::algorithm(&signer),
                SignatureAlgorithm::RsaPkcs1v15Sha256
            );
            assert_eq!(
                backend.verifier(&key.public_key()).unwrap().algorithm(),
                SignatureAlgorithm::RsaPkcs1v15Sha256
            );
        }
        assert_eq!(
            SignatureAlgorithm::RsaPkcs1v15Sha256.to_string(),
            "RSASSA-PKCS1-v1_5/SHA-256"
        );
    }

    /// A signer or verifier configured for PSS never reaches a gateway.
    struct Pss;

    impl Signer for Pss {
        fn algorithm(&self) -> SignatureAlgorithm {
            SignatureAlgorithm::RsaPssSha256
        }
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignError> {
            Ok(vec![0; 256])
        }
    }

    impl Verifier for Pss {
        fn algorithm(&self) -> SignatureAlgorithm {
            SignatureAlgorithm::RsaPssSha256
        }
        fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), SignatureError> {
            Ok(())
        }
    }

    #[test]
    fn a_signer_of_another_algorithm_is_refused() {
        use crate::smilepayz::{sign_callback, sign_request, verify_request_signature};
        let secret = crate::MerchantSecret::new("s");
        let err = sign_request(&Pss, "T", &secret, b"{}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "signing failed: signer produces RSASSA-PSS/SHA-256, the protocol requires RSASSA-PKCS1-v1_5/SHA-256"
        );
        assert!(sign_callback(&Pss, "1", "T").is_err());
        let sig = base64::engine::general_purpose::STANDARD.encode([0u8; 256]);
        let err = verify_request_signature(&Pss, "T", &secret, b"{}", &sig).unwrap_err();
        assert_eq!(
            err,
            crate::VerifyError::VerifierFailed(SignatureError::WrongAlgorithm {
                required: SignatureAlgorithm::RsaPkcs1v15Sha256,
                found: SignatureAlgorithm::RsaPssSha256,
            })
        );
    }

    #[test]
    fn an_unavailable_verifier_is_not_a_forgery() {
        struct Down;
        impl Verifier for Down {
            fn algorithm(&self) -> SignatureAlgorithm {
                SignatureAlgorithm::RsaPkcs1v15Sha256
            }
            fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), SignatureError> {
                Err(SignatureError::Unavailable("KMS timed out".into()))
            }
        }
        let sig = base64::engine::general_purpose::STANDARD.encode([0u8; 256]);
        let err = crate::smilepayz::verify_request_signature(
            &Down,
            "T",
            &crate::MerchantSecret::new("s"),
            b"{}",
            &sig,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "signature could not be checked: verifier unavailable: KMS timed out"
        );
    }

    #[test]
    fn rsa_8192_verifies_and_signs_on_every_backend() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/keys");
        let read = |name: &str| std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let public = PublicKey::load(&read("rsa8192_public_spki.pem")).unwrap();
        let openssl = base64::engine::general_purpose::STANDARD
            .decode(read("rsa8192_callback_signature.b64").trim())
            .unwrap();
        let message = b"151200012410241325417215|2020-12-17T10:55:00-05:00";
        for backend in Backend::ALL {
            let v = backend.verifier(&public).unwrap();
            assert_eq!(v.verify(message, &openssl), Ok(()), "{}", backend.name());
            assert_eq!(
                v.verify(
                    b"151200012410241325417216|2020-12-17T10:55:00-05:00",
                    &openssl
                ),
                Err(SignatureError::Mismatch)
            );
        }
        let private = PrivateKey::load(&read("rsa8192_private_pkcs8.pem")).unwrap();
        for backend in Backend::ALL {
            let sig = backend.signer(&private).unwrap().sign(message).unwrap();
            assert_eq!(sig, openssl, "{}", backend.name());
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
