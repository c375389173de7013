//! Signers that answer later: a KMS over the network, a remote signing
//! service, an HSM behind an async driver.

use std::future::Future;
use std::pin::Pin;

use super::SignError;
use super::{SignatureAlgorithm, Signer};

/// Produces signatures asynchronously, without blocking the executor while
/// a KMS or a remote service works; [`AsyncSigner::algorithm`] says which
/// scheme (both gateways need [`SignatureAlgorithm::RsaPkcs1v15Sha256`]).
///
/// Every synchronous [`Signer`] is an `AsyncSigner` (its future is ready at
/// once, its algorithm the signer's). The async clients sign with one
/// through `SmilepayzSettings::with_async_signer`; without a client, use the
/// two-step `prepare_*_unsigned` functions and await the signer yourself.
///
/// Every signing path checks the algorithm before asking for a signature:
/// a signer naming another scheme (a KMS key configured for
/// [`RsaPssSha256`](SignatureAlgorithm::RsaPssSha256)) is refused with a
/// [`SignError`], and nothing is signed or sent.
///
/// ```
/// use pasarela_core::crypto::{AsyncSigner, SignatureAlgorithm};
/// use pasarela_core::SignError;
///
/// /// A (here imaginary) cloud KMS client.
/// struct Kms { key_id: String }
///
/// impl AsyncSigner for Kms {
///     fn algorithm(&self) -> SignatureAlgorithm {
///         // the KMS key's signing algorithm: RSASSA_PKCS1_V1_5_SHA_256
///         SignatureAlgorithm::RsaPkcs1v15Sha256
///     }
///
///     async fn sign_async(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
///         // POST the SHA-256 digest of `message` to the KMS with
///         // algorithm RSASSA_PKCS1_V1_5_SHA_256, key `self.key_id`, and
///         // return the signature bytes it answers.
///         let _ = (message, &self.key_id);
///         Err(SignError::new("KMS unreachable", None))
///     }
/// }
/// ```
///
/// A type that is also a [`Signer`] has both traits' `algorithm`: with both
/// traits in scope, name the one meant (`Signer::algorithm(&signer)`).
pub trait AsyncSigner: Send + Sync {
    /// The scheme [`AsyncSigner::sign_async`] produces: the algorithm of the
    /// KMS key or remote service. Required, so that a signer cannot leave
    /// it unsaid.
    fn algorithm(&self) -> SignatureAlgorithm;

    /// Signs `message` (the whole message: the signer hashes it). Named
    /// apart from [`Signer::sign`] so both traits can be in scope.
    fn sign_async(&self, message: &[u8])
    -> impl Future<Output = Result<Vec<u8>, SignError>> + Send;
}

impl<S: Signer + Send + Sync + ?Sized> AsyncSigner for S {
    fn algorithm(&self) -> SignatureAlgorithm {
        Signer::algorithm(self)
    }

    fn sign_async(
        &self,
        message: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, SignError>> + Send {
        std::future::ready(Signer::sign(self, message))
    }
}

/// The boxed future of a type-erased async signer.
pub(crate) type SignFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<u8>, SignError>> + Send + 'a>>;

/// [`AsyncSigner`] in a form that can live behind `dyn`.
pub(crate) trait DynAsyncSigner: Send + Sync {
    /// [`AsyncSigner::algorithm`].
    fn algorithm_dyn(&self) -> SignatureAlgorithm;

    /// [`AsyncSigner::sign_async`], boxed.
    fn sign_boxed<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a>;
}

impl<S: AsyncSigner> DynAsyncSigner for S {
    fn algorithm_dyn(&self) -> SignatureAlgorithm {
        AsyncSigner::algorithm(self)
    }

    fn sign_boxed<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        Box::pin(self.sign_async(message))
    }
}
