//! The embedded store: one SQLite file, one writer thread, group commit.
//!
//! **Journal mode WAL, `synchronous=FULL`.** Every commit is written to
//! the write-ahead log and `fsync`ed before the caller hears "done", so a
//! transaction the ledger reported committed survives a process kill
//! (`SIGKILL`), an OS crash and a power cut, provided the disk honours
//! `fsync`. A power cut can lose only transactions that had not returned
//! yet — which is safe: the ledger acts (sends a create, hands over an
//! outcome, acknowledges a webhook) only after its write returned.
//! `synchronous=NORMAL` would skip the `fsync` and could lose the last
//! commits on a power cut — an intent recorded and then forgotten after its
//! create left — so it is not offered.
//!
//! **Reads** that change nothing (a payment, a listing, a history, its
//! outcomes) run on the calling thread, on a second connection set
//! `query_only`: write-ahead logging lets them read the last commit while
//! the writer works, so they never wait for its batches, and another
//! process reading the file (`pasarela ledger list`) takes no write lock.
//! Every job that writes, or reads in order to write, runs in the writer's
//! `BEGIN IMMEDIATE` transaction.
//!
//! **Group commit.** `fsync` is what a commit costs. One thread owns the
//! connection; callers queue jobs; the thread takes every job waiting,
//! runs them one after another in one transaction and commits them
//! together with one `fsync`, then answers each caller. Under load, one
//! `fsync` serves many payments. When a job fails (rare: an application's
//! effect, a lost claim), the whole transaction is rolled back and the
//! batch runs again with each job in its own savepoint, so that the error
//! rolls back that job alone — savepoints only then, because each copies
//! every page its job changes. A job may therefore run twice, which every
//! job allows ([`Store::transact`](super::Store::transact): PostgreSQL
//! retries jobs too); only its last run's writes are kept.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::answer::{self, Answer};
use super::sql::{Conn, Dialect, Row, Value};
use super::sqlite_readers::Readers;
use super::{Job, StoreError};

/// The most jobs committed together.
const BATCH: usize = 256;

/// How many prepared statements the writer keeps.
const STATEMENT_CACHE: usize = 256;

/// Delivers a job's result to its caller (typed on the caller's side).
type Reply = Box<dyn FnOnce(Done) + Send>;

struct Queued {
    job: Job<Box<dyn std::any::Any + Send>>,
    reply: Reply,
}

/// The SQLite database: its writer thread, and a connection for reads.
pub(crate) struct SqliteDb {
    path: PathBuf,
    /// Reads (a payment, a listing, a history): connections of their own,
    /// `query_only`, so that they never wait for the writer's batches
    /// (write-ahead logging lets them read the last commit meanwhile) nor
    /// for one another.
    readers: Readers,
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
        // Every statement the ledger runs stays prepared (rusqlite keeps
        // 16 by default, fewer than the ledger's: each would be compiled
        // again at nearly every use).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let readers = Readers::open(&path, STATEMENT_CACHE).map_err(|e| open_error(&path, e))?;
        let (tx, rx) = mpsc::channel::<Queued>();
        let thread = std::thread::Builder::new()
            .name("pasarela-ledger-sqlite".into())
            .spawn(move || writer(conn, rx))
            .map_err(|e| open_error(&path, format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            path,
            readers,
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

    /// Runs `job`, which only reads, on the calling thread in one read
    /// transaction of a reading connection: it sees the last commit, and
    /// waits for no batch of the writer's nor for other reads. A write in
    /// it is refused (`query_only`).
    pub(crate) fn read<R>(&self, mut job: Job<R>) -> Result<R, StoreError> {
        if std::thread::current().id() == self.writer {
            // From inside a transaction (an effect calling the ledger): it
            // would not see that transaction's own writes. Refused like a
            // write, as the documentation says.
            return Err(StoreError::Reentrant);
        }
        self.readers.with(|reader| {
            control(reader, "BEGIN")?;
            let result = job(&mut SqliteConn { conn: reader });
            // Nothing to keep either way: the read transaction only ends.
            let ended = control(reader, "ROLLBACK");
            let value = result?;
            ended.map(|()| value)
        })
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
    // First every job straight in the transaction; only when one fails
    // (rare: an application's effect, a lost claim) does the batch run
    // again with each job in its own savepoint, so that the failure rolls
    // back alone. A savepoint costs a copy of every page its job changes.
    if let Some(batch) = run_together(conn, batch) {
        run_isolated(conn, batch);
    }
}

/// Runs `sql` (a transaction control statement) from the statement cache.
fn control(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
        .map_err(sql_error)
}

/// Runs one job, a panic (an application's effect) turned into its error:
/// the writer lives on.
fn run_job(conn: &Connection, queued: &mut Queued) -> Done {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (queued.job)(&mut SqliteConn { conn })
    }))
    .unwrap_or_else(|_| Err(StoreError::data("the transaction's job panicked")))
}

/// What went wrong, without the wrapping [`fail_all`] adds again.
fn why(e: &StoreError) -> String {
    match e {
        StoreError::Unavailable(why) | StoreError::Database(why) => why.clone(),
        other => other.to_string(),
    }
}

/// Answers every job of a batch none of whose writes were kept.
fn fail_all(replies: impl IntoIterator<Item = Reply>, why: &str) {
    for reply in replies {
        reply(Err(StoreError::Unavailable(why.to_owned())));
    }
}

/// What SQLite did when it rolled a whole transaction back by itself.
const ROLLED_BACK: &str = "the database rolled the transaction back (disk full or I/O error?): \
                           nothing of it was written";

/// Runs the jobs one after another in one transaction and commits them
/// together. When one of several fails, rolls everything back and returns
/// the batch, unanswered, to run again isolated (jobs may run more than
/// once: see [`Job`]).
fn run_together(conn: &mut Connection, mut batch: Vec<Queued>) -> Option<Vec<Queued>> {
    if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
        fail_all(batch.into_iter().map(|q| q.reply), &why(&e));
        return None;
    }
    let mut results = Vec::with_capacity(batch.len());
    let alone = batch.len() == 1;
    for queued in &mut batch {
        let result = run_job(conn, queued);
        if conn.is_autocommit() {
            fail_all(batch.into_iter().map(|q| q.reply), ROLLED_BACK);
            return None;
        }
        if result.is_err() && !alone {
            let _ = control(conn, "ROLLBACK");
            return Some(batch);
        }
        results.push(result);
    }
    let ended = if results.iter().all(Result::is_ok) {
        control(conn, "COMMIT")
    } else {
        // The one job failed: nothing of it is kept.
        control(conn, "ROLLBACK")
    };
    answer_all(conn, ended, batch.into_iter().map(|q| q.reply), results);
    None
}

/// A job's result, as the writer hands it back.
type Done = Result<Box<dyn std::any::Any + Send>, StoreError>;

/// Answers each job with its result once its transaction `ended`; when
/// the commit failed, nothing of the batch was kept, and every job hears
/// so.
fn answer_all(
    conn: &Connection,
    ended: Result<(), StoreError>,
    replies: impl IntoIterator<Item = Reply>,
    results: Vec<Done>,
) {
    match ended {
        Ok(()) => {
            for (reply, result) in replies.into_iter().zip(results) {
                reply(result);
            }
        }
        Err(e) => {
            let _ = control(conn, "ROLLBACK");
            fail_all(
                replies,
                &format!("the commit failed, nothing was written: {}", why(&e)),
            );
        }
    }
}

/// Runs each job in its own savepoint (an error rolls back that job
/// alone) and commits them together.
fn run_isolated(conn: &mut Connection, batch: Vec<Queued>) {
    if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
        fail_all(batch.into_iter().map(|q| q.reply), &why(&e));
        return;
    }
    let mut results = Vec::with_capacity(batch.len());
    let mut replies = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    while let Some(mut queued) = jobs.next() {
        let result = match control(conn, "SAVEPOINT job") {
            Err(e) => Err(e),
            Ok(()) => {
                let outcome = run_job(conn, &mut queued);
                let closed = match &outcome {
                    Ok(_) => control(conn, "RELEASE job"),
                    Err(_) => {
                        control(conn, "ROLLBACK TO job").and_then(|()| control(conn, "RELEASE job"))
                    }
                };
                closed.and(outcome)
            }
        };
        results.push(result);
        replies.push(queued.reply);
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (a full disk, an I/O
            // error): the jobs before this one lost their writes too, and
            // the ones after must not run outside a transaction.
            fail_all(replies, ROLLED_BACK);
            fail_all(jobs.map(|q| q.reply), ROLLED_BACK);
            return;
        }
    }
    let ended = control(conn, "COMMIT");
    answer_all(conn, ended, replies, results);
}

/// `sql` for SQLite: copied only when it holds a placeholder to remove.
fn rendered(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains('{') {
        std::borrow::Cow::Owned(Dialect::Sqlite.render(sql))
    } else {
        std::borrow::Cow::Borrowed(sql)
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
        let sql = rendered(sql);
        let mut statement = self.conn.prepare_cached(&sql).map_err(sql_error)?;
        let changed = statement
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(sql_error)?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let sql = rendered(sql);
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A queued job that inserts `n` into `t` (and then fails, or panics,
    /// when told), counting its runs; and where its answer arrives.
    fn job(
        n: i64,
        end: Option<&'static str>,
        runs: &Arc<AtomicUsize>,
    ) -> (Queued, mpsc::Receiver<Result<(), String>>) {
        let runs = runs.clone();
        let (tx, rx) = mpsc::channel();
        let queued = Queued {
            job: Box::new(move |conn| {
                runs.fetch_add(1, Ordering::Relaxed);
                conn.execute("INSERT INTO t (n) VALUES (?1)", &[n.into()])?;
                match end {
                    Some("fail") => Err(StoreError::data(format!("job {n} fails"))),
                    Some(_) => panic!("job {n} panics"),
                    None => Ok(Box::new(()) as Box<dyn std::any::Any + Send>),
                }
            }),
            reply: Box::new(move |result| {
                let _ = tx.send(result.map(drop).map_err(|e| e.to_string()));
            }),
        };
        (queued, rx)
    }

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER NOT NULL)")
            .unwrap();
        conn
    }

    fn rows(conn: &Connection) -> Vec<i64> {
        let mut statement = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_failing_job_rolls_back_alone_and_the_others_are_kept() {
        let mut conn = table();
        let runs = Arc::new(AtomicUsize::new(0));
        let (a, a_answer) = job(1, None, &runs);
        let (b, b_answer) = job(2, Some("fail"), &runs);
        let (c, c_answer) = job(3, Some("panic"), &runs);
        let (d, d_answer) = job(4, None, &runs);
        run_batch(&mut conn, vec![a, b, c, d]);
        assert_eq!(rows(&conn), vec![1, 4]);
        assert_eq!(a_answer.recv().unwrap(), Ok(()));
        assert!(
            b_answer
                .recv()
                .unwrap()
                .unwrap_err()
                .contains("job 2 fails")
        );
        assert!(c_answer.recv().unwrap().unwrap_err().contains("panicked"));
        assert_eq!(d_answer.recv().unwrap(), Ok(()));
        // Together until job 2 failed (1, 2), then each isolated (1–4).
        assert_eq!(runs.load(Ordering::Relaxed), 6);
        assert!(conn.is_autocommit(), "no transaction left open");
    }

    #[test]
    fn a_batch_that_succeeds_runs_each_job_once_in_one_transaction() {
        let mut conn = table();
        let runs = Arc::new(AtomicUsize::new(0));
        let (jobs, answers): (Vec<_>, Vec<_>) = (1..=5).map(|n| job(n, None, &runs)).unzip();
        run_batch(&mut conn, jobs);
        assert_eq!(rows(&conn), vec![1, 2, 3, 4, 5]);
        assert!(answers.iter().all(|a| a.recv().unwrap().is_ok()));
        assert_eq!(runs.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn a_read_sees_the_last_commit_waits_for_no_batch_and_cannot_write() {
        let file = crate::store::scratch::ScratchFile::new("reader");
        let db = Arc::new(SqliteDb::open(&file.db(), true).unwrap());
        db.transact(Box::new(|conn| {
            conn.execute_batch("CREATE TABLE t (n INTEGER NOT NULL); INSERT INTO t VALUES (1)")
        }))
        .unwrap();
        let count = |conn: &mut dyn Conn| conn.query("SELECT COUNT(*) FROM t", &[])?[0].int(0);

        // The writer is held inside a batch that wrote a row, not committed.
        let (started, started_rx) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let held = db.submit(Box::new(move |conn| {
            conn.execute("INSERT INTO t VALUES (2)", &[])?;
            let _ = started.send(());
            let _ = release_rx.lock().unwrap().recv();
            Ok(())
        }));
        started_rx.recv().unwrap();

        // A read meanwhile answers, from the last commit: the writer would
        // make it wait for ever. (A minute is only a guard against a hang.)
        let (answer, answered) = mpsc::channel();
        let reader = db.clone();
        std::thread::spawn(move || {
            let _ = answer.send(reader.read(Box::new(count)));
        });
        let seen = answered
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the read waited for the writer's batch");
        assert_eq!(seen.unwrap(), 1);

        release.send(()).unwrap();
        held.wait().unwrap();
        assert_eq!(db.read(Box::new(count)).unwrap(), 2, "the commit is seen");

        let write = db
            .read(Box::new(|conn| {
                conn.execute("INSERT INTO t VALUES (3)", &[])
            }))
            .unwrap_err();
        assert!(write.to_string().contains("readonly"), "{write}");
        assert_eq!(db.transact(Box::new(count)).unwrap(), 2);
        drop(db);
    }

    #[test]
    fn a_lone_failing_job_is_rolled_back_and_run_once() {
        let mut conn = table();
        let runs = Arc::new(AtomicUsize::new(0));
        let (lone, answer) = job(7, Some("fail"), &runs);
        run_batch(&mut conn, vec![lone]);
        assert!(rows(&conn).is_empty());
        assert!(answer.recv().unwrap().is_err());
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        assert!(conn.is_autocommit());
    }
}
