//! The `onething` binary: the command-line edge of the host.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
