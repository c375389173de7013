//! Loading RSA keys in every form the gateways hand them out.
//!
//! Private keys: PKCS#8 PEM (`BEGIN PRIVATE KEY`), PKCS#1 PEM
//! (`BEGIN RSA PRIVATE KEY`), or bare base64 of PKCS#8 DER (SmilePayz's
//! usual form), line breaks and spaces allowed. Public keys: SPKI PEM
//! (`BEGIN PUBLIC KEY`), PKCS#1 PEM (`BEGIN RSA PUBLIC KEY`), or bare base64
//! of SPKI DER. Text around a PEM block (a comment line) is ignored.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use crate::error::KeyError;

const PRIVATE_FORMATS: &str = "PKCS#8 PEM (BEGIN PRIVATE KEY), PKCS#1 PEM (BEGIN RSA PRIVATE KEY), \
or bare base64 of PKCS#8 DER";
const PUBLIC_FORMATS: &str = "SPKI PEM (BEGIN PUBLIC KEY), PKCS#1 PEM (BEGIN RSA PUBLIC KEY), \
or bare base64 of SPKI DER";

/// Smallest and largest accepted modulus, in bits (what both backends support).
const MIN_BITS: usize = 2048;
const MAX_BITS: usize = 8192;

/// Base64 that accepts input with or without padding.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An RSA private key (2048 to 8192 bits). `Debug` is redacted; there is no
/// `Display`; the key material is zeroized on drop.
#[derive(Clone)]
pub struct PrivateKey {
    key: rsa::RsaPrivateKey,
    /// PKCS#1 `RSAPrivateKey` DER, kept for the aws-lc backend.
    pkcs1_der: Zeroizing<Vec<u8>>,
}

impl PrivateKey {
    /// Loads a private key from PEM text or bare base64 DER.
    ///
    /// ```
    /// use pasarela_core::crypto::PrivateKey;
    /// let pem = include_str!("../../testdata/keys/merchant_private_pkcs8.pem");
    /// let key = PrivateKey::load(pem)?;
    /// assert_eq!(key.bits(), 2048);
    /// assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>, 2048 bits)");
    /// assert!(PrivateKey::load("not a key").is_err());
    /// # Ok::<(), pasarela_core::KeyError>(())
    /// ```
    pub fn load(text: &str) -> Result<Self, KeyError> {
        let key = if let Some(der) = pem_block(text, "PRIVATE KEY", PRIVATE_FORMATS)? {
            rsa::RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| {
                KeyError::new(format!("invalid PKCS#8 private key: {e}"), PRIVATE_FORMATS)
            })?
        } else if let Some(der) = pem_block(text, "RSA PRIVATE KEY", PRIVATE_FORMATS)? {
            rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| {
                KeyError::new(format!("invalid PKCS#1 private key: {e}"), PRIVATE_FORMATS)
            })?
        } else if text.contains("-----BEGIN") {
            return Err(KeyError::new(
                "PEM block is not an RSA private key",
                PRIVATE_FORMATS,
            ));
        } else {
            let der = bare_base64(text, PRIVATE_FORMATS)?;
            rsa::RsaPrivateKey::from_pkcs8_der(&der)
                .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_der(&der))
                .map_err(|_| {
                    KeyError::new(
                        "base64 decodes, but not to an RSA private key",
                        PRIVATE_FORMATS,
                    )
                })?
        };
        Self::from_rsa(key)
    }

    /// Loads a private key from PKCS#8 DER bytes.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|e| {
            KeyError::new(format!("invalid PKCS#8 private key: {e}"), PRIVATE_FORMATS)
        })?;
        Self::from_rsa(key)
    }

    fn from_rsa(key: rsa::RsaPrivateKey) -> Result<Self, KeyError> {
        check_bits(key.size() * 8, PRIVATE_FORMATS)?;
        key.validate().map_err(|e| {
            KeyError::new(
                format!("inconsistent RSA private key: {e}"),
                PRIVATE_FORMATS,
            )
        })?;
        let pkcs1_der = key.to_pkcs1_der().map_err(|e| {
            KeyError::new(format!("cannot encode private key: {e}"), PRIVATE_FORMATS)
        })?;
        Ok(Self {
            key,
            pkcs1_der: Zeroizing::new(pkcs1_der.as_bytes().to_vec()),
        })
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        // The public half of a valid private key always encodes; the fallback
        // is never taken but keeps this free of panics.
        PublicKey::from_rsa(self.key.to_public_key()).unwrap_or_else(|_| PublicKey {
            key: self.key.to_public_key(),
            spki_der: Vec::new(),
        })
    }

    pub(crate) fn rsa_key(&self) -> &rsa::RsaPrivateKey {
        &self.key
    }

    #[cfg_attr(not(feature = "aws-lc"), allow(dead_code))]
    pub(crate) fn pkcs1_der(&self) -> &[u8] {
        &self.pkcs1_der
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(<redacted>, {} bits)", self.bits())
    }
}

/// An RSA public key (2048 to 8192 bits), used to verify signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: rsa::RsaPublicKey,
    spki_der: Vec<u8>,
}

impl PublicKey {
    /// Loads a public key from PEM text or bare base64 SPKI DER.
    ///
    /// ```
    /// use pasarela_core::crypto::PublicKey;
    /// let b64 = include_str!("../../testdata/keys/platform_public_spki.b64");
    /// let key = PublicKey::load(b64)?;
    /// assert_eq!(key.bits(), 2048);
    /// # Ok::<(), pasarela_core::KeyError>(())
    /// ```
    pub fn load(text: &str) -> Result<Self, KeyError> {
        let key = if let Some(der) = pem_block(text, "PUBLIC KEY", PUBLIC_FORMATS)? {
            rsa::RsaPublicKey::from_public_key_der(&der).map_err(|e| {
                KeyError::new(format!("invalid SPKI public key: {e}"), PUBLIC_FORMATS)
            })?
        } else if let Some(der) = pem_block(text, "RSA PUBLIC KEY", PUBLIC_FORMATS)? {
            rsa::RsaPublicKey::from_pkcs1_der(&der).map_err(|e| {
                KeyError::new(format!("invalid PKCS#1 public key: {e}"), PUBLIC_FORMATS)
            })?
        } else if text.contains("-----BEGIN") {
            return Err(KeyError::new(
                "PEM block is not an RSA public key",
                PUBLIC_FORMATS,
            ));
        } else {
            let der = bare_base64(text, PUBLIC_FORMATS)?;
            rsa::RsaPublicKey::from_public_key_der(&der)
                .or_else(|_| rsa::RsaPublicKey::from_pkcs1_der(&der))
                .map_err(|_| {
                    KeyError::new(
                        "base64 decodes, but not to an RSA public key",
                        PUBLIC_FORMATS,
                    )
                })?
        };
        Self::from_rsa(key)
    }

    fn from_rsa(key: rsa::RsaPublicKey) -> Result<Self, KeyError> {
        check_bits(key.size() * 8, PUBLIC_FORMATS)?;
        let spki_der = key
            .to_public_key_der()
            .map_err(|e| KeyError::new(format!("cannot encode public key: {e}"), PUBLIC_FORMATS))?
            .into_vec();
        Ok(Self { key, spki_der })
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }

    /// The SubjectPublicKeyInfo DER encoding.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The key as SPKI PEM text (`BEGIN PUBLIC KEY`), 64-column lines.
    pub fn to_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.spki_der);
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    pub(crate) fn rsa_key(&self) -> &rsa::RsaPublicKey {
        &self.key
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} bits)", self.bits())
    }
}

fn check_bits(bits: usize, accepted: &'static str) -> Result<(), KeyError> {
    if (MIN_BITS..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(KeyError::new(
            format!("RSA key is {bits} bits; {MIN_BITS} to {MAX_BITS} are supported"),
            accepted,
        ))
    }
}

/// Finds a `-----BEGIN {label}-----` … `-----END {label}-----` block and
/// decodes its base64 body. `Ok(None)` when there is no such block.
fn pem_block(
    text: &str,
    label: &str,
    accepted: &'static str,
) -> Result<Option<Zeroizing<Vec<u8>>>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = text.find(&begin) else {
        return Ok(None);
    };
    let after = &text[start + begin.len()..];
    let Some(stop) = after.find(&end) else {
        return Err(KeyError::new(
            format!("PEM block `{label}` has no END line"),
            accepted,
        ));
    };
    let inner = &after[..stop];
    if inner.contains(':') {
        return Err(KeyError::new(
            "encrypted or annotated PEM is not supported; decrypt the key first",
            accepted,
        ));
    }
    bare_base64(inner, accepted).map(Some)
}

fn bare_base64(text: &str, accepted: &'static str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    if compact.is_empty() {
        return Err(KeyError::new("key text is empty", accepted));
    }
    LENIENT_B64
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| KeyError::new("key text is neither PEM nor base64", accepted))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS8: &str = include_str!("../../testdata/keys/merchant_private_pkcs8.pem");
    const PKCS1: &str = include_str!("../../testdata/keys/merchant_private_pkcs1.pem");
    const B64: &str = include_str!("../../testdata/keys/merchant_private_pkcs8.b64");
    const SPKI: &str = include_str!("../../testdata/keys/merchant_public_spki.pem");
    const SPKI_B64: &str = include_str!("../../testdata/keys/merchant_public_spki.b64");
    const PUB_PKCS1: &str = include_str!("../../testdata/keys/merchant_public_pkcs1.pem");

    #[test]
    fn every_private_form_loads_the_same_key() {
        let a = PrivateKey::load(PKCS8).unwrap();
        let b = PrivateKey::load(PKCS1).unwrap();
        let c = PrivateKey::load(B64).unwrap();
        assert_eq!(a.rsa_key(), b.rsa_key());
        assert_eq!(a.rsa_key(), c.rsa_key());
    }

    #[test]
    fn bare_base64_with_line_breaks_and_spaces_loads() {
        let wrapped: String = B64
            .trim()
            .as_bytes()
            .chunks(60)
            .map(|c| format!("  {}\r\n", String::from_utf8_lossy(c)))
            .collect();
        let key = PrivateKey::load(&wrapped).unwrap();
        assert_eq!(key.bits(), 2048);
    }

    #[test]
    fn every_public_form_loads_the_same_key() {
        let a = PublicKey::load(SPKI).unwrap();
        let b = PublicKey::load(SPKI_B64).unwrap();
        let c = PublicKey::load(PUB_PKCS1).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(PrivateKey::load(PKCS8).unwrap().public_key(), a);
        assert_eq!(PublicKey::load(&a.to_pem()).unwrap(), a);
    }

    #[test]
    fn garbage_is_rejected_naming_formats() {
        for bad in [
            "",
            "   ",
            "hello world!",
            "AAAA",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        ] {
            let err = PrivateKey::load(bad).unwrap_err();
            assert!(err.to_string().contains("PKCS#8 PEM"), "{err}");
            let err = PublicKey::load(bad).unwrap_err();
            assert!(err.to_string().contains("SPKI PEM"), "{err}");
        }
        let truncated = &PKCS8[..PKCS8.len() / 2];
        assert!(PrivateKey::load(truncated).is_err());
    }

    #[test]
    fn public_key_is_not_a_private_key() {
        let err = PrivateKey::load(SPKI).unwrap_err();
        assert!(err.message().contains("not an RSA private key"), "{err}");
        assert!(PublicKey::load(PKCS8).is_err());
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = PrivateKey::load(PKCS8).unwrap();
        let dbg = format!("{key:?} {:#?}", key);
        assert!(!dbg.contains("MII"));
        assert!(dbg.contains("redacted"));
    }
}
