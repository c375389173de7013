//! The simulator against a client written independently of the SDK:
//! `conformance/clients/python/independent_client.py`, Python standard
//! library plus the `openssl` command line, following only GATEWAYS.md and
//! the seeds. It creates a pay-in on each gateway, checks that every
//! tampering is rejected, and verifies the callback/notification it receives.
//!
//! `python3` and `openssl` are required: without them this test fails (it
//! does not skip), so a CI machine missing them is noticed.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::support::*;

/// Generous: the client takes about two seconds on a laptop.
const TIMEOUT: Duration = Duration::from_secs(120);

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients/python/independent_client.py")
}

/// Panics with a clear message when `program` cannot be run.
fn require(program: &str, version_arg: &str) {
    match Command::new(program)
        .arg(version_arg)
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`{program} {version_arg}` failed ({}): the independent client needs {program} on PATH\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "`{program}` is not runnable ({e}): the independent client test needs \
             {program} on PATH (CI machines have it; this test does not skip)"
        ),
    }
}

fn drain(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = from.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

#[test]
fn independent_python_client_passes_against_the_loopback_simulator() {
    require("python3", "--version");
    require("openssl", "version");

    let server = server();
    let mut child = Command::new("python3")
        .arg(script())
        .arg(server.base_url())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python3");
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for python3") {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    server.shutdown();

    let report = format!("--- stdout ---\n{stdout}--- stderr ---\n{stderr}");
    let status = status.unwrap_or_else(|| panic!("timed out after {TIMEOUT:?}\n{report}"));
    assert!(
        status.success(),
        "independent client exited with {status}\n{report}"
    );
    // Exit 0 and no FAIL line; and it did run both gateways' flows.
    assert!(!stdout.contains("FAIL "), "{report}");
    for line in [
        "ok smilepayz pay-in accepted",
        "ok smilepayz callback signature verifies with the platform key",
        "ok smilepayz inquiry-status says SUCCESS",
        "ok smilepayz inquiry-balance answers the documented shape",
        "ok smilepayz inquiry-balance refuses an unknown account",
        "ok monnet rejects an empty payinVerification with 0005",
        "ok monnet rejects an empty payinTransactionErrorURL with 0006",
        "ok monnet rejects a payinMethod that is not a card method with 0008",
        "ok monnet rejects a document type Monnet does not know with 0022",
        "ok monnet create accepted",
        "ok monnet notification hash verifies",
        "ok monnet status query says state 5",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing `{line}`\n{report}"
        );
    }
}
