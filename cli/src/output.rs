//! How every subcommand reports: one JSON object on stdout with `--json`,
//! readable lines otherwise, and a one-line reason on stderr for failures.
//!
//! Two rules hold for everything printed here:
//!
//! - **Nothing unsigned reaches the terminal raw.** Values from a callback or
//!   notification body (and error texts quoting them) go through [`escape`]:
//!   control characters, line breaks and bidirectional-override characters
//!   become visible `\u{..}` escapes, so a crafted body cannot print a line
//!   of its own (a fake `valid:`), move the cursor or reorder what is shown.
//! - **No argument value is echoed in an error.** Errors name the flag
//!   (`--body`, `--key-file`), never the value or path given to it: a secret
//!   pasted into the wrong flag stays out of logs and terminals.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

/// Exit code for "checked, and it is not valid" (a signature or hash).
pub const INVALID: u8 = 1;
/// Exit code for usage errors: missing files, unreadable keys, bad input.
pub const USAGE: u8 = 2;

/// Largest body (`--body`) read: callbacks, notifications and request bodies
/// are a few KiB.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Largest key file read: an RSA-8192 private key in PEM is about 6.4 KiB.
pub const MAX_KEY_BYTES: u64 = 64 * 1024;
/// Largest secret file read (merchant secret, KeyMonnet).
pub const MAX_SECRET_BYTES: u64 = 4 * 1024;

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

/// Collapses a possibly multi-line message into one line, with every
/// remaining control or bidi character escaped.
pub fn one_line(text: &str) -> String {
    escape(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether `c` must not reach a terminal as is: C0/C1 controls, DEL, line
/// and paragraph separators, and the bidirectional embedding, override and
/// isolate characters (the "Trojan Source" set).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// Text from outside (a body, a gateway's message) made safe for one
/// terminal line: unsafe characters as `\u{hex}`, backslash as `\\`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints the failure's reason on stderr, on one line, and turns it into an
/// exit code.
pub fn report(result: Result<ExitCode, Failure>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(failure) => {
            // `one_line` escapes too; applying it again to an already
            // one-line, escaped reason would double the backslashes, so only
            // collapse whatever a caller left unflattened.
            let reason = if failure.reason.chars().any(unsafe_char) {
                one_line(&failure.reason)
            } else {
                failure.reason
            };
            eprintln!("pasarela: {reason}");
            ExitCode::from(failure.code)
        }
    }
}

/// Prints one JSON object on one line. serde_json escapes control
/// characters; bidi and separator characters are escaped here too (still
/// valid JSON), so the line is safe on a terminal.
pub fn print_json(value: &serde_json::Value) {
    println!("{}", json_line(value));
}

/// The one-line JSON text [`print_json`] prints.
pub fn json_line(value: &serde_json::Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unsafe_char(c) {
            // serde_json has already escaped every C0 control inside strings,
            // and outside strings there is no such character.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Reports a signature or hash that does not verify: `{"valid": false,
/// "reason"}` (or a readable line) on stdout, the one-line reason on stderr,
/// exit code [`INVALID`].
pub fn report_invalid(json: bool, what: &str, reason: &str) -> ExitCode {
    let reason = one_line(reason);
    if json {
        print_json(&serde_json::json!({ "valid": false, "reason": reason }));
    } else {
        println!("invalid: {reason}");
    }
    eprintln!("pasarela: {what} does not verify: {reason}");
    ExitCode::from(INVALID)
}

/// Reads a file, refusing what is not a regular file (a FIFO would block,
/// `/dev/zero` never ends) and anything over `cap` bytes. Errors name
/// `label` ("body (--body)"), never the path: it may be a secret pasted into
/// the wrong flag.
pub fn read_capped(label: &str, path: &Path, cap: u64) -> Result<Vec<u8>, Failure> {
    let cannot =
        |e: std::io::Error| Failure::usage(format!("cannot read {label}: {}", io_reason(&e)));
    // `metadata` follows symlinks and never blocks, unlike opening a FIFO.
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(Failure::usage(format!(
            "cannot read {label}: {} is accepted, not {}",
            "a regular file",
            kind(&meta)
        )));
    }
    let file = File::open(path).map_err(cannot)?;
    // Checked again on the open file, in case the path changed in between.
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(Failure::usage(format!(
            "cannot read {label}: it is not a regular file"
        )));
    }
    let too_big = || {
        Failure::usage(format!(
            "cannot read {label}: larger than the {cap}-byte limit"
        ))
    };
    if meta.len() > cap {
        return Err(too_big());
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap + 1).read_to_end(&mut out).map_err(cannot)?;
    if out.len() as u64 > cap {
        return Err(too_big());
    }
    // A regular file on disk has the size it says; /proc and /sys files
    // (`/proc/self/environ`) say 0 and have content.
    if out.len() as u64 > meta.len() {
        return Err(Failure::usage(format!(
            "cannot read {label}: it is not a regular file on disk (its size is not what it \
             says: a /proc or /sys file?)"
        )));
    }
    Ok(out)
}

/// An I/O error's reason without the path (std's messages carry none, but
/// the `kind` is what the user needs).
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Reads a body file (`--body`), capped at [`MAX_BODY_BYTES`].
pub fn read_body(path: &Path) -> Result<Vec<u8>, Failure> {
    read_capped("body (--body)", path, MAX_BODY_BYTES)
}

/// Reads a text file (a key) labelled `label` ("private key
/// (--private-key)"), capped at [`MAX_KEY_BYTES`].
pub fn read_text(label: &str, path: &Path) -> Result<String, Failure> {
    let bytes = read_capped(label, path, MAX_KEY_BYTES)?;
    String::from_utf8(bytes).map_err(|_| Failure::usage(format!("{label} is not UTF-8 text")))
}

/// Where a secret may come from: a flag with the value, a flag with a file,
/// or an environment variable. Exactly one must be given.
pub struct SecretSources<'a> {
    /// What the secret is, for messages ("the merchant secret", "KeyMonnet").
    pub what: &'a str,
    /// The value flag (`--merchant-secret`) and what it carried.
    pub value_flag: (&'a str, Option<String>),
    /// The file flag (`--merchant-secret-file`) and its path.
    pub file_flag: (&'a str, Option<&'a Path>),
    /// The environment variable's name.
    pub env: &'a str,
}

impl SecretSources<'_> {
    /// The secret from its one source. A file's one trailing line break
    /// (`\n` or `\r\n`) is dropped; an empty environment variable counts as
    /// unset. Errors never show the value, the path or the variable's content.
    pub fn resolve(self) -> Result<String, Failure> {
        let (value_flag, value) = self.value_flag;
        let (file_flag, file) = self.file_flag;
        let env = match std::env::var_os(self.env) {
            Some(v) if v.is_empty() => None,
            Some(v) => Some(
                v.into_string()
                    .map_err(|_| Failure::usage(format!("{} is not UTF-8 text", self.env)))?,
            ),
            None => None,
        };
        let given: Vec<&str> = [
            value.as_ref().map(|_| value_flag),
            file.map(|_| file_flag),
            env.as_ref().map(|_| self.env),
        ]
        .into_iter()
        .flatten()
        .collect();
        let all = format!(
            "{file_flag} FILE, the environment variable {}, or {value_flag}",
            self.env
        );
        if given.len() > 1 {
            return Err(Failure::usage(format!(
                "{} is given more than once ({}); give exactly one of {all}",
                self.what,
                given.join(" and ")
            )));
        }
        let (secret, source) = if let Some(v) = value {
            (v, value_flag)
        } else if let Some(path) = file {
            let label = format!("{} ({file_flag})", self.what);
            let bytes = read_capped(&label, path, MAX_SECRET_BYTES)?;
            let mut text = String::from_utf8(bytes).map_err(|_| {
                Failure::usage(format!("{} ({file_flag}) is not UTF-8 text", self.what))
            })?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            (text, file_flag)
        } else if let Some(v) = env {
            (v, self.env)
        } else {
            return Err(Failure::usage(format!(
                "{} is required: give {all}",
                self.what
            )));
        };
        if secret.is_empty() {
            return Err(Failure::usage(format!("{} ({source}) is empty", self.what)));
        }
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn pseudo_files_are_not_read_like_regular_files() {
        let refused = read_body(Path::new("/proc/self/environ")).unwrap_err();
        assert!(
            refused.reason.contains("not a regular file"),
            "{}",
            refused.reason
        );
        assert!(refused.reason.contains("--body"));
        assert!(
            !refused.reason.contains("environ"),
            "the path is not echoed"
        );
    }

    #[test]
    fn escape_makes_one_visible_line() {
        assert_eq!(escape("ok"), "ok");
        assert_eq!(escape("a\nvalid: b"), "a\\u{a}valid: b");
        assert_eq!(escape("\r\x1b[2K\t"), "\\u{d}\\u{1b}[2K\\u{9}");
        assert_eq!(escape("\u{202E}abc\u{2066}"), "\\u{202e}abc\\u{2066}");
        assert_eq!(escape("\u{85}\u{7f}"), "\\u{85}\\u{7f}");
        // a literal backslash-u in the input cannot pass for an escape
        assert_eq!(escape("\\u{a}"), "\\\\u{a}");
        assert_eq!(escape("café ✓"), "café ✓");
    }

    #[test]
    fn one_line_flattens_and_escapes() {
        assert_eq!(one_line("a\n  b\r\n\tc"), "a b c");
        assert_eq!(one_line("x\u{1b}[31my"), "x\\u{1b}[31my");
    }

    #[test]
    fn json_line_escapes_bidi_and_stays_json() {
        let v = serde_json::json!({ "s": "a\u{202E}b\n\u{1b}" });
        let line = json_line(&v);
        assert!(!line.contains('\u{202E}') && !line.contains('\n') && !line.contains('\u{1b}'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), v);
    }
}
