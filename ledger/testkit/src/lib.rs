//! Test support for `pasarela-ledger`: a throwaway PostgreSQL server that a
//! test starts itself, on a loopback port it picked, and stops when done.
//!
//! It uses Debian's `postgresql` package (`initdb`, `pg_ctl`, `postgres`
//! from `/usr/lib/postgresql/<version>/bin`, or the first on `PATH`): a new
//! cluster in a temporary directory, trust authentication for the
//! `postgres` role, listening on `127.0.0.1` only, with its Unix socket in
//! that directory. PostgreSQL refuses to run as root, and tests run as root
//! in CI, so as root the cluster belongs to the `postgres` user and every
//! server command runs as that user (`runuser`).
//!
//! [`PgServer::start_or_skip`] is what tests call: when the binaries are
//! missing it skips (returns `None`) on a developer machine, and fails the
//! test under `CI=true`, where `.ci/run` has installed them.
//! [`PgServer::start_with_tls_or_skip`] starts one that offers TLS, with a
//! TEST ONLY certificate authority made for it ([`PgServer::ca`]).
#![forbid(unsafe_code)]

mod tls;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A PostgreSQL server of its own, in a temporary directory; stopped and
/// removed on drop.
#[derive(Debug)]
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    /// The CA the server's certificate chains to, when it offers TLS.
    ca: Option<PathBuf>,
}

/// Where Debian keeps the server binaries (the newest version first), then
/// `PATH`.
fn find_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("pg_ctl").is_file() && bin.join("initdb").is_file())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(newest) = versions.pop() {
        return Some(newest);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|dir| dir.join("pg_ctl").is_file() && dir.join("initdb").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot pick a port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the port: {e}"))
}

fn checked(what: &str, output: std::io::Result<Output>) -> Result<Output, String> {
    let output = output.map_err(|e| format!("{what}: cannot run: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl PgServer {
    /// Starts a new server, or says why it cannot.
    pub fn start() -> Result<Self, String> {
        Self::start_with(false)
    }

    /// Starts a new server that offers TLS (and still takes plain TCP),
    /// with a certificate for `127.0.0.1` signed by a TEST ONLY CA made
    /// for it ([`ca`](Self::ca)), or says why it cannot.
    pub fn start_with_tls() -> Result<Self, String> {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Result<Self, String> {
        let bin = find_bin().ok_or_else(|| {
            "PostgreSQL server binaries not found (install Debian's `postgresql` package)"
                .to_owned()
        })?;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pasarela-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let as_postgres = is_root();
        let mut server = Self {
            bin,
            dir,
            port: 0,
            as_postgres,
            ca: None,
        };
        // What the server's user must own: its directory, and with TLS its
        // certificate and key.
        let mut owned = vec![server.dir.clone()];
        let mut extra = String::new();
        if tls {
            let made = tls::make(&server.dir.join("tls"))?;
            // The server reads its key only when it alone may: owned by
            // the user it runs as, mode 0600.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&made.key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("chmod {}: {e}", made.key.display()))?;
            extra = format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                made.cert.display(),
                made.key.display()
            );
            owned.extend([made.key, made.cert]);
            server.ca = Some(made.ca);
        }
        if as_postgres {
            checked(
                "chown",
                Command::new("chown")
                    .arg("postgres:postgres")
                    .args(&owned)
                    .output(),
            )?;
        }
        let data = server.dir.join("data");
        checked(
            "initdb",
            server
                .command("initdb")
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--no-sync",
                ])
                .arg("-D")
                .arg(&data)
                .output(),
        )?;
        // A port picked now may be taken before the server binds it: try a
        // few.
        let mut last = String::new();
        for _ in 0..5 {
            server.port = free_port()?;
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 \
                 -c fsync=off -c full_page_writes=off{extra}",
                server.port,
                server.dir.display()
            );
            let started = server
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-w", "-t", "120", "-o", &options, "-l"])
                .arg(server.dir.join("server.log"))
                .arg("start")
                .stdin(Stdio::null())
                .output();
            match checked("pg_ctl start", started) {
                Ok(_) => return Ok(server),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Starts a server for a test, or skips the test when PostgreSQL is not
    /// installed — unless `CI=true`, where a missing server fails it.
    ///
    /// # Panics
    /// Under `CI=true` when the server cannot start, and anywhere when it
    /// is installed but fails to start.
    pub fn start_or_skip(test: &str) -> Option<Self> {
        Self::start_or_skip_with(test, false)
    }

    /// [`start_with_tls`](Self::start_with_tls), skipped or failed as
    /// [`start_or_skip`](Self::start_or_skip) says.
    ///
    /// # Panics
    /// As [`start_or_skip`](Self::start_or_skip).
    pub fn start_with_tls_or_skip(test: &str) -> Option<Self> {
        Self::start_or_skip_with(test, true)
    }

    fn start_or_skip_with(test: &str, tls: bool) -> Option<Self> {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        match Self::start_with(tls) {
            Ok(server) => Some(server),
            Err(e) if !ci && find_bin().is_none() => {
                eprintln!("{test}: skipped: {e}");
                None
            }
            Err(e) => panic!("{test}: PostgreSQL is required: {e}"),
        }
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// The PEM file of the TEST ONLY CA its certificate chains to, when it
    /// offers TLS (what a client's `sslrootcert` names).
    pub fn ca(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of its `postgres` database as the `postgres` role.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of a database on this server.
    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a database and returns its URL: one per test keeps tests
    /// apart on one server.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        checked(
            "createdb",
            self.command("createdb")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .arg(name)
                .output(),
        )?;
        Ok(self.database_url(name))
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_creates_a_database_and_stops() {
        let Some(server) = PgServer::start_or_skip("testkit") else {
            return;
        };
        let url = server.create_database("one").unwrap();
        assert!(url.ends_with("/one"), "{url}");
        let dir = server.dir.clone();
        let port = server.port();
        drop(server);
        assert!(!dir.exists(), "the directory is removed");
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the server stopped"
        );
    }
}
