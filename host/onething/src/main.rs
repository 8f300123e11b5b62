//! The `onething` binary: the command-line edge of the host.

mod cases;
mod cli;
mod config;
mod host_key;
mod paths;
mod store;

// The host allocates many small objects per step (fresh stores, events,
// requests); mimalloc handles that across threads far better than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
