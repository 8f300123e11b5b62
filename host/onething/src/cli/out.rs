//! Standard output for the commands: [`outln!`] prints a line like
//! `println!`, but when the reader has gone (`onething plugin check … |
//! head`) the command ends quietly, as a Unix tool killed by SIGPIPE does,
//! instead of panicking. Not for logs (stderr, through `tracing`).

use std::io::Write as _;

/// The exit status when the reader of standard output has gone: what a
/// shell reports for a command ended by SIGPIPE (128 + 13).
pub const READER_GONE: i32 = 141;

/// Print a line on standard output; see the module.
macro_rules! outln {
    () => {
        $crate::cli::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}

/// Write one line; end the process if standard output is closed.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(READER_GONE);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}
