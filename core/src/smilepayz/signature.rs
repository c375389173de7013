//! SmilePayz signatures.
//!
//! - Requests: `X-SIGNATURE` = base64 of RSASSA-PKCS1-v1_5/SHA-256, by the
//!   merchant's private key, over `X-TIMESTAMP + "|" + merchantSecret + "|" + body`,
//!   where `body` is exactly the bytes sent.
//! - Callbacks: `X-SIGNATURE` = the same scheme by the *platform's* private
//!   key over `tradeNo + "|" + X-TIMESTAMP`. It does not cover the body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::crypto::{SignatureAlgorithm, Signer, Verifier, require_signer, verify_as};
use crate::error::{SignError, VerifyError};
use crate::secret::MerchantSecret;

/// The scheme of every SmilePayz signature, requests and callbacks alike.
pub const SIGNATURE_ALGORITHM: SignatureAlgorithm = SignatureAlgorithm::RsaPkcs1v15Sha256;

/// The request string to sign: `timestamp|merchantSecret|body`.
///
/// It contains the merchant secret, so it comes back in a zeroizing buffer.
pub fn request_string_to_sign(
    timestamp: &str,
    secret: &MerchantSecret,
    body: &[u8],
) -> Zeroizing<Vec<u8>> {
    let secret = secret.expose_secret().as_bytes();
    let mut out = Vec::with_capacity(timestamp.len() + secret.len() + body.len() + 2);
    out.extend_from_slice(timestamp.as_bytes());
    out.push(b'|');
    out.extend_from_slice(secret);
    out.push(b'|');
    out.extend_from_slice(body);
    Zeroizing::new(out)
}

/// Signs a request: the `X-SIGNATURE` value for this timestamp and body.
pub fn sign_request(
    signer: &(impl Signer + ?Sized),
    timestamp: &str,
    secret: &MerchantSecret,
    body: &[u8],
) -> Result<String, SignError> {
    require_signer(signer, SIGNATURE_ALGORITHM)?;
    let message = request_string_to_sign(timestamp, secret, body);
    Ok(STANDARD.encode(signer.sign(&message)?))
}

/// Checks a request's `X-SIGNATURE` (what the gateway, and the simulator,
/// do with the merchant's public key).
pub fn verify_request_signature(
    verifier: &(impl Verifier + ?Sized),
    timestamp: &str,
    secret: &MerchantSecret,
    body: &[u8],
    signature_b64: &str,
) -> Result<(), VerifyError> {
    let signature = decode_signature(signature_b64)?;
    let message = request_string_to_sign(timestamp, secret, body);
    verify_as(verifier, SIGNATURE_ALGORITHM, &message, &signature)?;
    Ok(())
}

/// The callback string to sign: `tradeNo|timestamp`.
pub fn callback_string_to_sign(trade_no: &str, timestamp: &str) -> String {
    format!("{trade_no}|{timestamp}")
}

/// Signs a callback as the platform does (used by the simulator and tests).
pub fn sign_callback(
    signer: &(impl Signer + ?Sized),
    trade_no: &str,
    timestamp: &str,
) -> Result<String, SignError> {
    require_signer(signer, SIGNATURE_ALGORITHM)?;
    let message = callback_string_to_sign(trade_no, timestamp);
    Ok(STANDARD.encode(signer.sign(message.as_bytes())?))
}

/// Decodes a standard-base64 signature header (padding required, surrounding
/// whitespace ignored).
pub(crate) fn decode_signature(signature_b64: &str) -> Result<Vec<u8>, VerifyError> {
    let decoded = STANDARD
        .decode(signature_b64.trim())
        .map_err(|_| VerifyError::BadBase64)?;
    if decoded.is_empty() {
        return Err(VerifyError::BadBase64);
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Backend, PrivateKey};

    #[test]
    fn string_to_sign_is_pipe_joined() {
        let s = request_string_to_sign("T", &MerchantSecret::new("S"), br#"{"a":1}"#);
        assert_eq!(&s[..], br#"T|S|{"a":1}"#);
        assert_eq!(callback_string_to_sign("151", "T"), "151|T");
    }

    #[test]
    fn request_signature_round_trips_and_detects_tampering() {
        let key = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        let secret = MerchantSecret::new("secret");
        for backend in Backend::ALL {
            let signer = backend.signer(&key).unwrap();
            let verifier = backend.verifier(&key.public_key()).unwrap();
            let sig = sign_request(&*signer, "T", &secret, b"{}").unwrap();
            assert!(verify_request_signature(&*verifier, "T", &secret, b"{}", &sig).is_ok());
            assert_eq!(
                verify_request_signature(&*verifier, "T", &secret, b"{ }", &sig),
                Err(VerifyError::SignatureMismatch)
            );
            assert_eq!(
                verify_request_signature(&*verifier, "T", &MerchantSecret::new("x"), b"{}", &sig),
                Err(VerifyError::SignatureMismatch)
            );
            assert_eq!(
                verify_request_signature(&*verifier, "T", &secret, b"{}", "%%%"),
                Err(VerifyError::BadBase64)
            );
        }
    }
}
