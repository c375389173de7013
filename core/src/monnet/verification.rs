//! The two hashes Monnet uses: `payinVerification` (SHA-512) on create
//! requests and notifications, and the status-query `authorization`
//! (SHA-256).

use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::secret::MonnetKey;

/// `payinVerification`: lowercase hex SHA-512 of
/// `merchant_id + operation_number + amount + currency + KeyMonnet`, over the
/// UTF-8 bytes of each value exactly as it appears in the body (so `"150.00"`
/// and `"150.0"` give different hashes: pass the text that is sent).
///
/// ```
/// use pasarela_core::{MonnetKey, monnet::payin_verification};
/// let hash = payin_verification("123", "ORD-1", "150.00", "PEN", &MonnetKey::new("key"));
/// assert_eq!(hash.len(), 128);
/// ```
pub fn payin_verification(
    merchant_id: &str,
    operation_number: &str,
    amount: &str,
    currency: &str,
    key: &MonnetKey,
) -> String {
    hex_string(&payin_digest(
        merchant_id,
        operation_number,
        amount,
        currency,
        key,
    ))
}

/// The status-query `authorization` header: lowercase hex SHA-256 of
/// `merchant_id + KeyMonnet`.
pub fn status_authorization(merchant_id: &str, key: &MonnetKey) -> String {
    let mut h = Sha256::new();
    h.update(merchant_id.as_bytes());
    h.update(key.expose_secret().as_bytes());
    hex_string(&h.finalize())
}

pub(crate) fn payin_digest(
    merchant_id: &str,
    operation_number: &str,
    amount: &str,
    currency: &str,
    key: &MonnetKey,
) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(merchant_id.as_bytes());
    h.update(operation_number.as_bytes());
    h.update(amount.as_bytes());
    h.update(currency.as_bytes());
    h.update(key.expose_secret().as_bytes());
    h.finalize().into()
}

/// Lowercase hex of a 64-byte digest, on the stack.
pub(crate) fn hex_512(digest: &[u8; 64]) -> [u8; 128] {
    let mut out = [0u8; 128];
    hex_into(digest, &mut out);
    out
}

fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0xf)];
    }
}

fn hex_string(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut out);
    out.into_iter().map(char::from).collect()
}

/// Whether `received` is the lowercase or uppercase (or mixed) hex of
/// `digest`, compared in constant time.
/// Whether `received` is the `payinVerification` of these fields and key:
/// recomputed over the values exactly as given, compared in constant time,
/// hex case-insensitively. What Monnet checks on a create, and what a
/// merchant checks on a notification.
pub fn payin_verification_matches(
    merchant_id: &str,
    operation_number: &str,
    amount: &str,
    currency: &str,
    key: &MonnetKey,
    received: &str,
) -> bool {
    let digest = payin_digest(merchant_id, operation_number, amount, currency, key);
    hex_matches(&digest, received)
}

pub(crate) fn hex_matches(digest: &[u8; 64], received: &str) -> bool {
    let expected = hex_512(digest);
    let received: Vec<u8> = received.bytes().map(|b| b.to_ascii_lowercase()).collect();
    expected.as_slice().ct_eq(received.as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pinned case from `core/testdata/monnet/verification/`.
    struct Case {
        merchant_id: String,
        operation_number: String,
        amount: String,
        currency: String,
        key: String,
        sha512: String,
    }

    fn cases() -> Vec<Case> {
        let text = include_str!("../../testdata/monnet/verification/cases.tsv");
        text.lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 6, "{l}");
                Case {
                    merchant_id: f[0].into(),
                    operation_number: f[1].into(),
                    amount: f[2].into(),
                    currency: f[3].into(),
                    key: f[4].into(),
                    sha512: f[5].into(),
                }
            })
            .collect()
    }

    #[test]
    fn agrees_with_sha512sum() {
        let cases = cases();
        assert!(cases.len() >= 3);
        assert!(
            cases
                .iter()
                .any(|c| !c.operation_number.is_ascii() || !c.key.is_ascii())
        );
        for c in cases {
            let got = payin_verification(
                &c.merchant_id,
                &c.operation_number,
                &c.amount,
                &c.currency,
                &MonnetKey::new(c.key.as_str()),
            );
            assert_eq!(got, c.sha512, "{}", c.operation_number);
        }
    }

    #[test]
    fn authorization_agrees_with_sha256sum() {
        let pinned = include_str!("../../testdata/monnet/verification/authorization.sha256");
        let got = status_authorization("4001", &MonnetKey::new("k3y-Mönnet-s3cr3t"));
        assert_eq!(got, pinned.trim());
        assert_eq!(got.len(), 64);
    }

    #[test]
    fn hex_comparison_is_case_insensitive_and_exact() {
        let d = payin_digest("1", "2", "3.00", "PEN", &MonnetKey::new("k"));
        let lower = hex_string(&d);
        assert!(hex_matches(&d, &lower));
        assert!(hex_matches(&d, &lower.to_uppercase()));
        assert!(!hex_matches(&d, &lower[..127]));
        let key = MonnetKey::new("k");
        let hash = payin_verification("1", "OP", "1.00", "PEN", &key);
        assert!(payin_verification_matches(
            "1",
            "OP",
            "1.00",
            "PEN",
            &key,
            &hash.to_uppercase()
        ));
        assert!(!payin_verification_matches(
            "1", "OP", "1.0", "PEN", &key, &hash
        ));
        assert!(!hex_matches(&d, &format!("{lower}0")));
        assert!(!hex_matches(&d, ""));
        let mut wrong = lower.into_bytes();
        wrong[5] = if wrong[5] == b'0' { b'1' } else { b'0' };
        assert!(!hex_matches(&d, std::str::from_utf8(&wrong).unwrap()));
    }
}
