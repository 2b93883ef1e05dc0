//! Helpers shared by the hand-written peer servers of the echo benchmark.
//!
//! The benchmark harness itself is the `echo-bench` binary
//! (`src/bin/echo-bench/`); the peers are the `*-bufio`, `tokio-codec` and
//! `*-naive` binaries in `src/bin/`. Every peer takes the same flags as weir's
//! `echo_server` examples (`--host`, `--port`) and prints `Serving on ADDR`
//! once it listens.

use clap::Parser;

pub mod serve;

/// The longest line a peer accepts, newline included: weir's default
/// `StreamReader` limit (asyncio's too). A longer line closes the connection,
/// as weir's `echo_server --mode lines` does when `read_line` fails.
pub const MAX_LINE: usize = 64 * 1024;

/// Where a peer server listens: the `--host` and `--port` flags.
///
/// # Examples
///
/// ```
/// use clap::Parser;
/// let args = weir_bench::ListenArgs::try_parse_from(["peer", "--port", "0"]).unwrap();
/// assert_eq!(args.host, "127.0.0.1");
/// assert_eq!(args.port, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    about = "A line-echo peer server of weir's echo benchmark: prints `Serving on ADDR`, echoes every line",
    long_about = None
)]
pub struct ListenArgs {
    /// The host to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port to bind (0 picks a free port).
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
}

/// What to do with the bytes one bounded line read returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// A whole line, newline included: echo it.
    Line,
    /// End of stream: nothing more to echo.
    Eof,
    /// The last bytes before end of stream, with no newline: echo them, then stop.
    Partial,
    /// `MAX_LINE` bytes and no newline: the line is too long; close.
    TooLong,
}

/// Classifies what `take(MAX_LINE).read_until(b'\n', line)` put in `line`.
///
/// # Examples
///
/// ```
/// use weir_bench::{classify, LineRead, MAX_LINE};
/// assert_eq!(classify(b"hi\n"), LineRead::Line);
/// assert_eq!(classify(b""), LineRead::Eof);
/// assert_eq!(classify(b"tail"), LineRead::Partial);
/// assert_eq!(classify(&vec![b'x'; MAX_LINE]), LineRead::TooLong);
/// ```
pub fn classify(line: &[u8]) -> LineRead {
    match line.last() {
        None => LineRead::Eof,
        Some(b'\n') => LineRead::Line,
        Some(_) if line.len() >= MAX_LINE => LineRead::TooLong,
        Some(_) => LineRead::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ListenArgs, clap::Error> {
        ListenArgs::try_parse_from(std::iter::once("peer").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_match_the_weir_examples() {
        assert_eq!(
            parse(&[]).unwrap(),
            ListenArgs {
                host: "127.0.0.1".into(),
                port: 8888
            }
        );
    }

    #[test]
    fn both_flag_forms_parse() {
        let a = parse(&["--host", "localhost", "--port=0"]).unwrap();
        assert_eq!(a.host, "localhost");
        assert_eq!(a.port, 0);
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        use clap::error::ErrorKind;
        assert_eq!(parse(&["--port"]).unwrap_err().exit_code(), 2);
        assert_eq!(
            parse(&["--port", "70000"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            parse(&["--mode", "lines"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
        assert_eq!(parse(&["--help"]).unwrap_err().exit_code(), 0);
    }
}
