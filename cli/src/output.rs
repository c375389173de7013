//! How every subcommand reports: one JSON object on stdout with `--json`,
//! readable lines otherwise, and a one-line reason on stderr for failures.

use std::process::ExitCode;

/// Exit code for "checked, and it is not valid" (a signature or hash).
pub const INVALID: u8 = 1;
/// Exit code for usage errors: missing files, unreadable keys, bad input.
pub const USAGE: u8 = 2;

/// A failure to report: a one-line reason and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub reason: String,
}

impl Failure {
    /// A usage failure (exit 2).
    pub fn usage(reason: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            reason: one_line(&reason.into()),
        }
    }
}

/// Collapses a possibly multi-line message into one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints the failure's reason on stderr and turns it into an exit code.
pub fn report(result: Result<ExitCode, Failure>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("pasarela: {}", failure.reason);
            ExitCode::from(failure.code)
        }
    }
}

/// Prints one JSON object on one line.
pub fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

/// Reports a signature or hash that does not verify: `{"valid": false,
/// "reason"}` (or a readable line) on stdout, the one-line reason on stderr,
/// exit code [`INVALID`].
pub fn report_invalid(json: bool, what: &str, reason: &str) -> ExitCode {
    if json {
        print_json(&serde_json::json!({ "valid": false, "reason": reason }));
    } else {
        println!("invalid: {reason}");
    }
    eprintln!("pasarela: {what} does not verify: {reason}");
    ExitCode::from(INVALID)
}

/// Reads a file the user named, with a one-line reason on failure.
pub fn read_file(what: &str, path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read {what} {}: {e}", path.display())))
}

/// Reads a text file (a key) the user named.
pub fn read_text(what: &str, path: &std::path::Path) -> Result<String, Failure> {
    let bytes = read_file(what, path)?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("{what} {} is not UTF-8 text", path.display())))
}
