//! Writing the commands' output to standard output when the reader may go away early.
//!
//! `print!` panics when stdout is closed (`dynsim schema | head -1`). Every `dynsim` command
//! prints through [`print()`] instead, which tells a closed pipe ([`PrintError::Closed`]: the
//! command stops quietly, as `ripgrep` does) from any other failure to write.

use std::fmt;
use std::io;

/// Stdout could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The reader closed the pipe: nobody wants more output. Not an error for the user.
    #[error("standard output was closed")]
    Closed,
    /// Any other failure (a full disk behind a redirection, ...).
    #[error("writing to standard output: {0}")]
    Failed(io::Error),
}

impl From<io::Error> for PrintError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe { PrintError::Closed } else { PrintError::Failed(e) }
    }
}

/// Writes `args` to stdout and flushes it.
pub fn print(args: fmt::Arguments<'_>) -> Result<(), PrintError> {
    write_to(&mut io::stdout().lock(), args)
}

/// Writes `args` to `w` and flushes it (what [`print()`] does with stdout).
pub fn write_to(w: &mut dyn io::Write, args: fmt::Arguments<'_>) -> Result<(), PrintError> {
    w.write_fmt(args)?;
    w.flush()?;
    Ok(())
}

/// Prints a formatted line to stdout: `outln!("x = {x}")?` is `println!` returning
/// `Result<(), PrintError>` instead of panicking.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::console::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone.
    struct Closed;
    impl io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A writer on a full disk.
    struct Full;
    impl io::Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::StorageFull))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_is_closed_and_any_other_failure_is_an_error() {
        assert!(matches!(write_to(&mut Closed, format_args!("x")), Err(PrintError::Closed)));
        assert!(matches!(write_to(&mut Full, format_args!("x")), Err(PrintError::Failed(_))));
        let mut v = Vec::new();
        write_to(&mut v, format_args!("a{}", 1)).unwrap();
        assert_eq!(v, b"a1");
    }
}
