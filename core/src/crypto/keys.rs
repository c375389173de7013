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
use rsa::pkcs1::der::Decode as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, ObjectIdentifier};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use super::KeyError;

const PRIVATE_FORMATS: &str = "RSA private keys of 2048 to 8192 bits, as PKCS#8 PEM \
(BEGIN PRIVATE KEY), PKCS#1 PEM (BEGIN RSA PRIVATE KEY), or bare base64 of PKCS#8 DER, unencrypted";
const PUBLIC_FORMATS: &str = "RSA public keys of 2048 to 8192 bits, as SPKI PEM (BEGIN PUBLIC KEY), \
PKCS#1 PEM (BEGIN RSA PUBLIC KEY), or bare base64 of SPKI DER";

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
            rsa_private_from_pkcs8(&der, "PEM")?
        } else if let Some(der) = pem_block(text, "RSA PRIVATE KEY", PRIVATE_FORMATS)? {
            rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| {
                KeyError::new(format!("invalid PKCS#1 private key: {e}"), PRIVATE_FORMATS)
            })?
        } else if let Some(label) = first_pem_label(text) {
            return Err(KeyError::new(
                found_pem_not_private(&label),
                PRIVATE_FORMATS,
            ));
        } else {
            let der = bare_base64(text, PRIVATE_FORMATS)?;
            match classify(&der) {
                Shape::Pkcs8 { .. } => rsa_private_from_pkcs8(&der, "base64 DER")?,
                Shape::Pkcs1Private => rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| {
                    KeyError::new(format!("invalid PKCS#1 private key: {e}"), PRIVATE_FORMATS)
                })?,
                shape => {
                    return Err(KeyError::new(
                        shape.found_not_private("base64 DER"),
                        PRIVATE_FORMATS,
                    ));
                }
            }
        };
        Self::from_rsa(key)
    }

    /// Loads a private key from PKCS#8 DER bytes.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_rsa(rsa_private_from_pkcs8(der, "DER")?)
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
            rsa_public_from_spki(&der, "PEM")?
        } else if let Some(der) = pem_block(text, "RSA PUBLIC KEY", PUBLIC_FORMATS)? {
            rsa_public_from_pkcs1(&der, "PKCS#1")?
        } else if let Some(label) = first_pem_label(text) {
            return Err(KeyError::new(found_pem_not_public(&label), PUBLIC_FORMATS));
        } else {
            let der = bare_base64(text, PUBLIC_FORMATS)?;
            match classify(&der) {
                Shape::Spki { .. } => rsa_public_from_spki(&der, "base64 DER")?,
                Shape::Pkcs1Public => rsa_public_from_pkcs1(&der, "PKCS#1")?,
                shape => {
                    return Err(KeyError::new(
                        shape.found_not_public("base64 DER"),
                        PUBLIC_FORMATS,
                    ));
                }
            }
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

/// `rsaEncryption`, the only key algorithm both gateways use.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// A readable name for a key algorithm OID (dotted form).
fn algorithm_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        RSA_ENCRYPTION => "RSA",
        "1.2.840.113549.1.1.10" => {
            "RSA-PSS (rsassaPss; PSS-only, cannot make the PKCS#1 v1.5 signatures the gateways need)"
        }
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.10046.2.1" => "Diffie-Hellman (X9.42)",
        "1.2.840.113549.1.3.1" => "Diffie-Hellman (PKCS#3)",
        "1.2.156.10197.1.301" => "SM2",
        _ => return None,
    })
}

/// "an EC private key (PEM, PKCS#8, algorithm OID 1.2.840.10045.2.1)".
fn describe_algorithm(oid: &[u8], what: &str, detail: &str) -> String {
    match ObjectIdentifier::from_bytes(oid) {
        Ok(oid) => {
            let dotted = oid.to_string();
            match algorithm_name(&dotted) {
                Some(name) => format!(
                    "{} {name} {what} ({detail}, algorithm OID {dotted})",
                    article(name)
                ),
                None => format!("a {what} of an unknown algorithm ({detail}, OID {dotted})"),
            }
        }
        Err(_) => format!("a {what} with a malformed algorithm OID ({detail})"),
    }
}

fn article(word: &str) -> &'static str {
    match word.as_bytes().first() {
        Some(b'A' | b'E' | b'I' | b'O' | b'U' | b'R' | b'S' | b'X') => "an",
        _ => "a",
    }
}

/// The outer structure of a DER blob, enough to say what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape<'a> {
    /// PKCS#8 `PrivateKeyInfo` with its algorithm OID (content bytes).
    Pkcs8 { oid: &'a [u8] },
    /// PKCS#8 `EncryptedPrivateKeyInfo`.
    EncryptedPkcs8,
    /// `SubjectPublicKeyInfo` with its algorithm OID.
    Spki { oid: &'a [u8] },
    /// PKCS#1 `RSAPrivateKey`.
    Pkcs1Private,
    /// PKCS#1 `RSAPublicKey`.
    Pkcs1Public,
    /// SEC1 `ECPrivateKey` (`BEGIN EC PRIVATE KEY` decoded).
    Sec1Ec,
    /// OpenSSL's traditional DSA private key.
    TraditionalDsa,
    /// An X.509 certificate.
    Certificate,
    /// None of the above.
    Unknown,
}

impl Shape<'_> {
    /// The message for something that is not an RSA private key.
    fn found_not_private(self, container: &str) -> String {
        match self {
            Shape::Pkcs8 { oid } => format!(
                "found {}; only RSA private keys are accepted",
                describe_algorithm(oid, "private key", &format!("{container}, PKCS#8"))
            ),
            Shape::EncryptedPkcs8 => format!(
                "found an encrypted PKCS#8 private key ({container}); decrypt it first, \
                 e.g. `openssl pkcs8 -in key.pem -out key-decrypted.pem`"
            ),
            Shape::Spki { oid } => format!(
                "found {}, not an RSA private key",
                describe_algorithm(oid, "public key", &format!("{container}, SPKI"))
            ),
            Shape::Pkcs1Public => {
                format!("found an RSA public key ({container}, PKCS#1), not an RSA private key")
            }
            Shape::Sec1Ec => format!(
                "found an EC private key ({container}, SEC1); only RSA private keys are accepted"
            ),
            Shape::TraditionalDsa => {
                format!("found a DSA private key ({container}); only RSA private keys are accepted")
            }
            Shape::Certificate => format!(
                "found an X.509 certificate ({container}), which holds a public key only; \
                 a private key is needed"
            ),
            Shape::Pkcs1Private | Shape::Unknown => {
                format!("{container} decodes, but not to an RSA private key")
            }
        }
    }

    /// The message for something that is not an RSA public key.
    fn found_not_public(self, container: &str) -> String {
        match self {
            Shape::Spki { oid } => format!(
                "found {}; only RSA public keys are accepted",
                describe_algorithm(oid, "public key", &format!("{container}, SPKI"))
            ),
            Shape::Certificate => format!(
                "found an X.509 certificate ({container}), not a public key; extract its key \
                 with `openssl x509 -in cert.pem -pubkey -noout`"
            ),
            Shape::Pkcs8 { .. }
            | Shape::EncryptedPkcs8
            | Shape::Pkcs1Private
            | Shape::Sec1Ec
            | Shape::TraditionalDsa => format!(
                "found a private key ({container}), not a public key; derive the public key \
                 with `openssl pkey -in key.pem -pubout`"
            ),
            Shape::Pkcs1Public | Shape::Unknown => {
                format!("{container} decodes, but not to an RSA public key")
            }
        }
    }
}

/// One DER TLV: `(tag, content, rest)`. Definite lengths of up to 4 bytes.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in input.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((tag, input.get(header..end)?, input.get(end..)?))
}

/// The elements of a SEQUENCE's content (at most 16 are looked at).
fn elements(mut content: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while !content.is_empty() && out.len() < 16 {
        let Some((tag, inner, rest)) = tlv(content) else {
            break;
        };
        out.push((tag, inner));
        content = rest;
    }
    out
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;

/// The algorithm OID of an `AlgorithmIdentifier` SEQUENCE's content.
fn algorithm_oid(algorithm_identifier: &[u8]) -> Option<&[u8]> {
    match elements(algorithm_identifier).first() {
        Some((OID, oid)) => Some(oid),
        _ => None,
    }
}

fn classify(der: &[u8]) -> Shape<'_> {
    let Some((SEQUENCE, content, _)) = tlv(der) else {
        return Shape::Unknown;
    };
    let kids = elements(content);
    let tags: Vec<u8> = kids.iter().map(|(t, _)| *t).collect();
    match tags.as_slice() {
        [INTEGER, SEQUENCE, OCTET_STRING, ..] => match algorithm_oid(kids[1].1) {
            Some(oid) => Shape::Pkcs8 { oid },
            None => Shape::Unknown,
        },
        [INTEGER, OCTET_STRING, ..] => Shape::Sec1Ec,
        [SEQUENCE, OCTET_STRING] => Shape::EncryptedPkcs8,
        [SEQUENCE, BIT_STRING] => match algorithm_oid(kids[0].1) {
            Some(oid) => Shape::Spki { oid },
            None => Shape::Unknown,
        },
        [SEQUENCE, SEQUENCE, BIT_STRING] => Shape::Certificate,
        [INTEGER, INTEGER] => Shape::Pkcs1Public,
        ints if ints.len() == 6 && ints.iter().all(|t| *t == INTEGER) => Shape::TraditionalDsa,
        ints if ints.len() >= 9 && ints.iter().all(|t| *t == INTEGER) => Shape::Pkcs1Private,
        _ => Shape::Unknown,
    }
}

/// An RSA private key from PKCS#8 DER, naming the algorithm when it is not RSA.
fn rsa_private_from_pkcs8(der: &[u8], container: &str) -> Result<rsa::RsaPrivateKey, KeyError> {
    match classify(der) {
        Shape::Pkcs8 { oid } if oid_is(oid, RSA_ENCRYPTION) => {}
        Shape::Pkcs8 { .. } | Shape::EncryptedPkcs8 => {
            return Err(KeyError::new(
                classify(der).found_not_private(container),
                PRIVATE_FORMATS,
            ));
        }
        _ => {}
    }
    rsa::RsaPrivateKey::from_pkcs8_der(der)
        .map_err(|e| KeyError::new(format!("invalid PKCS#8 private key: {e}"), PRIVATE_FORMATS))
}

/// An RSA public key from SPKI DER, naming the algorithm when it is not RSA.
fn rsa_public_from_spki(der: &[u8], container: &str) -> Result<rsa::RsaPublicKey, KeyError> {
    let spki = SubjectPublicKeyInfoRef::try_from(der)
        .map_err(|e| KeyError::new(format!("invalid SPKI public key: {e}"), PUBLIC_FORMATS))?;
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
        return Err(KeyError::new(
            Shape::Spki {
                oid: spki.algorithm.oid.as_bytes(),
            }
            .found_not_public(container),
            PUBLIC_FORMATS,
        ));
    }
    let inner = spki.subject_public_key.as_bytes().ok_or_else(|| {
        KeyError::new(
            "invalid SPKI public key: the key bit string is not byte-aligned",
            PUBLIC_FORMATS,
        )
    })?;
    rsa_public_from_pkcs1(inner, "SPKI")
}

/// An RSA public key from PKCS#1 `RSAPublicKey` DER, up to [`MAX_BITS`]
/// (the `rsa` crate's own parser stops at 4096).
fn rsa_public_from_pkcs1(der: &[u8], container: &str) -> Result<rsa::RsaPublicKey, KeyError> {
    let parsed = rsa::pkcs1::RsaPublicKey::from_der(der).map_err(|e| {
        KeyError::new(
            format!("invalid {container} public key: {e}"),
            PUBLIC_FORMATS,
        )
    })?;
    let n = rsa::BigUint::from_bytes_be(parsed.modulus.as_bytes());
    let e = rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
    let bits = n.bits();
    check_bits(bits.div_ceil(8).saturating_mul(8), PUBLIC_FORMATS)?;
    rsa::RsaPublicKey::new_with_max_size(n, e, MAX_BITS).map_err(|e| {
        KeyError::new(
            format!("invalid {container} public key: {e}"),
            PUBLIC_FORMATS,
        )
    })
}

fn oid_is(oid: &[u8], dotted: &str) -> bool {
    ObjectIdentifier::from_bytes(oid).is_ok_and(|o| o.to_string() == dotted)
}

/// The label of the first `-----BEGIN label-----` line, if any, shown only
/// when it is a plausible label (capitals, digits, spaces).
fn first_pem_label(text: &str) -> Option<String> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &text[start..];
    let label = rest.get(..rest.find("-----")?)?;
    let plausible = !label.is_empty()
        && label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    Some(if plausible {
        label.to_owned()
    } else {
        "(unrecognized label)".to_owned()
    })
}

fn found_pem_not_private(label: &str) -> String {
    match label {
        "ENCRYPTED PRIVATE KEY" => Shape::EncryptedPkcs8.found_not_private("PEM"),
        "EC PRIVATE KEY" | "EC PARAMETERS" => Shape::Sec1Ec.found_not_private("PEM"),
        "DSA PRIVATE KEY" => Shape::TraditionalDsa.found_not_private("PEM"),
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            Shape::Certificate.found_not_private("PEM")
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {
            format!("found a public key (PEM, BEGIN {label}), not an RSA private key")
        }
        "OPENSSH PRIVATE KEY" => "found an OpenSSH private key (PEM, BEGIN OPENSSH PRIVATE KEY); \
             if it is RSA, convert it with `ssh-keygen -p -m PKCS8 -f FILE`"
            .to_owned(),
        other => format!("found a PEM block `BEGIN {other}`, not an RSA private key"),
    }
}

fn found_pem_not_public(label: &str) -> String {
    match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            Shape::Certificate.found_not_public("PEM")
        }
        "PRIVATE KEY"
        | "RSA PRIVATE KEY"
        | "ENCRYPTED PRIVATE KEY"
        | "EC PRIVATE KEY"
        | "DSA PRIVATE KEY"
        | "OPENSSH PRIVATE KEY" => {
            format!(
                "found a private key (PEM, BEGIN {label}), not a public key; derive the public \
                 key with `openssl pkey -in key.pem -pubout`"
            )
        }
        other => format!("found a PEM block `BEGIN {other}`, not an RSA public key"),
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
    if inner.contains("ENCRYPTED") {
        return Err(KeyError::new(
            format!(
                "found an encrypted PEM key (BEGIN {label}, Proc-Type: 4,ENCRYPTED); decrypt it \
                 first, e.g. `openssl rsa -in key.pem -out key-decrypted.pem`"
            ),
            accepted,
        ));
    }
    if inner.contains(':') {
        return Err(KeyError::new(
            format!("PEM block `BEGIN {label}` has headers; give the plain, unencrypted key"),
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
        let err = PrivateKey::load(PUB_PKCS1).unwrap_err();
        assert!(err.message().contains("not an RSA private key"), "{err}");
        assert!(PublicKey::load(PKCS8).is_err());
    }

    fn testkey(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/testdata/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// Each refused private key: its file and what the message must say.
    const REFUSED_PRIVATE: &[(&str, &str)] = &[
        (
            "ec_p256_private_pkcs8.pem",
            "found an EC private key (PEM, PKCS#8, algorithm OID 1.2.840.10045.2.1); only RSA private keys are accepted",
        ),
        (
            "ec_p256_private_pkcs8.b64",
            "found an EC private key (base64 DER, PKCS#8, algorithm OID 1.2.840.10045.2.1)",
        ),
        (
            "ec_p256_private_sec1.pem",
            "found an EC private key (PEM, SEC1); only RSA private keys are accepted",
        ),
        (
            "ed25519_private_pkcs8.pem",
            "found an Ed25519 private key (PEM, PKCS#8, algorithm OID 1.3.101.112)",
        ),
        (
            "dsa_private_pkcs8.pem",
            "found a DSA private key (PEM, PKCS#8, algorithm OID 1.2.840.10040.4.1)",
        ),
        ("rsa_pss_private_pkcs8.pem", "found an RSA-PSS (rsassaPss"),
        (
            "merchant_private_encrypted_pkcs8.pem",
            "found an encrypted PKCS#8 private key (PEM); decrypt it first",
        ),
        (
            "merchant_private_encrypted_pkcs1.pem",
            "found an encrypted PEM key (BEGIN RSA PRIVATE KEY, Proc-Type: 4,ENCRYPTED); decrypt it first",
        ),
        (
            "merchant_certificate.pem",
            "found an X.509 certificate (PEM), which holds a public key only",
        ),
        (
            "merchant_public_spki.pem",
            "found a public key (PEM, BEGIN PUBLIC KEY), not an RSA private key",
        ),
        (
            "merchant_public_spki.b64",
            "found an RSA public key (base64 DER, SPKI, algorithm OID 1.2.840.113549.1.1.1), not an RSA private key",
        ),
        (
            "rsa1024_private_pkcs8.pem",
            "RSA key is 1024 bits; 2048 to 8192 are supported",
        ),
    ];

    const REFUSED_PUBLIC: &[(&str, &str)] = &[
        (
            "ec_p256_public_spki.pem",
            "found an EC public key (PEM, SPKI, algorithm OID 1.2.840.10045.2.1); only RSA public keys are accepted",
        ),
        (
            "ed25519_public_spki.pem",
            "found an Ed25519 public key (PEM, SPKI, algorithm OID 1.3.101.112)",
        ),
        (
            "dsa_public_spki.pem",
            "found a DSA public key (PEM, SPKI, algorithm OID 1.2.840.10040.4.1)",
        ),
        (
            "merchant_certificate.pem",
            "found an X.509 certificate (PEM), not a public key; extract its key with `openssl x509",
        ),
        (
            "merchant_private_pkcs8.pem",
            "found a private key (PEM, BEGIN PRIVATE KEY), not a public key",
        ),
        (
            "merchant_private_pkcs8.b64",
            "found a private key (base64 DER), not a public key",
        ),
        (
            "rsa1024_public_spki.pem",
            "RSA key is 1024 bits; 2048 to 8192 are supported",
        ),
    ];

    #[test]
    fn other_key_kinds_are_named_with_what_is_accepted() {
        for (file, needle) in REFUSED_PRIVATE {
            let err = PrivateKey::load(&testkey(file)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(needle), "{file}: {text}");
            assert!(
                text.contains("accepted formats: RSA private keys of 2048 to 8192 bits"),
                "{file}: {text}"
            );
            assert!(!text.contains("unsupported"), "{file}: {text}");
        }
        for (file, needle) in REFUSED_PUBLIC {
            let err = PublicKey::load(&testkey(file)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(needle), "{file}: {text}");
            assert!(
                text.contains("accepted formats: RSA public keys of 2048 to 8192 bits"),
                "{file}: {text}"
            );
        }
    }

    #[test]
    fn rsa_8192_public_keys_load_and_larger_ones_state_the_limit() {
        for form in ["rsa8192_public_spki.pem", "rsa8192_public_spki.b64"] {
            let key = PublicKey::load(&testkey(form)).unwrap();
            assert_eq!(key.bits(), 8192, "{form}");
        }
        let private = PrivateKey::load(&testkey("rsa8192_private_pkcs8.pem")).unwrap();
        assert_eq!(private.bits(), 8192);
        assert_eq!(
            private.public_key(),
            PublicKey::load(&testkey("rsa8192_public_spki.pem")).unwrap()
        );
        // 16384 bits: a well-formed key, refused for its size (never "malformed")
        let mut modulus = vec![0xC5u8; 2048];
        modulus[2047] |= 1;
        let big = rsa::RsaPublicKey::new_with_max_size(
            rsa::BigUint::from_bytes_be(&modulus),
            rsa::BigUint::from(65537u32),
            16384,
        )
        .unwrap();
        let der = big.to_public_key_der().unwrap();
        let pem = der.to_pem("PUBLIC KEY", Default::default()).unwrap();
        let err = PublicKey::load(&pem).unwrap_err();
        assert_eq!(
            err.message(),
            "RSA key is 16384 bits; 2048 to 8192 are supported"
        );
    }

    #[test]
    fn der_shapes_never_panic_on_truncation() {
        for file in [
            "merchant_private_pkcs8.b64",
            "merchant_public_spki.b64",
            "ec_p256_private_pkcs8.b64",
        ] {
            let der = LENIENT_B64.decode(testkey(file).trim()).unwrap();
            for cut in 0..der.len() {
                let _ = classify(&der[..cut]);
                let _ = PrivateKey::from_pkcs8_der(&der[..cut]);
            }
        }
        assert_eq!(
            classify(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Shape::Unknown
        );
        assert_eq!(classify(&[0x30, 0x80]), Shape::Unknown);
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = PrivateKey::load(PKCS8).unwrap();
        let dbg = format!("{key:?} {:#?}", key);
        assert!(!dbg.contains("MII"));
        assert!(dbg.contains("redacted"));
    }
}
