//! Where records live: SQLite (embedded, the default) or PostgreSQL (a
//! fleet), one schema, one body of store logic.
//!
//! The logic (module `ops`) is written once against [`Conn`]; each backend only
//! supplies transactions:
//!
//! - **SQLite** (module `sqlite`): one writer thread owns the connection and
//!   commits the transactions queued meanwhile together (group commit: one
//!   `fsync` for many); when one fails, the batch runs again with each job
//!   in its own savepoint, so one failing job rolls back alone. Reads that
//!   change nothing run on the caller's thread, on `query_only`
//!   connections of their own (module `sqlite_readers`) that never wait
//!   for the writer nor, up to four at once, for one another.
//! - **PostgreSQL** (module `postgres`): a pool of connections; each job is one
//!   `READ COMMITTED` transaction whose rows are locked (`FOR UPDATE`) or
//!   leased (`FOR UPDATE SKIP LOCKED`), retried on a serialization failure
//!   or deadlock. Concurrency between instances is the database's business:
//!   nothing here is an in-process lock.

use std::fmt;

#[cfg(feature = "sqlite")]
mod answer;
mod migrate;
pub(crate) mod ops;
#[cfg(feature = "postgres")]
mod pg_tls;
mod pool;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(all(test, feature = "sqlite"))]
pub(crate) mod scratch;
pub mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_readers;

pub use migrate::{MIGRATIONS, Migration};
pub use sql::{Conn, Dialect, Row, Value};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The ledger could not be opened (a path, a URL, a driver).
    #[error("cannot open the ledger at {at}: {why}")]
    Open {
        /// The file path, or the URL without its password.
        at: String,
        /// Why.
        why: String,
    },
    /// The database cannot be reached or is busy: try again later (answer
    /// a webhook with a retryable status).
    #[error("the ledger's database is unavailable: {0}")]
    Unavailable(String),
    /// The database refused a statement.
    #[error("the ledger's database refused a statement: {0}")]
    Database(String),
    /// A stored value is not what the ledger wrote.
    #[error("unreadable data in the ledger: {0}")]
    Data(String),
    /// The schema is not one this library can use.
    #[error("ledger schema: {0}")]
    Schema(String),
    /// Another instance changed the record at the same time; the job was
    /// retried and kept meeting a change.
    #[error("a concurrent change to {0}; try again")]
    Conflict(String),
    /// The claim on an outcome was lost: its lease ran out and another
    /// instance claimed it. Nothing was acknowledged (and an effect run in
    /// the same transaction was rolled back): the other claim hands it over.
    #[error("the claim on outcome {id} was lost (its lease ran out and it was claimed again)")]
    ClaimLost {
        /// The outcome's id.
        id: String,
    },
    /// The application's own effect, run in the acknowledgement's
    /// transaction, failed; nothing was acknowledged.
    #[error("the application's effect failed: {0}")]
    Effect(Box<dyn std::error::Error + Send + Sync>),
    /// The ledger was called from inside one of its own transactions (an
    /// effect given to `acknowledge_with` calling the ledger): on SQLite
    /// the one writer would wait for itself. Use the effect's connection
    /// instead.
    #[error(
        "the ledger was called from inside its own transaction (an effect calling the ledger); \
         use the effect's connection"
    )]
    Reentrant,
}

impl StoreError {
    pub(crate) fn data(why: impl Into<String>) -> Self {
        StoreError::Data(why.into())
    }

    /// Whether trying again later may succeed (the database was
    /// unreachable, busy, or changed under the job).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Conflict(_) | StoreError::ClaimLost { .. }
        )
    }
}

/// A database job: runs inside one transaction, and may run more than
/// once (a PostgreSQL serialization failure is retried).
pub(crate) type Job<R> = Box<dyn FnMut(&mut dyn Conn) -> Result<R, StoreError> + Send>;

/// How many blocking database calls an async ledger makes at once: the
/// PostgreSQL pool's size.
#[cfg(any(feature = "tokio", feature = "postgres"))]
pub(crate) const BLOCKING_CALLS: usize = 8;

/// A job handed to the database ([`Store::submit`]).
#[cfg(feature = "tokio")]
pub(crate) enum Submitted<R> {
    /// Queued to the SQLite writer: await the answer.
    #[cfg(feature = "sqlite")]
    Queued(answer::Answer<R>),
    /// To run on a blocking thread ([`Store::transact_job`]).
    #[cfg(feature = "postgres")]
    Blocking(Job<R>),
}

/// The database behind a ledger.
pub struct Store {
    backend: Backend,
    owner: String,
}

enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::SqliteDb),
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::PgDb>),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.describe())
            .field("owner", &self.owner)
            .finish()
    }
}

/// How a database is named: a `postgres://` (or `postgresql://`) URL, or a
/// SQLite file path.
pub(crate) fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// A URL or path with any password replaced, for messages.
pub(crate) fn redacted(db: &str) -> String {
    let db = db.trim();
    if !is_postgres_url(db) {
        return db.to_owned();
    }
    let Some((scheme, rest)) = db.split_once("://") else {
        return db.to_owned();
    };
    // The driver reads the user and password up to the first `@` (a
    // password may hold `/`, `:` or `?`): mask the same span.
    let (user, after) = match rest.split_once('@') {
        Some((user_info, after)) => match user_info.split_once(':') {
            Some((user, _password)) => (format!("{user}:***@"), after),
            None => (format!("{user_info}@"), after),
        },
        None => (String::new(), rest),
    };
    // Query parameters may carry `password=`.
    let after = match after.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => after.to_owned(),
    };
    format!("{scheme}://{user}{after}")
}

/// A name for this process among the instances sharing a database: leases
/// and claims carry it.
fn instance_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.len() <= 64)
        .unwrap_or_else(|| "host".to_owned());
    let started = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    format!(
        "{host}/{}/{started}/{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Store {
    /// Opens the database `db` (a SQLite file path, created if missing, or a
    /// `postgres://` URL) and applies the migrations it lacks.
    pub fn open(db: &str) -> Result<Self, StoreError> {
        let store = Self::connect(db, true)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing ledger without changing it: the SQLite file must
    /// exist, and the schema must be there, at a version this library
    /// knows (for reading: `pasarela ledger list`).
    pub fn open_existing(db: &str) -> Result<Self, StoreError> {
        let store = Self::connect(db, false)?;
        let applied = store.read(|conn| migrate::applied(conn))?;
        migrate::check_known(&applied)?;
        if applied.len() < MIGRATIONS.len() {
            return Err(StoreError::Schema(format!(
                "{} is at schema version {} of {}: run `pasarela ledger migrate --db ...` first",
                redacted(db),
                applied.len(),
                MIGRATIONS.len()
            )));
        }
        Ok(store)
    }

    fn connect(db: &str, create: bool) -> Result<Self, StoreError> {
        let db = db.trim();
        if db.is_empty() {
            return Err(StoreError::Open {
                at: String::new(),
                why: "no database given: a SQLite file path or a postgres:// URL".into(),
            });
        }
        let backend = if is_postgres_url(db) {
            #[cfg(feature = "postgres")]
            {
                Backend::Postgres(Box::new(postgres::PgDb::connect(db)?))
            }
            #[cfg(not(feature = "postgres"))]
            {
                return Err(StoreError::Open {
                    at: redacted(db),
                    why: "this build has no PostgreSQL support (feature `postgres`)".into(),
                });
            }
        } else {
            #[cfg(feature = "sqlite")]
            {
                Backend::Sqlite(sqlite::SqliteDb::open(db, create)?)
            }
            #[cfg(not(feature = "sqlite"))]
            {
                let _ = create;
                return Err(StoreError::Open {
                    at: db.to_owned(),
                    why: "this build has no SQLite support (feature `sqlite`)".into(),
                });
            }
        };
        Ok(Self {
            backend,
            owner: instance_name(),
        })
    }

    /// Applies the migrations the database lacks, in order, each in its
    /// own transaction (PostgreSQL: under an advisory lock, so instances
    /// starting together migrate once). Returns the versions applied now.
    pub fn migrate(&self) -> Result<Vec<u32>, StoreError> {
        let dialect = self.dialect();
        self.transact(move |conn| migrate::run(conn, dialect))
    }

    /// The schema versions the database has.
    pub fn schema_versions(&self) -> Result<Vec<u32>, StoreError> {
        self.read(|conn| migrate::applied(conn))
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// This instance's name (leases and claims carry it).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The database, for messages (no password).
    pub fn describe(&self) -> String {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.describe(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.describe(),
        }
    }

    /// Hands `job` to the database without blocking: SQLite's writer
    /// answers through a future; PostgreSQL's client blocks, so the job
    /// comes back for the caller to run on a blocking thread.
    #[cfg(feature = "tokio")]
    pub(crate) fn submit<R: Send + 'static>(
        &self,
        job: impl FnMut(&mut dyn Conn) -> Result<R, StoreError> + Send + 'static,
    ) -> Submitted<R> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => Submitted::Queued(db.submit(Box::new(job))),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Submitted::Blocking(Box::new(job)),
        }
    }

    /// Runs `job` in one transaction and commits it; an error rolls the
    /// job's changes back. The job may run again (a PostgreSQL
    /// serialization failure or deadlock is retried), so it must not act
    /// outside the database.
    pub fn transact<R: Send + 'static>(
        &self,
        job: impl FnMut(&mut dyn Conn) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.transact_job(Box::new(job))
    }

    /// Runs `job`, which only reads, in one read transaction that sees
    /// every commit made before it began; a write in it is refused
    /// ([`StoreError::Database`]). On SQLite it runs on the calling thread,
    /// on a connection of its own that never waits for the writer's
    /// batches, up to four reads at once (a read from inside a job of this
    /// store's writer is refused as [`StoreError::Reentrant`]); on
    /// PostgreSQL, on a pooled connection in a `READ ONLY` transaction.
    /// It blocks the calling thread: from async code, call it on a
    /// blocking thread (`spawn_blocking`).
    ///
    /// For an application's own queries of its tables in the ledger's
    /// database (a shop's hand-overs, a report), so that they wait for no
    /// commit batch.
    pub fn read<R: Send + 'static>(
        &self,
        job: impl FnMut(&mut dyn Conn) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.read(Box::new(job)),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.read(Box::new(job)),
        }
    }

    /// [`transact`](Self::transact) of a boxed job.
    pub(crate) fn transact_job<R: Send + 'static>(&self, job: Job<R>) -> Result<R, StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.transact(job),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.transact(job),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@db.example:5432/pay",
                "postgres://app:***@db.example:5432/pay",
            ),
            (
                "postgresql://app@db/pay?sslmode=disable&password=s3cret",
                "postgresql://app@db/pay?sslmode=disable&password=***",
            ),
            ("postgres://db.example", "postgres://db.example"),
            ("/var/lib/pay/ledger.db", "/var/lib/pay/ledger.db"),
            // What the driver reads as a password may hold `/`, `?`, `:`.
            (
                "postgres://app:pa/ss?w:rd@db/pay",
                "postgres://app:***@db/pay",
            ),
            (" postgres://app:s3cret@db/pay", "postgres://app:***@db/pay"),
            ("postgres://app@db:5432", "postgres://app@db:5432"),
        ] {
            assert_eq!(redacted(url), shown);
        }
    }

    #[test]
    fn an_empty_name_is_refused() {
        let err = Store::open("  ").unwrap_err();
        assert!(err.to_string().contains("postgres:// URL"), "{err}");
    }
}
