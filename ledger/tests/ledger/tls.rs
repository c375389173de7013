//! PostgreSQL over TLS: the URL's `sslmode` and `sslrootcert`, against a
//! server this test starts with a TEST ONLY certificate authority, and
//! against one that offers no TLS.

use pasarela_ledger::{Store, StoreError};
use pasarela_ledger_testkit::PgServer;

/// Whether the store's connection to the server is TLS (as the server
/// sees it).
fn over_tls(store: &Store) -> bool {
    let rows = store
        .read(|conn| {
            conn.query(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
        })
        .unwrap();
    rows[0].int(0).unwrap() == 1
}

fn open_error(url: &str) -> String {
    match Store::open(url) {
        Err(StoreError::Open { why, .. }) => why,
        Err(other) => panic!("{url}: not an open error: {other}"),
        Ok(_) => panic!("{url}: opened"),
    }
}

#[test]
fn postgres_over_tls_is_verified_as_the_url_asks() {
    let Some(server) = PgServer::start_with_tls_or_skip("postgres_over_tls") else {
        return;
    };
    let url = server.url();
    let ca = server.ca().unwrap().display().to_string();

    // Verified against the CA the URL names: the ledger works over TLS.
    for mode in ["verify-full", "require", "prefer"] {
        let store = Store::open(&format!("{url}?sslmode={mode}&sslrootcert={ca}"))
            .unwrap_or_else(|e| panic!("sslmode={mode}: {e}\n{}", server.log()));
        assert!(over_tls(&store), "sslmode={mode}");
    }
    // Without sslmode, TLS when the server offers it.
    assert!(over_tls(
        &Store::open(&format!("{url}?sslrootcert={ca}")).unwrap()
    ));

    // Not the CA that signed it (Mozilla's roots): refused, never used
    // unverified, and the message says what to do.
    for asked in [format!("{url}?sslmode=require"), url.clone()] {
        let why = open_error(&asked);
        assert!(why.contains("certificate"), "{asked}: {why}");
        assert!(why.contains("sslrootcert=PATH"), "{asked}: {why}");
    }

    // Plain TCP only when asked.
    let plain = Store::open(&format!("{url}?sslmode=disable")).unwrap();
    assert!(!over_tls(&plain));

    // What cannot be honoured is refused before connecting, by name.
    let why = open_error(&format!("{url}?sslmode=verify-ca&sslrootcert={ca}"));
    assert!(why.contains("sslmode=verify-ca is not supported"), "{why}");
    let why = open_error(&format!(
        "{url}?sslmode=require&sslrootcert=/nonexistent/ca.pem"
    ));
    assert!(why.contains("/nonexistent/ca.pem"), "{why}");
}

#[test]
fn a_server_without_tls_is_refused_when_tls_is_required() {
    let Some(server) = PgServer::start_or_skip("postgres_without_tls") else {
        return;
    };
    let url = server.url();
    for mode in ["require", "verify-full"] {
        let why = open_error(&format!("{url}?sslmode={mode}"));
        assert!(why.to_lowercase().contains("tls"), "sslmode={mode}: {why}");
    }
    // Preferred, not required: plain TCP.
    assert!(!over_tls(
        &Store::open(&format!("{url}?sslmode=prefer")).unwrap()
    ));
}
