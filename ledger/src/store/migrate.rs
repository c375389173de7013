//! Versioned migrations, applied by the library: one SQL text per version,
//! the same for both databases, recorded in `pasarela_ledger_schema`.

use super::StoreError;
use super::sql::{Conn, Dialect, Value, millis};

/// One schema version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its number (1, 2, …), applied in order.
    pub version: u32,
    /// What it does.
    pub name: &'static str,
    /// Its statements.
    pub sql: &'static str,
}

/// Every migration this library knows, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "payments, history, inbox, outcomes, rate",
        sql: include_str!("../../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "rate as one row per status call taken",
        sql: include_str!("../../migrations/0002_rate_slots.sql"),
    },
];

const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS pasarela_ledger_schema (
    version     BIGINT NOT NULL PRIMARY KEY,
    name        TEXT   NOT NULL,
    applied_at  BIGINT NOT NULL
)";

/// The versions applied, in order (none for a new database).
pub(crate) fn applied(conn: &mut dyn Conn) -> Result<Vec<u32>, StoreError> {
    let exists = match conn.dialect() {
        Dialect::Sqlite => conn.query(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'pasarela_ledger_schema'",
            &[],
        )?,
        Dialect::Postgres => conn.query(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'pasarela_ledger_schema'",
            &[],
        )?,
    };
    if exists.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) == 0 {
        return Ok(Vec::new());
    }
    conn.query(
        "SELECT version FROM pasarela_ledger_schema ORDER BY version",
        &[],
    )?
    .iter()
    .map(|row| {
        let v = row.int(0)?;
        u32::try_from(v)
            .map_err(|_| StoreError::Schema(format!("schema version {v} is not a version")))
    })
    .collect()
}

/// Refuses a database migrated by a newer library (its schema may mean
/// things this one does not know).
pub(crate) fn check_known(applied: &[u32]) -> Result<(), StoreError> {
    let known = MIGRATIONS.len();
    match applied.iter().max() {
        Some(&newest) if newest as usize > known => Err(StoreError::Schema(format!(
            "the database is at schema version {newest}, newer than this library's {known}: \
             upgrade pasarela-ledger"
        ))),
        _ => Ok(()),
    }
}

/// Applies what is missing; returns the versions applied now.
pub(crate) fn run(conn: &mut dyn Conn, dialect: Dialect) -> Result<Vec<u32>, StoreError> {
    if dialect == Dialect::Postgres {
        // Instances starting together: one migrates, the others wait here
        // and then find nothing to do. (A transaction-level lock, released
        // at commit.)
        conn.query("SELECT pg_advisory_xact_lock(4242424242)", &[])?;
    }
    conn.execute_batch(SCHEMA_TABLE)?;
    let done = applied(conn)?;
    check_known(&done)?;
    let mut now_applied = Vec::new();
    for migration in MIGRATIONS {
        if done.contains(&migration.version) {
            continue;
        }
        conn.execute_batch(migration.sql).map_err(|e| {
            StoreError::Schema(format!(
                "migration {} ({}) failed: {e}",
                migration.version, migration.name
            ))
        })?;
        conn.execute(
            "INSERT INTO pasarela_ledger_schema (version, name, applied_at) VALUES (?1, ?2, ?3)",
            &[
                Value::from(i64::from(migration.version)),
                Value::from(migration.name),
                Value::from(millis(time::OffsetDateTime::now_utc())),
            ],
        )?;
        now_applied.push(migration.version);
    }
    Ok(now_applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_in_order_and_known() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert!(check_known(&[1]).is_ok());
        assert!(check_known(&[1, 2]).is_ok());
        let err = check_known(&[1, 2, 99]).unwrap_err();
        assert!(err.to_string().contains("newer than this library"), "{err}");
    }
}
