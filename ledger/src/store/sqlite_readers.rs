//! SQLite's reading connections: a few, `query_only`, beside the writer's.
//!
//! Write-ahead logging lets every reader see the last commit while the
//! writer works, and readers never block one another: reads on different
//! threads run side by side, each on a connection of its own, up to
//! [`READERS`] at once (more wait for one to come back).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use super::pool::Pool;

/// Reading connections open at most, per database.
pub(crate) const READERS: usize = 4;

/// The reading connections of one database file.
pub(crate) struct Readers {
    path: PathBuf,
    cache: usize,
    pool: Pool<Connection>,
}

/// One reading connection: `query_only`, waiting up to ten seconds for a
/// lock (a checkpoint), with `cache` statements kept prepared.
fn open_reader(path: &Path, cache: usize) -> rusqlite::Result<Connection> {
    let reader = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    reader.execute_batch("PRAGMA busy_timeout=10000; PRAGMA query_only=ON;")?;
    reader.set_prepared_statement_cache_capacity(cache);
    Ok(reader)
}

impl Readers {
    /// Opens the first reading connection now (so a file that cannot be
    /// read fails at open); the others when reads need them.
    pub(crate) fn open(path: &Path, cache: usize) -> rusqlite::Result<Self> {
        let first = open_reader(path, cache)?;
        Ok(Self {
            path: path.to_owned(),
            cache,
            pool: Pool::new(READERS, first),
        })
    }

    /// Runs `f` on a reading connection of its own.
    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let conn = self.pool.take(|| {
            open_reader(&self.path, self.cache).map_err(|e| {
                StoreError::Unavailable(format!(
                    "cannot open a reading connection to {}: {e}",
                    self.path.display()
                ))
            })
        })?;
        let result = f(&conn);
        // A connection survives its statements' errors, not a transaction
        // left open (a panic in `f` closes it: the pool's `Taken`).
        let healthy = conn.is_autocommit();
        conn.give_back(healthy);
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::scratch::ScratchFile;
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    /// A WAL database with one empty table, removed on drop.
    fn file(name: &str) -> ScratchFile {
        let file = ScratchFile::new(name);
        let conn = Connection::open(file.path()).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER);")
            .unwrap();
        file
    }

    #[test]
    fn reads_run_side_by_side_up_to_the_bound() {
        let file = file("side-by-side");
        let readers = Arc::new(Readers::open(file.path(), 16).unwrap());
        // READERS reads hold their connections until told; one more read
        // meanwhile waits for one of them, then runs. (A minute is only a
        // guard against a hang.)
        let (held, held_rx) = mpsc::channel();
        let mut releases = Vec::new();
        let mut holders = Vec::new();
        for _ in 0..READERS {
            let (release, release_rx) = mpsc::channel::<()>();
            releases.push(release);
            let (readers, held) = (readers.clone(), held.clone());
            holders.push(std::thread::spawn(move || {
                readers.with(|conn| {
                    let n: i64 = conn
                        .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
                        .unwrap();
                    held.send(()).unwrap();
                    release_rx.recv().unwrap();
                    Ok(n)
                })
            }));
        }
        for _ in 0..READERS {
            held_rx
                .recv_timeout(Duration::from_secs(60))
                .expect("every read had a connection of its own at once");
        }
        assert_eq!(readers.pool.open(), READERS);
        assert_eq!(readers.pool.idle(), 0);
        let (answer, answered) = mpsc::channel();
        let waiting = readers.clone();
        std::thread::spawn(move || {
            let _ = answer.send(waiting.with(|_| Ok(())));
        });
        releases.pop().unwrap().send(()).unwrap();
        answered
            .recv_timeout(Duration::from_secs(60))
            .expect("the extra read ran once a connection came back")
            .unwrap();
        for release in releases {
            release.send(()).unwrap();
        }
        for holder in holders {
            assert_eq!(holder.join().unwrap().unwrap(), 0);
        }
        assert_eq!(readers.pool.open(), READERS);
        assert_eq!(readers.pool.idle(), READERS);
        drop(readers);
    }

    /// `SELECT COUNT(*) FROM t` on a reading connection.
    fn count(readers: &Readers) -> Result<i64, StoreError> {
        readers.with(|conn| {
            conn.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
                .map_err(|e| StoreError::data(e.to_string()))
        })
    }

    #[test]
    fn reads_that_panic_or_leave_a_transaction_open_are_not_reused() {
        let file = file("panics");
        let readers = Readers::open(file.path(), 16).unwrap();
        // An application's read closure may panic: each time, its
        // connection is closed and its place freed (before, READERS panics
        // used every place up and the next read waited forever).
        for _ in 0..READERS {
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                readers.with(|_| -> Result<(), StoreError> { panic!("a read job panicked") })
            }));
            assert!(panicked.is_err());
        }
        assert_eq!((readers.pool.open(), readers.pool.idle()), (0, 0));
        assert_eq!(count(&readers).unwrap(), 0);
        assert_eq!((readers.pool.open(), readers.pool.idle()), (1, 1));
        // A connection left inside a transaction is closed, not lent again.
        readers
            .with(|conn| {
                conn.execute_batch("BEGIN")
                    .map_err(|e| StoreError::data(e.to_string()))
            })
            .unwrap();
        assert_eq!((readers.pool.open(), readers.pool.idle()), (0, 0));
        assert_eq!(count(&readers).unwrap(), 0);
    }

    #[test]
    fn a_file_that_cannot_be_read_fails_at_open() {
        let missing = std::env::temp_dir().join("pasarela-readers-no-such-dir/x.db");
        assert!(Readers::open(&missing, 16).is_err());
    }
}
