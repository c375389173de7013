//! The CLI's log: `tracing` events formatted to stderr.
//!
//! The level comes from `RUST_LOG` when it is set (any `EnvFilter`
//! directive: `RUST_LOG=pasarela_cli=debug`), else from `-v`: none for
//! warnings only, `-v` for info, `-vv` and more for debug. Nothing logged by
//! this crate carries a key, secret, signature, card or payer datum: events
//! name steps, addresses, order references and counts.

use tracing_subscriber::EnvFilter;

/// The filter for `verbose` (`-v` count) when `RUST_LOG` is unset: more
/// of pasarela's own crates (`pasarela_cli`, `pasarela_core`, …), warnings
/// only from the HTTP stacks beneath them. Without `-v` the core's "webhook
/// refused" warning is left out: `verify-callback` and `verify-notification`
/// report the refusal as their result (one line), and a service's warning
/// would only say it twice.
fn level(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn,pasarela_core::webhook=error",
        1 => "warn,pasarela=info",
        _ => "warn,pasarela=debug",
    }
}

/// The filter in force: `RUST_LOG` if set and valid, else the `-v` level;
/// a `RUST_LOG` that does not parse is reported once and ignored.
fn filter(rust_log: Option<&str>, verbose: u8) -> (EnvFilter, Option<String>) {
    match rust_log {
        Some(directives) if !directives.trim().is_empty() => match EnvFilter::try_new(directives) {
            Ok(filter) => (filter, None),
            Err(e) => (
                EnvFilter::new(level(verbose)),
                Some(format!("RUST_LOG ignored, it does not parse: {e}")),
            ),
        },
        _ => (EnvFilter::new(level(verbose)), None),
    }
}

/// Installs the subscriber (once; a second call does nothing).
pub fn init(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let (filter, problem) = filter(rust_log.as_deref(), verbose);
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init()
        .is_ok();
    if let (true, Some(problem)) = (installed, problem) {
        tracing::warn!("{problem}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_wins_over_verbose_and_a_bad_one_falls_back() {
        assert_eq!(
            filter(None, 0).0.to_string(),
            "pasarela_core::webhook=error,warn"
        );
        assert_eq!(filter(None, 1).0.to_string(), "pasarela=info,warn");
        assert_eq!(filter(None, 5).0.to_string(), "pasarela=debug,warn");
        assert_eq!(filter(Some(""), 1).0.to_string(), "pasarela=info,warn");
        assert_eq!(
            filter(Some("pasarela_cli=trace"), 0).0.to_string(),
            "pasarela_cli=trace"
        );
        let (fallback, problem) = filter(Some("pasarela_cli=loud"), 1);
        assert_eq!(fallback.to_string(), "pasarela=info,warn");
        assert!(problem.unwrap().contains("RUST_LOG"));
    }
}
