//! Signers that answer later: a KMS over the network, a remote signing
//! service, an HSM behind an async driver.

use std::future::Future;
use std::pin::Pin;

use super::Signer;
use crate::error::SignError;

/// Produces RSASSA-PKCS1-v1_5 / SHA-256 signatures asynchronously, without
/// blocking the executor while a KMS or a remote service works.
///
/// Every synchronous [`Signer`] is an `AsyncSigner` (its future is ready at
/// once). The async clients sign with one through
/// `SmilepayzSettings::with_async_signer`; without a client, use the
/// two-step `prepare_*_unsigned` functions and await the signer yourself.
///
/// ```
/// use pasarela_core::crypto::AsyncSigner;
/// use pasarela_core::SignError;
///
/// /// A (here imaginary) cloud KMS client.
/// struct Kms { key_id: String }
///
/// impl AsyncSigner for Kms {
///     async fn sign_async(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
///         // POST the SHA-256 digest of `message` to the KMS with
///         // algorithm RSASSA_PKCS1_V1_5_SHA_256, key `self.key_id`, and
///         // return the signature bytes it answers.
///         let _ = (message, &self.key_id);
///         Err(SignError::new("KMS unreachable", None))
///     }
/// }
/// ```
pub trait AsyncSigner: Send + Sync {
    /// Signs `message` (the whole message: the signer hashes it). Named
    /// apart from [`Signer::sign`] so both traits can be in scope.
    fn sign_async(&self, message: &[u8])
    -> impl Future<Output = Result<Vec<u8>, SignError>> + Send;
}

impl<S: Signer + Send + Sync + ?Sized> AsyncSigner for S {
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
    fn sign_boxed<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a>;
}

impl<S: AsyncSigner> DynAsyncSigner for S {
    fn sign_boxed<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        Box::pin(self.sign_async(message))
    }
}
