//! The pure-Rust backend on the `rsa` crate, signing with blinding.
//!
//! See [`RsaSigner`] for blinding and where its randomness comes from.

use std::sync::{Arc, Mutex};

use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::rand_core::{CryptoRng, CryptoRngCore, OsRng, RngCore};
use rsa::signature::{RandomizedSigner as _, SignatureEncoding, Verifier as _};
use rsa::traits::PublicKeyParts as _;
use sha2::Sha256;

#[cfg(doc)]
use rsa::signature::RandomizedSigner;

use super::SignError;
use super::{PrivateKey, PublicKey, SignatureAlgorithm, SignatureError, Signer, Verifier};

/// A caller-supplied RNG, shared by clones of a signer.
type SharedRng = Arc<Mutex<Box<dyn CryptoRngCore + Send>>>;

#[derive(Clone)]
enum Randomness {
    /// The operating system's generator; stateless, so no lock.
    Os,
    /// The caller's generator, locked per draw (not per signature), so
    /// concurrent signatures only serialize on the few bytes of blinding.
    Given(SharedRng),
}

/// An [`RngCore`] view of a [`SharedRng`] that locks once per draw.
struct PerDraw<'a>(&'a Mutex<Box<dyn CryptoRngCore + Send>>);

impl PerDraw<'_> {
    fn with<R>(&mut self, f: impl FnOnce(&mut dyn CryptoRngCore) -> R) -> R {
        // A panic elsewhere while holding the lock leaves the RNG usable:
        // its state is still random, only possibly mid-update.
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(guard.as_mut())
    }
}

impl RngCore for PerDraw<'_> {
    fn next_u32(&mut self) -> u32 {
        self.with(|r| r.next_u32())
    }

    fn next_u64(&mut self) -> u64 {
        self.with(|r| r.next_u64())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.with(|r| r.fill_bytes(dest))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.with(|r| r.try_fill_bytes(dest))
    }
}

// The wrapped generator is a `CryptoRngCore`, so draws through it are too.
impl CryptoRng for PerDraw<'_> {}

/// RSASSA-PKCS1-v1_5 / SHA-256 signer on the `rsa` crate, blinded.
///
/// # Blinding, and what it does not fix
///
/// [`RsaSigner`] signs through the crate's randomized path
/// ([`RandomizedSigner::try_sign_with_rng`]): before the private-key
/// exponentiation the message representative is multiplied by `r^e` for a
/// fresh random `r`, and the result by `r^-1` afterwards. The exponentiation
/// then works on a value the caller neither chose nor knows, so its timing no
/// longer correlates with the message, which is what a timing attack on the
/// private exponent needs. PKCS#1 v1.5 padding is deterministic and blinding
/// cancels out, so the signature is byte-identical to an unblinded one (and
/// to `openssl dgst -sha256 -sign`; tested against a pinned OpenSSL fixture).
///
/// Blinding does **not** make the `rsa` crate constant-time: RUSTSEC-2023-0071
/// ("Marvin") stays open for it, its big-integer arithmetic still leaks
/// timing that a patient, well-placed attacker may exploit. The remedy is the
/// `aws-lc` backend (constant-time) or a key that never leaves an HSM/KMS,
/// behind the [`Signer`] trait.
///
/// # Where the randomness comes from
///
/// The signer owns the RNG it was given. [`RsaSigner::new`] gives it the
/// operating system's generator (`getrandom`); [`RsaSigner::with_rng`] takes
/// any cryptographic RNG (for a target without `getrandom`, or a test). The
/// RNG only ever feeds the blinding factor: the signature does not depend on
/// it, and protocol code never sees it.
#[derive(Clone)]
pub struct RsaSigner {
    key: SigningKey<Sha256>,
    rng: Randomness,
}

impl RsaSigner {
    /// A signer for this key that blinds with the operating system's RNG.
    pub fn new(key: &PrivateKey) -> Self {
        Self {
            key: SigningKey::<Sha256>::new(key.rsa_key().clone()),
            rng: Randomness::Os,
        }
    }

    /// A signer for this key that blinds with `rng`, which it keeps.
    ///
    /// Signatures are the same whatever the RNG; only the blinding factor
    /// comes from it. Use a cryptographic generator: a predictable one lets
    /// an attacker undo the blinding.
    pub fn with_rng(key: &PrivateKey, rng: impl CryptoRngCore + Send + 'static) -> Self {
        Self {
            key: SigningKey::<Sha256>::new(key.rsa_key().clone()),
            rng: Randomness::Given(Arc::new(Mutex::new(Box::new(rng)))),
        }
    }
}

impl Signer for RsaSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1v15Sha256
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let signed = match &self.rng {
            Randomness::Os => self.key.try_sign_with_rng(&mut OsRng, message),
            Randomness::Given(rng) => self.key.try_sign_with_rng(&mut PerDraw(rng), message),
        };
        signed
            .map(|s| s.to_vec())
            .map_err(|e| SignError::new(format!("rsa backend: {e}"), None))
    }
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rng = match self.rng {
            Randomness::Os => "OS RNG",
            Randomness::Given(_) => "given RNG",
        };
        write!(f, "RsaSigner(<redacted>, blinded, {rng})")
    }
}

/// RSASSA-PKCS1-v1_5 / SHA-256 verifier on the `rsa` crate (public-key
/// operations only; RUSTSEC-2023-0071 does not concern them).
#[derive(Clone)]
pub struct RsaVerifier {
    key: VerifyingKey<Sha256>,
    modulus_len: usize,
}

impl RsaVerifier {
    /// A verifier for this key.
    pub fn new(key: &PublicKey) -> Self {
        Self {
            key: VerifyingKey::<Sha256>::new(key.rsa_key().clone()),
            modulus_len: key.rsa_key().size(),
        }
    }
}

impl std::fmt::Debug for RsaVerifier {
    /// The key size only: the modulus digits are public, but noise in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaVerifier({} bits)", self.modulus_len * 8)
    }
}

impl Verifier for RsaVerifier {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1v15Sha256
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        check_length(self.modulus_len, signature)?;
        let sig = Signature::try_from(signature).map_err(|_| SignatureError::Mismatch)?;
        self.key
            .verify(message, &sig)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// A PKCS#1 v1.5 signature is exactly as long as the modulus.
pub(super) fn check_length(modulus_len: usize, signature: &[u8]) -> Result<(), SignatureError> {
    if signature.len() == modulus_len {
        Ok(())
    } else {
        Err(SignatureError::WrongLength {
            expected: modulus_len,
            actual: signature.len(),
            bits: modulus_len * 8,
        })
    }
}
