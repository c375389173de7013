//! The embedded store: one SQLite file, one writer thread, group commit.
//!
//! **Journal mode WAL, `synchronous=FULL`.** Every commit is written to
//! the write-ahead log and `fsync`ed before the caller hears "done", so a
//! transaction the ledger reported committed survives a process kill
//! (`SIGKILL`), an OS crash and a power cut, provided the disk honours
//! `fsync`. A power cut can lose only transactions that had not returned
//! yet — which is safe: the ledger acts (sends a create, hands over an
//! outcome, acknowledges a webhook) only after its write returned. Every
//! job, reads included, runs in the writer's `BEGIN IMMEDIATE`
//! transaction: another process reading the file (`pasarela ledger list`)
//! holds the write lock for its short read too, and the service's writer
//! waits for it (up to `busy_timeout`, 10 s). `synchronous=NORMAL` would skip the `fsync` and could
//! lose the last commits on a power cut — an intent recorded and then
//! forgotten after its create left — so it is not offered.
//!
//! **Group commit.** `fsync` is what a commit costs. One thread owns the
//! connection; callers queue jobs; the thread takes every job waiting,
//! runs each in its own savepoint (an error rolls back that job alone) and
//! commits them together with one `fsync`, then answers each caller. Under
//! load, one `fsync` serves many payments.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::answer::{self, Answer};
use super::sql::{Conn, Dialect, Row, Value};
use super::{Job, StoreError};

/// The most jobs committed together.
const BATCH: usize = 256;

/// Delivers a job's result to its caller (typed on the caller's side).
type Reply = Box<dyn FnOnce(Result<Box<dyn std::any::Any + Send>, StoreError>) + Send>;

struct Queued {
    job: Job<Box<dyn std::any::Any + Send>>,
    reply: Reply,
}

/// The SQLite database and its writer thread.
pub(crate) struct SqliteDb {
    path: PathBuf,
    queue: Mutex<Option<mpsc::Sender<Queued>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The writer thread's id: a job it runs (an application's effect)
    /// must not queue another and wait for it.
    writer: std::thread::ThreadId,
}

fn open_error(path: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        at: path.display().to_string(),
        why: why.to_string(),
    }
}

fn sql_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::CannotOpen
                    | ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

impl SqliteDb {
    /// Opens (or, with `create`, creates) the file and starts the writer.
    pub(crate) fn open(path: &str, create: bool) -> Result<Self, StoreError> {
        let path = PathBuf::from(path);
        if !create && !path.is_file() {
            return Err(open_error(
                &path,
                "no such file (create it with `pasarela ledger migrate`)",
            ));
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| open_error(&path, e))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(|e| open_error(&path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_error(
                &path,
                format!("cannot use write-ahead logging here (journal mode {mode})"),
            ));
        }
        conn.execute_batch(
            // secure_delete: freed bytes (an erased payer) are zeroed, not
            // left in a free page.
            "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; \
             PRAGMA secure_delete=ON;",
        )
        .map_err(|e| open_error(&path, e))?;
        let (tx, rx) = mpsc::channel::<Queued>();
        let thread = std::thread::Builder::new()
            .name("pasarela-ledger-sqlite".into())
            .spawn(move || writer(conn, rx))
            .map_err(|e| open_error(&path, format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            path,
            queue: Mutex::new(Some(tx)),
            writer: thread.thread().id(),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub(crate) fn describe(&self) -> String {
        self.path.display().to_string()
    }

    pub(crate) fn transact<R: Send + 'static>(&self, job: Job<R>) -> Result<R, StoreError> {
        self.submit(job).wait()
    }

    /// Queues `job` for the writer; the answer can be waited for or
    /// awaited (an async caller needs no thread of its own).
    pub(crate) fn submit<R: Send + 'static>(&self, mut job: Job<R>) -> Answer<R> {
        let (answerer, answer) = answer::channel();
        if std::thread::current().id() == self.writer {
            // From inside a transaction (an effect calling the ledger): the
            // writer would wait for itself for ever.
            answerer.send(Err(StoreError::Reentrant));
            return answer;
        }
        let queued = Queued {
            job: Box::new(move |conn| {
                job(conn).map(|r| Box::new(r) as Box<dyn std::any::Any + Send>)
            }),
            reply: Box::new(move |result| {
                answerer.send(result.and_then(|boxed| {
                    boxed
                        .downcast::<R>()
                        .map(|r| *r)
                        .map_err(|_| StoreError::data("the writer answered another job's type"))
                }));
            }),
        };
        let queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        match queue.as_ref() {
            // A closed queue drops the job, and with it its answerer: the
            // answer says the writer stopped.
            Some(sender) => {
                let _ = sender.send(queued);
            }
            None => drop(queued),
        }
        answer
    }
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has answered every job.
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = thread.join();
        }
    }
}

/// The writer: takes every waiting job, runs each in a savepoint, commits
/// once, answers each.
fn writer(mut conn: Connection, rx: mpsc::Receiver<Queued>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch);
    }
}

fn run_batch(conn: &mut Connection, batch: Vec<Queued>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let why = sql_error(e).to_string();
        for queued in batch {
            (queued.reply)(Err(StoreError::Unavailable(why.clone())));
        }
        return;
    }
    let mut results = Vec::with_capacity(batch.len());
    let mut replies = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    while let Some(mut queued) = jobs.next() {
        let result = match conn.execute_batch("SAVEPOINT job") {
            Err(e) => Err(sql_error(e)),
            Ok(()) => {
                // A job that panics (an application's effect) fails alone;
                // the writer lives on.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    (queued.job)(&mut SqliteConn { conn: &*conn })
                }))
                .unwrap_or_else(|_| Err(StoreError::data("the transaction's job panicked")));
                let closed = match &outcome {
                    Ok(_) => conn.execute_batch("RELEASE job"),
                    Err(_) => conn.execute_batch("ROLLBACK TO job; RELEASE job"),
                };
                match closed {
                    Ok(()) => outcome,
                    Err(e) => Err(sql_error(e)),
                }
            }
        };
        results.push(result);
        replies.push(queued.reply);
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (a full disk, an I/O
            // error): the jobs before this one lost their writes too, and
            // the ones after must not run outside a transaction.
            let why = "the database rolled the transaction back (disk full or I/O error?): \
                       nothing of it was written";
            for reply in replies {
                reply(Err(StoreError::Unavailable(why.into())));
            }
            for queued in jobs {
                (queued.reply)(Err(StoreError::Unavailable(why.into())));
            }
            return;
        }
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => {
            for (reply, result) in replies.into_iter().zip(results) {
                reply(result);
            }
        }
        Err(e) => {
            // Nothing of the batch was kept: say so to every caller.
            let why = sql_error(e).to_string();
            let _ = conn.execute_batch("ROLLBACK");
            for reply in replies {
                reply(Err(StoreError::Unavailable(format!(
                    "the commit failed, nothing was written: {why}"
                ))));
            }
        }
    }
}

/// A connection inside the writer's transaction.
struct SqliteConn<'a> {
    conn: &'a Connection,
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Int(None) | Value::Text(None) | Value::Null => {
                ToSqlOutput::Borrowed(ValueRef::Null)
            }
        })
    }
}

impl Conn for SqliteConn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let sql = Dialect::Sqlite.render(sql);
        let mut statement = self.conn.prepare_cached(&sql).map_err(sql_error)?;
        let changed = statement
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(sql_error)?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let sql = Dialect::Sqlite.render(sql);
        let mut statement = self.conn.prepare_cached(&sql).map_err(sql_error)?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(sql_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(sql_error)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(Some(v)),
                    ValueRef::Text(t) => Value::Text(Some(String::from_utf8_lossy(t).into_owned())),
                    ValueRef::Real(v) => {
                        return Err(StoreError::data(format!("a real number {v} in column {i}")));
                    }
                    ValueRef::Blob(_) => {
                        return Err(StoreError::data(format!("a blob in column {i}")));
                    }
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(sql_error)
    }
}
