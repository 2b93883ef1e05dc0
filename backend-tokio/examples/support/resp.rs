//! A small Redis client speaking RESP2 over weir's `StreamReader` /
//! `StreamWriter`: commands go out as arrays of bulk strings; each reply
//! header is read with `read_line` and each bulk payload with
//! `read_exactly`, so a reply is bounded by the reader's limit per header
//! and by [`Client::max_bulk`] per payload.
//!
//! Shared by the `redis_client` and `redis_bench` examples and by
//! `tests/redis.rs` (included with `#[path]`).

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::fmt;
use std::io::Write;

use bytes::Bytes;
use weir_tokio::{ConnectOptions, Error, StreamReader, StreamWriter};

/// Redis's own default `proto-max-bulk-len`: the largest bulk string a
/// server accepts, so the largest one this client expects back.
pub const DEFAULT_MAX_BULK: usize = 512 * 1024 * 1024;

/// How deeply arrays may nest in one reply. Redis's deepest replies
/// (`COMMAND DOCS`) nest a handful of levels; the bound keeps a hostile
/// server from building a reply whose drop would overflow the stack.
pub const MAX_DEPTH: usize = 128;

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`: a status line.
    Simple(Bytes),
    /// `-ERR ...`: an error reply, text without the `-`.
    Error(Bytes),
    /// `:42`.
    Integer(i64),
    /// `$3\r\nabc`, or `None` for the nil bulk string `$-1`.
    Bulk(Option<Bytes>),
    /// `*2\r\n...`, or `None` for the nil array `*-1`.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// A bulk string reply holding `data`.
    pub fn bulk(data: impl Into<Bytes>) -> Reply {
        Reply::Bulk(Some(data.into()))
    }
}

/// What went wrong talking to a Redis server. Server error replies are not
/// errors here: they are [`Reply::Error`] values.
#[derive(Debug, Clone)]
pub enum RespError {
    /// A reply header line did not fit in the reader's limit.
    HeaderTooLong {
        /// The reader's limit in bytes.
        limit: usize,
    },
    /// The server closed the connection before or in the middle of a reply.
    Closed {
        /// Whether part of a reply had been received.
        mid_reply: bool,
        /// What was being read when the connection closed.
        detail: String,
    },
    /// The server sent bytes that are not RESP2.
    Protocol(String),
    /// The connection failed (connect, send or receive).
    Connection {
        /// What the client was doing.
        during: &'static str,
        /// weir's error.
        source: Error,
    },
    /// The caller asked for something this client cannot send.
    Usage(String),
}

impl fmt::Display for RespError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RespError::HeaderTooLong { limit } => write!(
                f,
                "reply header line longer than the reader's limit ({limit} bytes); \
                 the server sent a status, error or length line that does not fit: \
                 raise the limit (--limit / ConnectOptions::limit) if the server is trusted"
            ),
            RespError::Closed {
                mid_reply: true,
                detail,
            } => write!(f, "server closed the connection mid-reply: {detail}"),
            RespError::Closed {
                mid_reply: false,
                detail,
            } => write!(f, "server closed the connection before replying: {detail}"),
            RespError::Protocol(what) => write!(f, "protocol error: {what}"),
            RespError::Connection { during, source } => {
                write!(f, "connection failed while {during}: {source}")
            }
            RespError::Usage(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for RespError {}

/// Shows up to 64 bytes of what the server sent, escaped, for error messages.
pub fn show(bytes: &[u8]) -> String {
    let mut s: String = bytes
        .iter()
        .take(64)
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect();
    if bytes.len() > 64 {
        s.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    format!("\"{s}\"")
}

/// Appends one command, as a RESP array of bulk strings, to `out`.
///
/// `["SET", "k", "v"]` becomes `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n`.
/// Arguments are binary-safe: CR, LF and NUL travel as they are.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A], out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "*{}\r\n", args.len());
    for a in args {
        let a = a.as_ref();
        let _ = write!(out, "${}\r\n", a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Parses a RESP length or integer: an optional `-` and 1 to 19 digits.
fn parse_int(text: &[u8]) -> Option<i64> {
    let (neg, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        n = n.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if neg { -n } else { n })
}

/// One parsed header: a whole value, or the start of an array.
enum Item {
    Value(Reply),
    ArrayStart(usize),
}

/// Reads one header line and turns it into an [`Item`]; bulk payloads are
/// read here too.
async fn read_item(
    reader: &StreamReader,
    max_bulk: usize,
    mid_reply: bool,
) -> Result<Item, RespError> {
    let line = match reader.read_line().await {
        Ok(line) => line,
        Err(Error::LineTooLong { limit, .. }) => return Err(RespError::HeaderTooLong { limit }),
        Err(e) => {
            return Err(RespError::Connection {
                during: "reading a reply",
                source: e,
            })
        }
    };
    if line.is_empty() {
        return Err(RespError::Closed {
            mid_reply,
            detail: if mid_reply {
                "an array ended early".into()
            } else {
                "no reply to the command".into()
            },
        });
    }
    let Some(body) = line.strip_suffix(b"\r\n") else {
        if line.ends_with(b"\n") {
            return Err(RespError::Protocol(format!(
                "reply header {} ends with a bare LF, not CRLF",
                show(&line)
            )));
        }
        return Err(RespError::Closed {
            mid_reply: true,
            detail: format!("header line {} without its CRLF", show(&line)),
        });
    };
    let (&kind, text) = body
        .split_first()
        .ok_or_else(|| RespError::Protocol("empty reply header line (a bare CRLF)".to_string()))?;
    let at = |start: usize| line.slice(start..line.len() - 2);
    match kind {
        b'+' => Ok(Item::Value(Reply::Simple(at(1)))),
        b'-' => Ok(Item::Value(Reply::Error(at(1)))),
        b':' => parse_int(text)
            .map(|n| Item::Value(Reply::Integer(n)))
            .ok_or_else(|| RespError::Protocol(format!("bad integer reply {}", show(&line)))),
        b'$' => {
            let n = parse_int(text).ok_or_else(|| {
                RespError::Protocol(format!("bad bulk string length in {}", show(&line)))
            })?;
            if n == -1 {
                return Ok(Item::Value(Reply::Bulk(None)));
            }
            let n = usize::try_from(n).map_err(|_| {
                RespError::Protocol(format!("negative bulk string length in {}", show(&line)))
            })?;
            if n > max_bulk {
                return Err(RespError::Protocol(format!(
                    "bulk string of {n} bytes exceeds the client's maximum of {max_bulk} bytes"
                )));
            }
            read_bulk(reader, n)
                .await
                .map(|b| Item::Value(Reply::bulk(b)))
        }
        b'*' => {
            let n = parse_int(text).ok_or_else(|| {
                RespError::Protocol(format!("bad array length in {}", show(&line)))
            })?;
            if n == -1 {
                return Ok(Item::Value(Reply::Array(None)));
            }
            usize::try_from(n).map(Item::ArrayStart).map_err(|_| {
                RespError::Protocol(format!("negative array length in {}", show(&line)))
            })
        }
        b'_' | b',' | b'#' | b'!' | b'=' | b'(' | b'%' | b'~' | b'>' | b'|' => {
            Err(RespError::Protocol(format!(
                "RESP3 reply type {:?} in {} (this client speaks RESP2: do not send HELLO 3)",
                char::from(kind),
                show(&line)
            )))
        }
        _ => Err(RespError::Protocol(format!(
            "unknown reply type byte {} (0x{kind:02x}) in {}; is this a Redis server?",
            show(&[kind]),
            show(&line)
        ))),
    }
}

/// Reads an `n`-byte bulk payload and its CRLF.
async fn read_bulk(reader: &StreamReader, n: usize) -> Result<Bytes, RespError> {
    match reader.read_exactly(n + 2).await {
        Ok(data) => {
            if &data[n..] != b"\r\n" {
                return Err(RespError::Protocol(format!(
                    "bulk string of {n} bytes is followed by {}, not CRLF",
                    show(&data[n..])
                )));
            }
            Ok(data.slice(..n))
        }
        Err(Error::IncompleteRead(e)) => Err(RespError::Closed {
            mid_reply: true,
            detail: if e.partial.len() >= n {
                format!("got the {n}-byte bulk string but not the CRLF after it")
            } else {
                format!("got {} of {n} bytes of a bulk string", e.partial.len())
            },
        }),
        Err(e) => Err(RespError::Connection {
            during: "reading a bulk string",
            source: e,
        }),
    }
}

/// Reads one whole reply, nested arrays included.
///
/// # Errors
///
/// [`RespError::HeaderTooLong`], [`RespError::Closed`],
/// [`RespError::Protocol`] (naming what was received) or
/// [`RespError::Connection`].
pub async fn read_reply(reader: &StreamReader, max_bulk: usize) -> Result<Reply, RespError> {
    // Arrays being filled: their elements so far and their length. An
    // explicit stack, so nesting costs heap, not async recursion.
    let mut open: Vec<(Vec<Reply>, usize)> = Vec::new();
    loop {
        let mut value = match read_item(reader, max_bulk, !open.is_empty()).await? {
            Item::Value(v) => v,
            Item::ArrayStart(0) => Reply::Array(Some(Vec::new())),
            Item::ArrayStart(n) => {
                if open.len() == MAX_DEPTH {
                    return Err(RespError::Protocol(format!(
                        "arrays nested more than {MAX_DEPTH} deep"
                    )));
                }
                // The length comes from the server: reserve only a little
                // up front, let the vector grow as elements arrive.
                open.push((Vec::with_capacity(n.min(1024)), n));
                continue;
            }
        };
        // Hand the finished value to its array; close every array it fills.
        loop {
            let Some((items, len)) = open.last_mut() else {
                return Ok(value);
            };
            items.push(value);
            if items.len() < *len {
                break;
            }
            let items = open.pop().map(|(items, _)| items).unwrap_or_default();
            value = Reply::Array(Some(items));
        }
    }
}

/// A connection to a Redis server.
#[derive(Debug)]
pub struct Client {
    reader: StreamReader,
    writer: StreamWriter,
    max_bulk: usize,
}

impl Client {
    /// Connects to `host:port` with weir's default reader limit (64 KiB).
    ///
    /// # Errors
    ///
    /// [`RespError::Connection`] naming the address.
    pub async fn connect(host: &str, port: u16) -> Result<Client, RespError> {
        Client::connect_with(&ConnectOptions::new(), host, port).await
    }

    /// Connects with the given options (for example a smaller `limit`).
    ///
    /// # Errors
    ///
    /// [`RespError::Connection`] naming the address.
    pub async fn connect_with(
        options: &ConnectOptions,
        host: &str,
        port: u16,
    ) -> Result<Client, RespError> {
        let (reader, writer) =
            options
                .connect(host, port)
                .await
                .map_err(|source| RespError::Connection {
                    during: "connecting",
                    source,
                })?;
        Ok(Client::from_streams(reader, writer))
    }

    /// Wraps an open reader and writer.
    pub fn from_streams(reader: StreamReader, writer: StreamWriter) -> Client {
        Client {
            reader,
            writer,
            max_bulk: DEFAULT_MAX_BULK,
        }
    }

    /// Sets the largest bulk string accepted from the server.
    pub fn max_bulk(mut self, max_bulk: usize) -> Client {
        self.max_bulk = max_bulk;
        self
    }

    /// Queues already-encoded commands (see [`encode_command`]) in one write.
    ///
    /// # Errors
    ///
    /// [`RespError::Connection`] if the connection is closed or failed.
    pub fn send_encoded(&self, data: Bytes) -> Result<(), RespError> {
        self.writer
            .write_bytes(data)
            .map_err(|source| RespError::Connection {
                during: "sending a command",
                source,
            })
    }

    /// Queues one command without waiting for its reply.
    ///
    /// # Errors
    ///
    /// [`RespError::Usage`] for an empty command; [`RespError::Connection`].
    pub fn send<A: AsRef<[u8]>>(&self, args: &[A]) -> Result<(), RespError> {
        if args.is_empty() {
            return Err(RespError::Usage(
                "empty command: give a command name".into(),
            ));
        }
        let mut buf = Vec::new();
        encode_command(args, &mut buf);
        self.send_encoded(buf.into())
    }

    /// Reads the next reply.
    ///
    /// # Errors
    ///
    /// As [`read_reply`].
    pub async fn read_reply(&self) -> Result<Reply, RespError> {
        read_reply(&self.reader, self.max_bulk).await
    }

    /// Sends one command and reads its reply.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send) and [`read_reply`].
    pub async fn command<A: AsRef<[u8]>>(&self, args: &[A]) -> Result<Reply, RespError> {
        self.send(args)?;
        self.read_reply().await
    }

    /// Pipelining: writes every command in one go, then reads all replies,
    /// in order.
    ///
    /// # Errors
    ///
    /// [`RespError::Usage`] for an empty command; otherwise as [`read_reply`].
    pub async fn pipeline<C, A>(&self, commands: &[C]) -> Result<Vec<Reply>, RespError>
    where
        C: AsRef<[A]>,
        A: AsRef<[u8]>,
    {
        let mut buf = Vec::new();
        for c in commands {
            if c.as_ref().is_empty() {
                return Err(RespError::Usage(
                    "empty command in a pipeline: give a command name".into(),
                ));
            }
            encode_command(c.as_ref(), &mut buf);
        }
        self.send_encoded(buf.into())?;
        let mut replies = Vec::with_capacity(commands.len());
        for _ in commands {
            replies.push(self.read_reply().await?);
        }
        Ok(replies)
    }

    /// Closes the connection once queued commands are sent.
    ///
    /// # Errors
    ///
    /// [`RespError::Connection`] if queued bytes could not be sent.
    pub async fn close(self) -> Result<(), RespError> {
        self.writer.close();
        self.writer
            .wait_closed()
            .await
            .map_err(|source| RespError::Connection {
                during: "closing",
                source,
            })
    }
}

/// Appends `reply` as `redis-cli` prints it when stdout is not a terminal
/// (its raw mode, `cliFormatReplyRaw`): the text of a status, bulk string or
/// error (an error with a newline after it), the integer in decimal,
/// nothing for nil, and array elements separated by newlines. The caller
/// adds the newline that ends the reply.
pub fn format_raw(reply: &Reply, out: &mut Vec<u8>) {
    match reply {
        Reply::Simple(s) | Reply::Bulk(Some(s)) => out.extend_from_slice(s),
        Reply::Error(e) => {
            out.extend_from_slice(e);
            out.push(b'\n');
        }
        Reply::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Reply::Bulk(None) | Reply::Array(None) => {}
        Reply::Array(Some(items)) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                format_raw(item, out);
            }
        }
    }
}

/// The command line of `redis_client`.
pub const USAGE: &str = "usage: redis_client [--host 127.0.0.1] [--port 6379] [--limit BYTES] \
                         (COMMAND [ARG...] | --pipeline 'CMD ARG...;CMD ARG...;...')";

/// What `redis_client` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliArgs {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// The reader's limit, if given.
    pub limit: Option<usize>,
    /// The commands to run, each a list of arguments.
    pub commands: Vec<Vec<String>>,
}

/// `redis_client`'s flags, for `clap`.
#[derive(Debug, clap::Parser)]
#[command(
    name = "redis_client",
    about = "A Redis client on weir: runs one command, or several pipelined, and prints the replies as `redis-cli -e` does"
)]
struct Flags {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// The reader's limit for a reply line, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Several commands separated by `;`, written in one go, then every reply read.
    #[arg(
        long,
        value_name = "'CMD ARG...;CMD ARG...'",
        conflicts_with = "command"
    )]
    pipeline: Option<String>,
    /// The command and its arguments (everything after the command is its
    /// arguments, flags included).
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Parses the arguments with `clap`; `--help` comes back as an error of kind
/// `DisplayHelp` carrying the help text.
fn parse_flags(args: &[String]) -> Result<CliArgs, clap::Error> {
    let flags: Flags = clap::Parser::try_parse_from(
        std::iter::once("redis_client".to_string()).chain(args.iter().cloned()),
    )?;
    let usage = |msg: &str| clap::Error::raw(clap::error::ErrorKind::MissingRequiredArgument, msg);
    let commands: Vec<Vec<String>> = match flags.pipeline {
        Some(p) => p
            .split(';')
            .map(|c| c.split_whitespace().map(String::from).collect::<Vec<_>>())
            .filter(|c| !c.is_empty())
            .collect(),
        None if flags.command.is_empty() => Vec::new(),
        None => vec![flags.command],
    };
    if commands.is_empty() {
        return Err(usage("no command given"));
    }
    Ok(CliArgs {
        host: flags.host,
        port: flags.port,
        limit: flags
            .limit
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        commands,
    })
}

/// What a `clap` error says, as one line without its `error: ` prefix.
fn first_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let line = text.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// Parses `redis_client`'s arguments (without the program name). Options
/// come before the command; `--` ends them.
///
/// # Errors
///
/// A message saying what is wrong, for the usage line.
pub fn parse_cli(args: &[String]) -> Result<CliArgs, String> {
    parse_flags(args).map_err(|e| first_line(&e))
}

/// Runs `redis_client` with `args` (without the program name), printing
/// replies to `out` and errors to `err`; returns the exit code.
///
/// Each reply is printed as `redis-cli -e` prints it when stdout is not a
/// terminal: [`format_raw`] and a newline. An error reply goes to `err` as
/// `(error) ` and its text and a newline (the form redis-cli uses on a
/// terminal, so a script can tell an error line apart; `redis-cli -e` itself
/// omits the prefix when not on a terminal), and makes the exit code 1 (in a
/// pipeline, after the other replies are printed). A connection or protocol failure prints
/// `redis_client: ...` and exits 1; bad arguments exit 2.
pub async fn run_cli(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let cli = match parse_flags(args) {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            let _ = write!(out, "{e}");
            return 0;
        }
        Err(e) => {
            let _ = writeln!(err, "redis_client: {}\n{USAGE}", first_line(&e));
            return 2;
        }
    };
    let mut options = ConnectOptions::new();
    if let Some(limit) = cli.limit {
        options = options.limit(limit);
    }
    let result = async {
        let client = Client::connect_with(&options, &cli.host, cli.port).await?;
        let replies = client.pipeline(&cli.commands).await?;
        client.close().await?;
        Ok::<_, RespError>(replies)
    }
    .await;
    let replies = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "redis_client: {}:{}: {e}", cli.host, cli.port);
            return 1;
        }
    };
    let mut code = 0;
    for reply in &replies {
        let mut buf = Vec::new();
        if let Reply::Error(e) = reply {
            buf.extend_from_slice(b"(error) ");
            buf.extend_from_slice(e);
            buf.push(b'\n');
            let _ = err.write_all(&buf);
            code = 1;
        } else {
            format_raw(reply, &mut buf);
            buf.push(b'\n');
            let _ = out.write_all(&buf);
        }
    }
    let _ = out.flush();
    code
}
