//! `pasarela`: the demo of the whole flow on the embedded simulator, the
//! simulator as a server, and signature/hash debugging tools.
//!
//! The command line is public interface (see the CLI contract in the
//! project's ARCHITECTURE.md): every subcommand has `--help`, `--json` makes
//! output one JSON object on stdout, failures exit non-zero with a one-line
//! reason on stderr, and nothing panics on bad input.
//!
//! Logging goes through `tracing` to stderr: warnings only by default (so
//! the output above is unchanged), `-v` for info, `-vv` for debug, or any
//! `RUST_LOG` filter, which wins over `-v`. Log lines name steps, addresses
//! and counts, never a key, secret, signature, card or payer datum.
#![forbid(unsafe_code)]

mod bench;
mod demo;
mod ledger_cmd;
mod logging;
mod monnet_cmd;
mod output;
mod simulate;
mod smilepayz_cmd;

use std::process::ExitCode;

use clap::Parser;

/// Peruvian pay-in gateways (SmilePayz, Monnet) from the command line.
#[derive(Parser)]
#[command(name = "pasarela", version, about, long_about = None)]
struct Cli {
    /// Log more to stderr: -v info, -vv debug (RUST_LOG, when set, wins).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

// No `Debug`: these arguments carry secrets (merchant secret, KeyMonnet).
#[derive(clap::Subcommand)]
enum Command {
    /// Run the whole flow for both gateways against the embedded simulator
    /// (or a running `pasarela simulate` with --simulator-url).
    Demo(demo::DemoArgs),
    /// Run the gateway simulator on loopback; print its address and test credentials.
    Simulate(simulate::SimulateArgs),
    /// SmilePayz signature and callback debugging.
    #[command(subcommand)]
    Smilepayz(smilepayz_cmd::SmilepayzCommand),
    /// Monnet hash and notification debugging.
    #[command(subcommand)]
    Monnet(monnet_cmd::MonnetCommand),
    /// Operations per second of every core operation, one line each; with
    /// --load N, N whole pay-ins per transport and backend against the crypto ceiling.
    Bench(bench::BenchArgs),
    /// The merchant's ledger (pasarela-ledger): migrate, list, show.
    #[command(subcommand)]
    Ledger(ledger_cmd::LedgerCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                // A failure like any other: the help goes to stdout, the
                // one-line reason to stderr.
                print!("{}", err.render());
                eprintln!(
                    "pasarela: a subcommand is required (see `{} --help`)",
                    command_path()
                );
                return ExitCode::from(output::USAGE);
            }
            eprintln!("pasarela: {}", usage_error(&err));
            return ExitCode::from(output::USAGE);
        }
    };
    logging::init(cli.verbose);
    output::report(match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Simulate(args) => return simulate::run(args),
        Command::Smilepayz(cmd) => smilepayz_cmd::run(cmd),
        Command::Monnet(cmd) => monnet_cmd::run(cmd),
        Command::Bench(args) => bench::run(args),
        Command::Ledger(cmd) => ledger_cmd::run(cmd),
    })
}

/// A one-line usage error built from what clap found, naming flags only.
///
/// clap's own message quotes what was typed: `unexpected argument
/// '--kye=SECRET'`, `invalid value 'SECRET' for '--json'`, `unexpected
/// argument 'SECRET'` for a stray positional. Any of those may be a secret
/// typed into the wrong place, so the message is rebuilt from the error's
/// kind and the names of our own arguments; a typed token appears only when
/// it is one of our flag names.
fn usage_error(err: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let strings = |kind: ContextKind| -> Vec<String> {
        match err.get(kind) {
            Some(ContextValue::String(s)) => vec![s.clone()],
            Some(ContextValue::Strings(v)) => v.clone(),
            Some(ContextValue::StyledStr(s)) => vec![s.to_string()],
            Some(ContextValue::StyledStrs(v)) => v.iter().map(|s| s.to_string()).collect(),
            _ => Vec::new(),
        }
    };
    // An argument as we declared it (`--key <K>`): our text, never the user's.
    let arg = || {
        strings(ContextKind::InvalidArg)
            .into_iter()
            .next()
            .map(|a| flag_name(&a))
            .unwrap_or_else(|| "an argument".to_owned())
    };
    let suggestion = || {
        let mut hint = String::new();
        if let Some(s) = strings(ContextKind::SuggestedArg).first() {
            hint = format!("; did you mean {}?", flag_name(s));
        } else if let Some(s) = strings(ContextKind::SuggestedSubcommand).first() {
            hint = format!("; did you mean `{s}`?");
        }
        hint
    };
    let message = match err.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            format!("invalid value for {} (value not shown)", arg())
        }
        ErrorKind::UnknownArgument => {
            // The typed token: shown only up to `=`, and only when it is
            // flag-shaped (`--kye`), never a bare value or `-x…` cluster.
            let token = strings(ContextKind::InvalidArg)
                .into_iter()
                .next()
                .unwrap_or_default();
            let name = token.split('=').next().unwrap_or_default();
            let flag_shaped = name.len() <= 40
                && name.strip_prefix("--").is_some_and(|rest| {
                    !rest.is_empty()
                        && rest
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
            if flag_shaped {
                format!("unexpected argument {name}{}", suggestion())
            } else {
                format!("unexpected argument (not shown){}", suggestion())
            }
        }
        ErrorKind::InvalidSubcommand => {
            let valid = strings(ContextKind::ValidSubcommand);
            let mut m = format!("unrecognized subcommand (not shown){}", suggestion());
            if !valid.is_empty() {
                m.push_str(&format!("; expected one of: {}", valid.join(", ")));
            }
            m
        }
        ErrorKind::NoEquals => format!("{} needs `=` before its value", arg()),
        ErrorKind::TooManyValues => format!("{} takes no more values", arg()),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("wrong number of values for {}", arg())
        }
        ErrorKind::ArgumentConflict => {
            let prior = strings(ContextKind::PriorArg);
            match prior.first() {
                Some(p) if flag_name(p) == arg() => format!("{} is given more than once", arg()),
                Some(p) => format!("{} cannot be used with {}", arg(), flag_name(p)),
                None => format!("{} cannot be used with another argument given", arg()),
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let missing: Vec<String> = strings(ContextKind::InvalidArg)
                .iter()
                .map(|a| flag_name(a))
                .collect();
            format!("missing required arguments: {}", missing.join(", "))
        }
        ErrorKind::MissingSubcommand => "a subcommand is required (see --help)".to_owned(),
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_owned(),
        _ => "invalid arguments".to_owned(),
    };
    output::one_line(&format!("{message} (see `{} --help`)", command_path()))
}

/// `pasarela smilepayz sign`: the subcommands named on the command line, as
/// far as they are ours (only our own names are ever printed).
fn command_path() -> String {
    use clap::CommandFactory as _;
    let mut command = Cli::command();
    let mut path = vec!["pasarela".to_owned()];
    for arg in std::env::args_os().skip(1) {
        let Some(arg) = arg.to_str() else { break };
        let Some(sub) = command.find_subcommand(arg).cloned() else {
            break;
        };
        path.push(sub.get_name().to_owned());
        command = sub;
    }
    path.join(" ")
}

/// `--key <K>` → `--key`: the flag as we declared it, without value names.
fn flag_name(declared: &str) -> String {
    declared
        .split_whitespace()
        .next()
        .unwrap_or(declared)
        .trim_matches(['\'', '`'])
        .to_owned()
}
