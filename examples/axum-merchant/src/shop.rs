//! The shop's own books, in the ledger's database: one row per final
//! outcome handed over (ship, release, or look). Written in the same
//! transaction as the ledger's acknowledgement, so each outcome is handed
//! over exactly once, across restarts and instances.

use pasarela_ledger::{AsyncLedger, Conn, Dialect, Gateway, Outcome, StoreError};

/// The shop's table: created at start-up if missing.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS shop_handovers (
    outcome_id  TEXT NOT NULL PRIMARY KEY,
    gateway     TEXT NOT NULL,
    order_no    TEXT NOT NULL,
    kind        TEXT NOT NULL
)";

/// The PostgreSQL advisory lock instances take to create the shop's table
/// one at a time (the ledger's migrations take another).
const PREPARE_LOCK: &str = "SELECT pg_advisory_xact_lock(5170630501)";

/// Creates the shop's table. Instances starting together on PostgreSQL
/// take turns (a transaction-level advisory lock): two concurrent `CREATE
/// TABLE IF NOT EXISTS` of one table fail there, one of them on a unique
/// index of the catalog.
pub async fn prepare(ledger: &AsyncLedger) -> Result<(), StoreError> {
    let ledger = ledger.blocking().clone();
    tokio::task::spawn_blocking(move || {
        ledger.store().transact(|conn| {
            if conn.dialect() == Dialect::Postgres {
                conn.query(PREPARE_LOCK, &[])?;
            }
            conn.execute_batch(SCHEMA)
        })
    })
    .await
    .map_err(|e| StoreError::Unavailable(e.to_string()))?
}

/// What the shop does with an outcome, in the acknowledgement's
/// transaction: here, it records it (a real shop also queues the shipment
/// or releases the stock in the same transaction).
fn hand_over(conn: &mut dyn Conn, outcome: &Outcome) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO shop_handovers (outcome_id, gateway, order_no, kind) VALUES (?1, ?2, ?3, ?4)",
        &[
            outcome.id.as_str().into(),
            outcome.gateway.as_str().into(),
            outcome.order.as_str().into(),
            outcome.kind.as_str().into(),
        ],
    )
    .map(|_| ())
}

/// Claims and hands over what is waiting; returns how many.
pub async fn hand_over_waiting(ledger: &AsyncLedger) -> Result<usize, StoreError> {
    let claimed = ledger.claim_outcomes(50).await?;
    let mut done = 0;
    for outcome in &claimed {
        match ledger.acknowledge_with(outcome, hand_over).await {
            Ok(()) => done += 1,
            // Another instance took it after our claim ran out: it hands
            // it over, not us.
            Err(StoreError::ClaimLost { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// How many times this order's outcomes were handed to the shop.
pub async fn handed_over(
    ledger: &AsyncLedger,
    gateway: Gateway,
    order: &str,
) -> Result<i64, StoreError> {
    let ledger = ledger.blocking().clone();
    let order = order.to_owned();
    // A read: it waits for no commit batch of the ledger's writer.
    tokio::task::spawn_blocking(move || {
        ledger.store().read(move |conn| {
            conn.query(
                "SELECT COUNT(*) FROM shop_handovers WHERE gateway = ?1 AND order_no = ?2",
                &[gateway.as_str().into(), order.as_str().into()],
            )?
            .first()
            .map_or(Ok(0), |row| row.int(0))
        })
    })
    .await
    .map_err(|e| StoreError::Unavailable(e.to_string()))?
}
