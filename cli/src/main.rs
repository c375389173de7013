//! `pasarela`: the demo of the whole flow on the embedded simulator, the
//! simulator as a server, and signature/hash debugging tools.
//!
//! The command line is public interface (see the CLI contract in the
//! project's ARCHITECTURE.md): every subcommand has `--help`, `--json` makes
//! output one JSON object on stdout, failures exit non-zero with a one-line
//! reason on stderr, and nothing panics on bad input.
#![forbid(unsafe_code)]

mod bench;
mod demo;
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
    /// Operations per second of every core operation, one line each.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = err.print();
                return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(output::USAGE)
                } else {
                    ExitCode::SUCCESS
                };
            }
            let rendered = err.render().to_string();
            let first = rendered.split("\n\n").next().unwrap_or(&rendered);
            eprintln!(
                "pasarela: {}",
                output::one_line(first.trim_start_matches("error: "))
            );
            return ExitCode::from(output::USAGE);
        }
    };
    output::report(match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Simulate(args) => return simulate::run(args),
        Command::Smilepayz(cmd) => smilepayz_cmd::run(cmd),
        Command::Monnet(cmd) => monnet_cmd::run(cmd),
        Command::Bench(args) => bench::run(args),
    })
}
