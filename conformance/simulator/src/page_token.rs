//! The per-page tokens that protect the hosted pages' and the dashboard's
//! forms: each page's form carries a token only this simulator can compute
//! (HMAC-SHA-256 under a key drawn when it starts, over what the page acts
//! on), and an action without the page's token is refused. A web page on
//! another origin cannot read the simulator's pages, so it cannot post a
//! form they would accept. Stateless: nothing is kept per page.

use std::hash::{BuildHasher, Hasher};
use std::io::Read;

use sha2::{Digest, Sha256};

use super::rules::{hex, hex_matches};

/// The form field that carries the token.
pub(crate) const FIELD: &str = "token";

/// The key tokens are computed with; drawn when the simulator is made.
pub(crate) struct TokenKey([u8; 32]);

impl TokenKey {
    /// A fresh key: the operating system's randomness where it can be read
    /// (`/dev/urandom`), mixed with std's randomly keyed hashers, the time
    /// and the process id, so that it is unpredictable even without it.
    pub(crate) fn random() -> Self {
        let mut seed = Sha256::new();
        let mut os = Vec::with_capacity(32);
        if let Ok(file) = std::fs::File::open("/dev/urandom") {
            let _ = file.take(32).read_to_end(&mut os);
        }
        seed.update(&os);
        for i in 0..4u64 {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(i);
            seed.update(hasher.finish().to_le_bytes());
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        seed.update(nanos.to_le_bytes());
        seed.update(std::process::id().to_le_bytes());
        Self(seed.finalize().into())
    }

    /// The token of the page that acts on `purpose` (`cashier:{tradeNo}`).
    pub(crate) fn token(&self, purpose: &str) -> String {
        let mut inner = [0x36u8; 64];
        let mut outer = [0x5cu8; 64];
        for (i, b) in self.0.iter().enumerate() {
            inner[i] ^= b;
            outer[i] ^= b;
        }
        let inner = Sha256::new()
            .chain_update(inner)
            .chain_update(purpose.as_bytes())
            .finalize();
        let mac = Sha256::new()
            .chain_update(outer)
            .chain_update(inner)
            .finalize();
        hex(&mac[..16])
    }

    /// Whether `given` is the token of the page that acts on `purpose`.
    pub(crate) fn check(&self, purpose: &str, given: Option<&str>) -> bool {
        given.is_some_and(|g| g.len() == 32 && hex_matches(g, &self.token(purpose)))
    }
}

/// The hidden form field carrying the token for `purpose`.
pub(crate) fn hidden_field(key: &TokenKey, purpose: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{FIELD}\" value=\"{}\">",
        key.token(purpose)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_key_and_per_page() {
        let (a, b) = (TokenKey::random(), TokenKey::random());
        let t = a.token("cashier:1");
        assert_eq!(t.len(), 32);
        assert!(a.check("cashier:1", Some(&t)));
        assert!(!a.check("cashier:2", Some(&t)));
        assert!(!b.check("cashier:1", Some(&t)));
        assert!(!a.check("cashier:1", None));
        assert!(!a.check("cashier:1", Some("")));
        assert_ne!(a.token("dashboard"), b.token("dashboard"));
    }
}
