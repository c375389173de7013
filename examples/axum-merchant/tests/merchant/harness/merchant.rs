//! The merchant binary as a child process: started on a port it picks,
//! killed with `SIGKILL` by the test or stopping itself at a crash point,
//! and always killed when dropped (a failing test leaves nothing running).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Duration;

/// The exit code of a crash point (`MERCHANT_CRASH_POINTS`).
pub const CRASH_POINT_EXIT: i32 = 86;

/// How to run an instance.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `--db`.
    pub db: String,
    /// `--simulator-url` (the tap).
    pub simulator_url: String,
    /// `--public-url` (the relay).
    pub public_url: String,
    /// `--fast`.
    pub fast: bool,
    /// `--gateway-timeout-secs`.
    pub gateway_timeout_secs: u64,
    /// `--sweep-every-ms`.
    pub sweep_every_ms: u64,
    /// `MERCHANT_CRASH_POINTS`, if any.
    pub crash_points: Option<String>,
    /// Where its stderr goes (appended).
    pub log: PathBuf,
}

/// A running instance.
pub struct Merchant {
    child: Child,
    addr: SocketAddr,
    _stdout: BufReader<ChildStdout>,
}

impl Merchant {
    /// Starts an instance and waits (generously) for its `{"addr": …}`
    /// line. Blocking: call it from a blocking task.
    pub fn start(spec: &Spec) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_pasarela-axum-merchant"));
        command
            .args(["--listen", "127.0.0.1:0", "--db", &spec.db])
            .args(["--simulator-url", &spec.simulator_url])
            .args(["--public-url", &spec.public_url])
            .args([
                "--gateway-timeout-secs",
                &spec.gateway_timeout_secs.to_string(),
            ])
            .args(["--sweep-every-ms", &spec.sweep_every_ms.to_string()])
            .env_remove("MERCHANT_CRASH_POINTS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        if spec.fast {
            command.arg("--fast");
        }
        if let Some(points) = &spec.crash_points {
            command.env("MERCHANT_CRASH_POINTS", points);
        }
        let mut child = command.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        // The first line, read on a thread so that a silent child cannot
        // hang the test.
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut line = String::new();
            let read = stdout.read_line(&mut line);
            let _ = tx.send(read.map(|_| line));
            stdout
        });
        let line = rx.recv_timeout(Duration::from_secs(120));
        let addr = match line {
            Ok(Ok(line)) if !line.is_empty() => {
                let printed: serde_json::Value = serde_json::from_str(&line).unwrap();
                printed["addr"].as_str().unwrap().parse().unwrap()
            }
            other => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "the merchant did not start ({other:?}, {status:?}); its log:\n{}",
                    tail(&spec.log)
                );
            }
        };
        let stdout = reader.join().unwrap();
        Self {
            child,
            addr,
            _stdout: stdout,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How it ended, if it did.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// `SIGKILL` (on Unix, `Child::kill`), then reaps it: how it ended.
    pub fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().unwrap()
    }
}

impl Drop for Merchant {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last lines of a log, for a failure's message.
pub fn tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
