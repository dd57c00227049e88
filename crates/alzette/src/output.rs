//! Standard output for what commands print. A reader that goes away (`alzette runs | head -2`)
//! is no error: what follows is dropped, and the command ends as it would have (its exit code,
//! its flushes), as `cat` and ripgrep do. Any other failure to write is an error to report.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the reader of standard output has closed it.
static READER_GONE: AtomicBool = AtomicBool::new(false);

/// Standard output, forgiving a closed pipe.
///
/// ```ignore
/// use std::io::Write;
/// writeln!(Stdout, "{} sources", 3)?;
/// ```
pub struct Stdout;

impl Stdout {
    fn forgiving<T>(result: io::Result<T>, nothing: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                READER_GONE.store(true, Ordering::Relaxed);
                Ok(nothing)
            }
            other => other,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if READER_GONE.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        Self::forgiving(io::stdout().lock().write(buf), buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if READER_GONE.load(Ordering::Relaxed) {
            return Ok(());
        }
        Self::forgiving(io::stdout().lock().flush(), ())
    }
}

/// `println!` to [`Stdout`], as an `io::Result` for `?`.
macro_rules! outln {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(
            &mut $crate::output::Stdout,
            format_args!("{}\n", format_args!($($arg)*)),
        )
    };
}

/// `print!` to [`Stdout`], as an `io::Result` for `?`.
macro_rules! out {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut $crate::output::Stdout, format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};
