//! Test support: a SQLite file path of its own, removed on drop with its
//! write-ahead log and shared-memory files.

use std::path::{Path, PathBuf};

/// A unique path under the temporary directory; nothing is created.
pub(crate) struct ScratchFile {
    path: PathBuf,
}

impl ScratchFile {
    /// A new path named after `name`, this process and the time.
    pub(crate) fn new(name: &str) -> Self {
        Self {
            path: std::env::temp_dir().join(format!(
                "pasarela-ledger-{name}-{}-{}.db",
                std::process::id(),
                time::OffsetDateTime::now_utc().unix_timestamp_nanos()
            )),
        }
    }

    /// The path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The path, as a store's `db` argument.
    pub(crate) fn db(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}
