//! TLS to PostgreSQL: what the URL asks for (`sslmode`, `sslrootcert`),
//! and a rustls connector that verifies the server it reaches.
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | absent, `prefer` | when the server offers it, else plain TCP | verified when TLS is used |
//! | `require`, `verify-full` | always: a server without TLS is refused | verified: chain and host name |
//! | `disable` | never | — |
//!
//! Every TLS connection is verified: against the CA certificates of the
//! PEM file `sslrootcert=PATH` names (a private CA: AWS RDS, Cloud SQL,
//! your own), else against Mozilla's root certificates (compiled in).
//! This is stricter than libpq, whose `require` encrypts without checking
//! whom it talks to; an unverified connection protects nothing from an
//! attacker on the path, so the ledger has none. `verify-ca` (the chain
//! without the host name) and `allow` are refused.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What a URL's TLS parameters ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asked {
    /// The URL for the driver: `sslrootcert` taken out (the driver does
    /// not know it), `verify-full` said as `require` (the driver's
    /// strictest mode; the verification is the connector's).
    pub(crate) url: String,
    /// The PEM file of the CA certificates to trust, instead of Mozilla's
    /// roots.
    pub(crate) roots: Option<String>,
}

/// Reads the TLS parameters of a `postgres://` URL.
pub(crate) fn asked(url: &str) -> Result<Asked, String> {
    // The query starts at the first `?` after the user information (which
    // ends at the first `@`, as the driver reads it: a password may hold
    // a `?`).
    let query_start = {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let host_start = url[after_scheme..]
            .find('@')
            .map_or(after_scheme, |i| after_scheme + i + 1);
        url[host_start..].find('?').map(|i| host_start + i)
    };
    let Some(start) = query_start else {
        return Ok(Asked {
            url: url.to_owned(),
            roots: None,
        });
    };
    let (base, query) = (&url[..start], &url[start + 1..]);
    let mut kept = Vec::new();
    let mut roots = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslrootcert" => {
                let path = percent_decoded(value)?;
                if path.is_empty() {
                    return Err("sslrootcert is empty: give the path of a PEM file".into());
                }
                roots = Some(path);
            }
            "sslmode" => match value {
                "disable" | "prefer" | "require" => kept.push(pair.to_owned()),
                "verify-full" => kept.push("sslmode=require".to_owned()),
                other => {
                    return Err(format!(
                        "sslmode={other} is not supported: use verify-full or require (TLS, \
                         the server's certificate verified), prefer (the same when the server \
                         offers TLS) or disable"
                    ));
                }
            },
            _ => kept.push(pair.to_owned()),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Asked { url, roots })
}

/// `%XX` sequences decoded (a path in a URL).
fn percent_decoded(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{value:?}: a % not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{value:?} is not UTF-8 once decoded"))
}

/// The connector: rustls (its `ring` provider), trusting `roots` (a PEM
/// file) or else Mozilla's roots.
pub(crate) fn connector(roots: Option<&str>) -> Result<MakeRustlsConnect, String> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {path}: {e}"))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert {path}: {e}"))?;
                store
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {path}: a certificate refused: {e}"))?;
            }
            if store.is_empty() {
                return Err(format!(
                    "sslrootcert {path}: no certificate in it (a PEM file of CA certificates)"
                ));
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_root_certificates(store)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_driver_gets_the_url_without_what_it_does_not_know() {
        let plain = asked("postgres://app@db/pay").unwrap();
        assert_eq!(plain.url, "postgres://app@db/pay");
        assert_eq!(plain.roots, None);
        let tls = asked(
            "postgres://app:p?ss@db.example:5432/pay?sslmode=verify-full&sslrootcert=/etc/ca%20dir/ca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(
            tls.url,
            "postgres://app:p?ss@db.example:5432/pay?sslmode=require&application_name=x"
        );
        assert_eq!(tls.roots.as_deref(), Some("/etc/ca dir/ca.pem"));
        let only_roots = asked("postgres://db/pay?sslrootcert=ca.pem").unwrap();
        assert_eq!(only_roots.url, "postgres://db/pay");
        assert_eq!(
            asked("postgres://db/pay?sslmode=disable").unwrap().url,
            "postgres://db/pay?sslmode=disable"
        );
    }

    #[test]
    fn what_it_cannot_honour_is_refused_by_name() {
        for (url, says) in [
            ("postgres://db/pay?sslmode=verify-ca", "sslmode=verify-ca"),
            ("postgres://db/pay?sslmode=allow", "sslmode=allow"),
            ("postgres://db/pay?sslrootcert=", "sslrootcert is empty"),
            ("postgres://db/pay?sslrootcert=%zz", "two hex digits"),
        ] {
            let err = asked(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn a_roots_file_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("pasarela-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let err = connector(Some(missing.to_str().unwrap())).err().unwrap();
        assert!(err.contains("missing.pem"), "{err}");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = connector(Some(empty.to_str().unwrap())).err().unwrap();
        assert!(err.contains("no certificate"), "{err}");
        assert!(connector(None).is_ok(), "Mozilla's roots");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
