//! Helpers shared by the hand-written peer servers of the echo benchmark.
//!
//! The benchmark harness itself is the `echo-bench` binary
//! (`src/bin/echo-bench/`); the peers are `tokio-hand`, `smol-hand` and
//! `async-std-hand` (`src/bin/`). Every peer takes the same flags as weir's
//! `echo_server` examples (`--host`, `--port`) and prints `Serving on ADDR`
//! once it listens.

use std::fmt;

/// Where a peer server listens: the `--host` and `--port` flags.
///
/// # Examples
///
/// ```
/// let args = weir_bench::ListenArgs::parse(["--port", "0"].map(String::from)).unwrap();
/// assert_eq!(args.host, "127.0.0.1");
/// assert_eq!(args.port, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenArgs {
    /// The host to bind (default `127.0.0.1`).
    pub host: String,
    /// The port to bind (default 8888; 0 picks a free port).
    pub port: u16,
}

/// A command-line error of a peer server: what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; usage: [--host 127.0.0.1] [--port 8888] (port 0 picks a free port)",
            self.0
        )
    }
}

impl std::error::Error for UsageError {}

impl ListenArgs {
    /// Parses `--host HOST` and `--port PORT` (also `--flag=value`).
    ///
    /// # Errors
    ///
    /// An unknown flag, a flag without its value, or a port that is not a
    /// number in 0..=65535.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_bench::ListenArgs;
    /// let args = ListenArgs::parse(["--host=::1", "--port", "9000"].map(String::from)).unwrap();
    /// assert_eq!(args, ListenArgs { host: "::1".into(), port: 9000 });
    /// assert!(ListenArgs::parse(["--port", "http"].map(String::from)).is_err());
    /// ```
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Self, UsageError> {
        let mut out = ListenArgs {
            host: "127.0.0.1".to_owned(),
            port: 8888,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
                None => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| UsageError(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "--host" => out.host = value()?,
                "--port" => {
                    let v = value()?;
                    out.port = v.parse().map_err(|_| {
                        UsageError(format!("--port {v:?} is not a port number (0..=65535)"))
                    })?;
                }
                _ => return Err(UsageError(format!("unknown argument {arg:?}"))),
            }
        }
        Ok(out)
    }

    /// Parses the process's own arguments (see [`ListenArgs::parse`]).
    ///
    /// # Errors
    ///
    /// As [`ListenArgs::parse`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let args = weir_bench::ListenArgs::from_env().unwrap();
    /// println!("binding {}:{}", args.host, args.port);
    /// ```
    pub fn from_env() -> Result<Self, UsageError> {
        Self::parse(std::env::args().skip(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ListenArgs, UsageError> {
        ListenArgs::parse(args.iter().map(|s| s.to_string()))
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
    fn bad_input_is_an_error_that_names_it() {
        assert!(parse(&["--port"])
            .unwrap_err()
            .0
            .contains("--port needs a value"));
        assert!(parse(&["--port", "70000"]).unwrap_err().0.contains("70000"));
        assert!(parse(&["--mode", "lines"])
            .unwrap_err()
            .0
            .contains("--mode"));
    }
}
