//! What the end-to-end, crash and fleet tests share: a temporary
//! directory, the test card, a small random source, the merchant binary as
//! a child process, the proxies (the tap in front of the gateways, the
//! relay in front of the merchants), the shoppers, and the books checked
//! at the end.

pub mod books;
pub mod merchant;
pub mod relay;
pub mod serve;
pub mod shopper;
pub mod tap;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use pasarela_simulator::{LoopbackServer, Simulator, SimulatorConfig};

/// A directory of the test's own, removed when dropped (kept, and named
/// on stderr, when the test fails).
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory named for `what` and this process.
    pub fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pasarela-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for inspection: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The checkout form of a Monnet card pay-in (the gateway's public test
/// card); `amount` first.
pub const CARD_FORM: [(&str, &str); 13] = [
    ("amount", "150.00"),
    ("name", "Rosa"),
    ("last_name", "Quispe"),
    ("email", "rosa@example.com"),
    ("phone", "987654321"),
    ("document_type", "DNI"),
    ("document", "44556677"),
    ("address", "Av. Arequipa 123"),
    ("city", "Lima"),
    ("zip_code", "15001"),
    ("pan", "4517721004856075"),
    ("cvv", "123"),
    ("expiry", "2030-12"),
];

/// A small shared random source (xorshift), seeded from the clock or
/// `PASARELA_FAULT_SEED`: which fault happens where.
pub struct Rng {
    state: AtomicU64,
    seed: u64,
}

impl Rng {
    /// Seeded from `PASARELA_FAULT_SEED`, else the clock.
    pub fn seeded() -> Self {
        let seed = std::env::var("PASARELA_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64
                    ^ u64::from(std::process::id())
            });
        Self {
            state: AtomicU64::new(seed | 1),
            seed,
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next number.
    pub fn next(&self) -> u64 {
        let step = |mut x: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut now = self.state.load(Ordering::Relaxed);
        loop {
            match self.state.compare_exchange_weak(
                now,
                step(now),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return step(now),
                Err(seen) => now = seen,
            }
        }
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `p`.
    pub fn chance(&self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// A size from the environment (`PASARELA_CRASH_ROUNDS`, …), else the CI
/// default.
pub fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts the loopback simulator (its start-up blocks: on a blocking
/// task).
pub async fn simulator(config: SimulatorConfig) -> LoopbackServer {
    tokio::task::spawn_blocking(move || {
        LoopbackServer::start(
            Simulator::new(config).unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .unwrap()
    })
    .await
    .unwrap()
}

/// Opens the ledger the merchants write, to read it (blocking).
pub async fn open_ledger(db: String) -> pasarela_ledger::Ledger {
    tokio::task::spawn_blocking(move || pasarela_ledger::Ledger::open(&db).unwrap())
        .await
        .unwrap()
}
