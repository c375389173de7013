//! The fleet store: PostgreSQL through the `postgres` client, a small pool
//! of connections, one `READ COMMITTED` transaction per job.
//!
//! Rows are locked where a job reads to change (`FOR UPDATE`) and leased
//! where instances share work (`FOR UPDATE SKIP LOCKED`: an instance takes
//! only rows no other holds). A serialization failure or a deadlock rolls
//! the job back and runs it again (three times at most); a lost connection
//! is dropped from the pool. Connections use TLS as the URL asks, always
//! verified ([`pg_tls`](super::pg_tls)).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use postgres::Statement;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::pg_tls;
use super::pool::Pool;
use super::sql::{Conn, Dialect, Row, Value};
use super::{Job, StoreError, redacted};

/// Connections at most, per process (per `Ledger`).
const POOL: usize = super::BLOCKING_CALLS;
/// Attempts of a job that meets serialization failures or deadlocks.
const ATTEMPTS: usize = 3;

struct Pooled {
    client: postgres::Client,
    /// Prepared statements by their text as the ledger writes it, for
    /// read-write transactions and for read-only ones (where row locks
    /// are left out: the server refuses them there).
    statements: HashMap<String, Statement>,
    read_statements: HashMap<String, Statement>,
}

/// A PostgreSQL database and its connections.
pub(crate) struct PgDb {
    config: postgres::Config,
    tls: MakeRustlsConnect,
    shown: String,
    pool: Pool<Pooled>,
}

/// The error and its causes, in one line (the driver's top message alone,
/// "error connecting to server", does not say why).
fn describe(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

fn pg_error(e: postgres::Error) -> StoreError {
    // A unique key taken by a transaction that committed while this one
    // ran (two first checkouts of one order number, each inserting the
    // intent it did not find): run again, it then finds the row.
    let retry = matches!(
        e.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    );
    // The server's reason: the error's own text is a bare "db error". Its
    // message only (the detail may quote the row's values).
    let why = match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        // Not the server's: the client's error and its causes (a refused
        // connection, a timeout).
        None => describe(&e),
    };
    if retry {
        StoreError::Conflict(why)
    } else if e.is_closed() || e.code().is_none() {
        // No SQLSTATE: the connection, not the statement, failed.
        StoreError::Unavailable(why)
    } else {
        StoreError::Database(why)
    }
}

/// One new connection, with its statement caches empty.
fn connect_one(config: &postgres::Config, tls: &MakeRustlsConnect) -> Result<Pooled, StoreError> {
    let client = config.connect(tls.clone()).map_err(pg_error)?;
    Ok(Pooled {
        client,
        statements: HashMap::new(),
        read_statements: HashMap::new(),
    })
}

impl PgDb {
    /// Checks the URL and opens one connection (so a wrong URL fails now,
    /// naming the database without its password).
    pub(crate) fn connect(url: &str) -> Result<Self, StoreError> {
        let shown = redacted(url);
        let open = |why: String| StoreError::Open {
            at: shown.clone(),
            why,
        };
        let asked = pg_tls::asked(url).map_err(open)?;
        let tls = pg_tls::connector(asked.roots.as_deref()).map_err(open)?;
        let mut config = postgres::Config::from_str(&asked.url).map_err(|e| open(e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // A partitioned network must fail a call within a minute, not hang
        // it for the kernel's two hours (a webhook answers 503 and the
        // gateway delivers again), unless the URL says otherwise.
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(30));
        }
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            config.keepalives_idle(Duration::from_secs(30));
            config.keepalives_interval(Duration::from_secs(10));
            config.keepalives_retries(3);
        }
        if config.get_options().is_none() {
            // The ledger's statements are short; a minute is a hang.
            config.options("-c statement_timeout=60000");
        }
        config.application_name("pasarela-ledger");
        let first = connect_one(&config, &tls).map_err(|e| StoreError::Open {
            at: shown.clone(),
            why: match e {
                StoreError::Unavailable(why) | StoreError::Database(why) => {
                    if why.contains("certificate") {
                        format!(
                            "{why} (a server with a private CA: name the CA's certificate \
                             with sslrootcert=PATH in the URL; a local server over loopback: \
                             sslmode=disable)"
                        )
                    } else {
                        why
                    }
                }
                other => other.to_string(),
            },
        })?;
        Ok(Self {
            config,
            tls,
            shown,
            pool: Pool::new(POOL, first),
        })
    }

    pub(crate) fn describe(&self) -> String {
        self.shown.clone()
    }

    pub(crate) fn transact<R: Send + 'static>(&self, job: Job<R>) -> Result<R, StoreError> {
        self.run(job, false)
    }

    /// Runs `job` in a `READ ONLY` transaction: a write in it is refused
    /// by the server.
    pub(crate) fn read<R: Send + 'static>(&self, job: Job<R>) -> Result<R, StoreError> {
        self.run(job, true)
    }

    fn run<R: Send + 'static>(&self, mut job: Job<R>, read_only: bool) -> Result<R, StoreError> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let mut pooled = self.pool.take(|| connect_one(&self.config, &self.tls))?;
            let result = run_once(&mut pooled, &mut job, read_only);
            // A lost connection is dropped (a new one is opened when
            // needed).
            let healthy =
                !matches!(result, Err(StoreError::Unavailable(_))) && !pooled.client.is_closed();
            pooled.give_back(healthy);
            match result {
                Err(StoreError::Conflict(why)) => last = Some(why),
                other => return other,
            }
        }
        Err(StoreError::Conflict(last.unwrap_or_default()))
    }
}

impl Drop for PgDb {
    /// Closes the idle connections on a thread of their own: the blocking
    /// client closes a connection by running a small runtime, which panics
    /// on a thread that drives a tokio runtime — where an application's
    /// last `AsyncLedger` may well be dropped.
    fn drop(&mut self) {
        let idle = self.pool.drain_idle();
        if idle.is_empty() {
            return;
        }
        let closing = std::thread::Builder::new()
            .name("pasarela-ledger-pg-close".into())
            .spawn(move || drop(idle));
        if let Ok(closing) = closing {
            let _ = closing.join();
        }
    }
}

fn run_once<R>(pooled: &mut Pooled, job: &mut Job<R>, read_only: bool) -> Result<R, StoreError> {
    let Pooled {
        client,
        statements,
        read_statements,
    } = pooled;
    let statements = if read_only {
        read_statements
    } else {
        statements
    };
    let mut tx = client
        .build_transaction()
        .read_only(read_only)
        .start()
        .map_err(pg_error)?;
    let result = job(&mut PgConn {
        tx: &mut tx,
        statements,
        read_only,
    });
    match result {
        Ok(value) => {
            tx.commit().map_err(pg_error)?;
            Ok(value)
        }
        Err(e) => {
            // Dropping the transaction rolls it back.
            drop(tx);
            Err(e)
        }
    }
}

/// Prepared statements kept per connection, at most.
const STATEMENT_CACHE: usize = 256;

struct PgConn<'a, 'c> {
    tx: &'a mut postgres::Transaction<'c>,
    statements: &'a mut HashMap<String, Statement>,
    /// A `READ ONLY` transaction: the ledger's row-lock markers render
    /// as nothing.
    read_only: bool,
}

impl PgConn<'_, '_> {
    /// The prepared statement of `sql` (kept by its text as the ledger
    /// writes it: rendered for PostgreSQL only when first prepared).
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let text = if self.read_only {
            Dialect::Postgres.render(&sql.replace("{lock}", "").replace("{skip}", ""))
        } else {
            Dialect::Postgres.render(sql)
        };
        let statement = self.tx.prepare(&text).map_err(pg_error)?;
        // The ledger's own statements are a few dozen; an application's
        // effect may build its SQL on the fly: keep the cache bounded.
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// A parameter as the type the statement expects.
fn param(value: &Value, ty: &Type) -> Result<Box<dyn ToSql + Sync>, StoreError> {
    let int = *ty == Type::INT8 || *ty == Type::INT4 || *ty == Type::INT2;
    Ok(match value {
        Value::Int(v) if *ty == Type::INT4 => Box::new(
            v.map(i32::try_from)
                .transpose()
                .map_err(|_| StoreError::data("an integer too large for an INT4 parameter"))?,
        ),
        Value::Int(v) => Box::new(*v),
        Value::Text(v) => Box::new(v.clone()),
        Value::Null if int => Box::new(None::<i64>),
        Value::Null => Box::new(None::<String>),
    })
}

fn params(
    values: &[Value],
    statement: &Statement,
) -> Result<Vec<Box<dyn ToSql + Sync>>, StoreError> {
    let types = statement.params();
    if types.len() != values.len() {
        return Err(StoreError::Database(format!(
            "the statement takes {} parameters, {} given",
            types.len(),
            values.len()
        )));
    }
    values.iter().zip(types).map(|(v, t)| param(v, t)).collect()
}

fn column(row: &postgres::Row, i: usize) -> Result<Value, StoreError> {
    let ty = row.columns().get(i).map(|c| c.type_().clone());
    let read = |e: postgres::Error| StoreError::data(format!("column {i}: {e}"));
    Ok(match ty {
        Some(t) if t == Type::INT8 => Value::Int(row.try_get::<_, Option<i64>>(i).map_err(read)?),
        Some(t) if t == Type::INT4 => Value::Int(
            row.try_get::<_, Option<i32>>(i)
                .map_err(read)?
                .map(i64::from),
        ),
        Some(t) if t == Type::INT2 => Value::Int(
            row.try_get::<_, Option<i16>>(i)
                .map_err(read)?
                .map(i64::from),
        ),
        Some(t) if t == Type::BOOL => Value::Int(
            row.try_get::<_, Option<bool>>(i)
                .map_err(read)?
                .map(i64::from),
        ),
        Some(t)
            if t == Type::TEXT || t == Type::VARCHAR || t == Type::NAME || t == Type::BPCHAR =>
        {
            Value::Text(row.try_get::<_, Option<String>>(i).map_err(read)?)
        }
        Some(t) if t == Type::VOID => Value::Null,
        Some(t) => {
            return Err(StoreError::data(format!(
                "column {i} is of type {t}, not an integer or text"
            )));
        }
        None => return Err(StoreError::data(format!("no column {i}"))),
    })
}

impl Conn for PgConn<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        let owned = params(values, &statement)?;
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|p| p.as_ref()).collect();
        self.tx.execute(&statement, &refs).map_err(pg_error)
    }

    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Row>, StoreError> {
        let statement = self.statement(sql)?;
        let owned = params(values, &statement)?;
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|p| p.as_ref()).collect();
        let rows = self.tx.query(&statement, &refs).map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| column(row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect()
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.batch_execute(sql).map_err(pg_error)
    }
}
