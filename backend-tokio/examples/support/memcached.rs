//! A small memcached client speaking the text protocol over weir's
//! `StreamReader` / `StreamWriter`: reply lines are read with `read_line`,
//! values with `read_exactly(bytes + 2)` (the data and its CRLF, checked).
//!
//! Shared by the `memcached_client` example and `tests/memcached.rs`
//! (included with `#[path]`).

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::fmt;
use std::io::Write;

use bytes::Bytes;
use weir_tokio::{ConnectOptions, Error, StreamReader, StreamWriter};

/// memcached's largest configurable item (`-I 1024m`): no value sent back
/// can be larger, so a larger byte count is garbage.
pub const MAX_VALUE: usize = 1024 * 1024 * 1024;

/// The longest key memcached accepts.
pub const MAX_KEY: usize = 250;

/// One value from `get` or `gets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The key.
    pub key: Bytes,
    /// The opaque flags stored with the value.
    pub flags: u32,
    /// The data.
    pub data: Bytes,
    /// The CAS unique, for `gets`.
    pub cas: Option<u64>,
}

/// The answer to `incr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incr {
    /// The new value.
    Value(u64),
    /// `NOT_FOUND`: no such key.
    NotFound,
}

/// What went wrong talking to a memcached server.
#[derive(Debug, Clone)]
pub enum McError {
    /// A reply line did not fit in the reader's limit.
    LineTooLong {
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
    /// The server sent something that is not the text protocol.
    Protocol(String),
    /// The server answered `ERROR`, `CLIENT_ERROR ...` or `SERVER_ERROR ...`.
    Server(String),
    /// The connection failed (connect, send or receive).
    Connection {
        /// What the client was doing.
        during: &'static str,
        /// weir's error.
        source: Error,
    },
    /// The caller asked for something the protocol cannot carry (a bad key).
    Usage(String),
}

impl fmt::Display for McError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            McError::LineTooLong { limit } => write!(
                f,
                "reply line longer than the reader's limit ({limit} bytes); \
                 raise the limit (--limit / ConnectOptions::limit) if the server is trusted"
            ),
            McError::Closed {
                mid_reply: true,
                detail,
            } => write!(f, "server closed the connection mid-reply: {detail}"),
            McError::Closed {
                mid_reply: false,
                detail,
            } => write!(f, "server closed the connection before replying: {detail}"),
            McError::Protocol(what) => write!(f, "protocol error: {what}"),
            McError::Server(line) => f.write_str(line),
            McError::Connection { during, source } => {
                write!(f, "connection failed while {during}: {source}")
            }
            McError::Usage(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for McError {}

/// Shows up to 64 bytes of what the server sent, escaped, for error messages.
fn show(bytes: &[u8]) -> String {
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

/// Checks a key: 1 to 250 bytes, no space or control character (a space
/// would let a key smuggle in a second command).
///
/// # Errors
///
/// [`McError::Usage`] naming the key.
pub fn check_key(key: &[u8]) -> Result<(), McError> {
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(McError::Usage(format!(
            "key {} must be 1 to {MAX_KEY} bytes",
            show(key)
        )));
    }
    if key.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return Err(McError::Usage(format!(
            "key {} holds a space or control character, which the text protocol cannot carry",
            show(key)
        )));
    }
    Ok(())
}

/// A decimal number of a reply line: digits only.
fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A connection to a memcached server.
#[derive(Debug)]
pub struct Client {
    reader: StreamReader,
    writer: StreamWriter,
}

impl Client {
    /// Connects to `host:port` with weir's default reader limit (64 KiB).
    ///
    /// # Errors
    ///
    /// [`McError::Connection`] naming the address.
    pub async fn connect(host: &str, port: u16) -> Result<Client, McError> {
        Client::connect_with(&ConnectOptions::new(), host, port).await
    }

    /// Connects with the given options (for example a smaller `limit`).
    ///
    /// # Errors
    ///
    /// [`McError::Connection`] naming the address.
    pub async fn connect_with(
        options: &ConnectOptions,
        host: &str,
        port: u16,
    ) -> Result<Client, McError> {
        let (reader, writer) =
            options
                .connect(host, port)
                .await
                .map_err(|source| McError::Connection {
                    during: "connecting",
                    source,
                })?;
        Ok(Client::from_streams(reader, writer))
    }

    /// Wraps an open reader and writer.
    pub fn from_streams(reader: StreamReader, writer: StreamWriter) -> Client {
        Client { reader, writer }
    }

    fn send(&self, data: Vec<u8>) -> Result<(), McError> {
        self.writer
            .write(data)
            .map_err(|source| McError::Connection {
                during: "sending a command",
                source,
            })
    }

    /// Reads one reply line without its CRLF; server error lines become
    /// [`McError::Server`].
    async fn read_reply_line(&self, mid_reply: bool) -> Result<Bytes, McError> {
        let line = match self.reader.read_line().await {
            Ok(line) => line,
            Err(Error::LineTooLong { limit, .. }) => return Err(McError::LineTooLong { limit }),
            Err(source) => {
                return Err(McError::Connection {
                    during: "reading a reply",
                    source,
                })
            }
        };
        if line.is_empty() {
            return Err(McError::Closed {
                mid_reply,
                detail: if mid_reply {
                    "a get reply ended before END".into()
                } else {
                    "no reply to the command".into()
                },
            });
        }
        if !line.ends_with(b"\r\n") {
            if line.ends_with(b"\n") {
                return Err(McError::Protocol(format!(
                    "reply line {} ends with a bare LF, not CRLF",
                    show(&line)
                )));
            }
            return Err(McError::Closed {
                mid_reply: true,
                detail: format!("reply line {} without its CRLF", show(&line)),
            });
        }
        let body = line.slice(..line.len() - 2);
        if &body[..] == b"ERROR"
            || body.starts_with(b"CLIENT_ERROR ")
            || body.starts_with(b"SERVER_ERROR ")
        {
            return Err(McError::Server(String::from_utf8_lossy(&body).into_owned()));
        }
        Ok(body)
    }

    /// Reads the values of one `get`/`gets` reply, through `END`.
    async fn read_values(&self, with_cas: bool) -> Result<Vec<Value>, McError> {
        let mut values = Vec::new();
        loop {
            let line = self.read_reply_line(!values.is_empty()).await?;
            if &line[..] == b"END" {
                return Ok(values);
            }
            values.push(self.read_value(&line, with_cas).await?);
        }
    }

    /// Parses `VALUE key flags bytes [cas]` and reads the data after it.
    async fn read_value(&self, line: &Bytes, with_cas: bool) -> Result<Value, McError> {
        let bad = |what: &str| {
            McError::Protocol(format!(
                "{what} in {} (expected \"VALUE <key> <flags> <bytes>{}\" or \"END\")",
                show(line),
                if with_cas { " <cas>" } else { "" }
            ))
        };
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let want = if with_cas { 5 } else { 4 };
        if fields.first() != Some(&&b"VALUE"[..]) {
            return Err(bad("unexpected reply line"));
        }
        if fields.len() != want {
            return Err(bad("wrong number of fields"));
        }
        let flags = parse_u64(fields[2])
            .and_then(|f| u32::try_from(f).ok())
            .ok_or_else(|| bad("bad flags"))?;
        let n = parse_u64(fields[3])
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= MAX_VALUE)
            .ok_or_else(|| bad("bad byte count"))?;
        let cas = if with_cas {
            Some(parse_u64(fields[4]).ok_or_else(|| bad("bad cas unique"))?)
        } else {
            None
        };
        let key = line.slice_ref(fields[1]);
        let data = match self.reader.read_exactly(n + 2).await {
            Ok(d) => d,
            Err(Error::IncompleteRead(e)) => {
                return Err(McError::Closed {
                    mid_reply: true,
                    detail: if e.partial.len() >= n {
                        format!(
                            "got the {n}-byte value of {} but not the CRLF after it",
                            show(&key)
                        )
                    } else {
                        format!(
                            "got {} of {n} bytes of the value of {}",
                            e.partial.len(),
                            show(&key)
                        )
                    },
                })
            }
            Err(source) => {
                return Err(McError::Connection {
                    during: "reading a value",
                    source,
                })
            }
        };
        if &data[n..] != b"\r\n" {
            return Err(McError::Protocol(format!(
                "value of {} ({n} bytes) is followed by {}, not CRLF",
                show(&key),
                show(&data[n..])
            )));
        }
        Ok(Value {
            key,
            flags,
            data: data.slice(..n),
            cas,
        })
    }

    /// Stores `data` under `key` with `flags` and `exptime` (`set`);
    /// returns the server's word (`STORED`, `NOT_STORED`).
    ///
    /// # Errors
    ///
    /// [`McError::Usage`] for a bad key; [`McError::Server`] for an error
    /// line (for example a value over the server's item size); otherwise a
    /// connection, closed or protocol error.
    pub async fn set_with(
        &self,
        key: &[u8],
        flags: u32,
        exptime: u32,
        data: &[u8],
    ) -> Result<Bytes, McError> {
        check_key(key)?;
        let mut buf = Vec::with_capacity(key.len() + data.len() + 48);
        buf.extend_from_slice(b"set ");
        buf.extend_from_slice(key);
        let _ = write!(buf, " {flags} {exptime} {}\r\n", data.len());
        buf.extend_from_slice(data);
        buf.extend_from_slice(b"\r\n");
        self.send(buf)?;
        self.read_reply_line(false).await
    }

    /// `set` with flags 0 and no expiry.
    ///
    /// # Errors
    ///
    /// As [`set_with`](Self::set_with).
    pub async fn set(&self, key: &[u8], data: &[u8]) -> Result<Bytes, McError> {
        self.set_with(key, 0, 0, data).await
    }

    fn retrieval<K: AsRef<[u8]>>(
        verb: &[u8],
        keys: &[K],
        buf: &mut Vec<u8>,
    ) -> Result<(), McError> {
        if keys.is_empty() {
            return Err(McError::Usage("get needs at least one key".into()));
        }
        buf.extend_from_slice(verb);
        for k in keys {
            check_key(k.as_ref())?;
            buf.push(b' ');
            buf.extend_from_slice(k.as_ref());
        }
        buf.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// The values of `keys` that exist, in the server's order (`get`).
    ///
    /// # Errors
    ///
    /// As [`set_with`](Self::set_with).
    pub async fn get<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<Vec<Value>, McError> {
        let mut buf = Vec::new();
        Client::retrieval(b"get", keys, &mut buf)?;
        self.send(buf)?;
        self.read_values(false).await
    }

    /// As [`get`](Self::get), with each value's CAS unique (`gets`).
    ///
    /// # Errors
    ///
    /// As [`set_with`](Self::set_with).
    pub async fn gets<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<Vec<Value>, McError> {
        let mut buf = Vec::new();
        Client::retrieval(b"gets", keys, &mut buf)?;
        self.send(buf)?;
        self.read_values(true).await
    }

    /// Pipelined gets: writes one `get` per key list in one go, then reads
    /// every reply; one list of values per request, in order.
    ///
    /// # Errors
    ///
    /// As [`set_with`](Self::set_with).
    pub async fn get_pipelined<L, K>(&self, requests: &[L]) -> Result<Vec<Vec<Value>>, McError>
    where
        L: AsRef<[K]>,
        K: AsRef<[u8]>,
    {
        let mut buf = Vec::new();
        for keys in requests {
            Client::retrieval(b"get", keys.as_ref(), &mut buf)?;
        }
        self.send(buf)?;
        let mut all = Vec::with_capacity(requests.len());
        for _ in requests {
            all.push(self.read_values(false).await?);
        }
        Ok(all)
    }

    /// Deletes `key`; returns the server's word (`DELETED`, `NOT_FOUND`).
    ///
    /// # Errors
    ///
    /// As [`set_with`](Self::set_with).
    pub async fn delete(&self, key: &[u8]) -> Result<Bytes, McError> {
        check_key(key)?;
        let mut buf = b"delete ".to_vec();
        buf.extend_from_slice(key);
        buf.extend_from_slice(b"\r\n");
        self.send(buf)?;
        self.read_reply_line(false).await
    }

    /// Adds `by` to the number stored under `key` (`incr`).
    ///
    /// # Errors
    ///
    /// [`McError::Server`] (`CLIENT_ERROR`) if the value is not a number;
    /// otherwise as [`set_with`](Self::set_with).
    pub async fn incr(&self, key: &[u8], by: u64) -> Result<Incr, McError> {
        check_key(key)?;
        let mut buf = b"incr ".to_vec();
        buf.extend_from_slice(key);
        let _ = write!(buf, " {by}\r\n");
        self.send(buf)?;
        let line = self.read_reply_line(false).await?;
        if &line[..] == b"NOT_FOUND" {
            return Ok(Incr::NotFound);
        }
        parse_u64(&line).map(Incr::Value).ok_or_else(|| {
            McError::Protocol(format!(
                "incr answered {}, not a number or NOT_FOUND",
                show(&line)
            ))
        })
    }

    /// Closes the connection once queued commands are sent.
    ///
    /// # Errors
    ///
    /// [`McError::Connection`] if queued bytes could not be sent.
    pub async fn close(self) -> Result<(), McError> {
        self.writer.close();
        self.writer
            .wait_closed()
            .await
            .map_err(|source| McError::Connection {
                during: "closing",
                source,
            })
    }
}

/// The command line of `memcached_client`.
pub const USAGE: &str =
    "usage: memcached_client [--host 127.0.0.1] [--port 11211] [--limit BYTES] \
                         (set KEY VALUE | get KEY... | gets KEY... | delete KEY | incr KEY N)";

/// `memcached_client`'s flags, for `clap`.
#[derive(Debug, clap::Parser)]
#[command(
    name = "memcached_client",
    about = "A memcached client on weir: set KEY VALUE | get KEY... | gets KEY... | delete KEY | incr KEY N"
)]
struct Flags {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 11211)]
    port: u16,
    /// The reader's limit for a reply line, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// The command and its operands.
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Runs `memcached_client` with `args` (without the program name), printing
/// to `out` and `err`; returns the exit code.
///
/// `get` prints each value found on its own line (nothing for a miss);
/// `gets` prints each value, a space and its CAS unique; `set`, `delete`
/// and `incr` print the server's word or the new number. A server error
/// line goes to `err` with exit code 1, as does a connection or protocol
/// failure; bad arguments (a key with a space, say) exit 2.
pub async fn run_cli(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let usage = |err: &mut dyn Write, msg: &str| {
        let _ = writeln!(err, "memcached_client: {msg}\n{USAGE}");
        2
    };
    let flags: Flags = match clap::Parser::try_parse_from(
        std::iter::once("memcached_client".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(f) => f,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            let _ = write!(out, "{e}");
            return 0;
        }
        Err(e) => {
            let text = e.to_string();
            let line = text.lines().next().unwrap_or_default();
            return usage(err, line.strip_prefix("error: ").unwrap_or(line));
        }
    };
    let (host, port) = (flags.host, flags.port);
    let mut options = ConnectOptions::new();
    if let Some(n) = flags.limit {
        options = options.limit(usize::try_from(n).unwrap_or(usize::MAX));
    }
    let args = flags.command;
    let i = 0;
    let rest: Vec<&[u8]> = args[i..].iter().map(|a| a.as_bytes()).collect();
    let Some((&verb, operands)) = rest.split_first() else {
        return usage(err, "no command given");
    };
    let arity_ok = match verb {
        b"set" | b"incr" => operands.len() == 2,
        b"delete" => operands.len() == 1,
        b"get" | b"gets" => !operands.is_empty(),
        _ => return usage(err, &format!("unknown command {:?}", args[i])),
    };
    if !arity_ok {
        return usage(err, &format!("wrong number of arguments for {}", args[i]));
    }
    let by = if verb == b"incr" {
        match std::str::from_utf8(operands[1])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        {
            Some(n) => n,
            None => return usage(err, "incr needs a non-negative whole number"),
        }
    } else {
        0
    };
    // Keys are checked before connecting: a bad one is a usage error.
    let keys = if matches!(verb, b"get" | b"gets") {
        operands
    } else {
        &operands[..1]
    };
    if let Some(Err(McError::Usage(msg))) = keys.iter().map(|k| check_key(k)).find(Result::is_err) {
        return usage(err, &msg);
    }
    let result = async {
        let client = Client::connect_with(&options, &host, port).await?;
        let mut text = Vec::new();
        match verb {
            b"set" => {
                text.extend_from_slice(&client.set(operands[0], operands[1]).await?);
                text.push(b'\n');
            }
            b"delete" => {
                text.extend_from_slice(&client.delete(operands[0]).await?);
                text.push(b'\n');
            }
            b"incr" => match client.incr(operands[0], by).await? {
                Incr::Value(n) => {
                    let _ = writeln!(text, "{n}");
                }
                Incr::NotFound => text.extend_from_slice(b"NOT_FOUND\n"),
            },
            b"gets" => {
                for v in client.gets(operands).await? {
                    text.extend_from_slice(&v.data);
                    let _ = writeln!(text, " {}", v.cas.unwrap_or_default());
                }
            }
            _ => {
                for v in client.get(operands).await? {
                    text.extend_from_slice(&v.data);
                    text.push(b'\n');
                }
            }
        }
        client.close().await?;
        Ok::<_, McError>(text)
    }
    .await;
    match result {
        Ok(text) => {
            let _ = out.write_all(&text);
            let _ = out.flush();
            0
        }
        Err(McError::Server(line)) => {
            let _ = writeln!(err, "{line}");
            1
        }
        Err(McError::Usage(msg)) => usage(err, &msg),
        Err(e) => {
            let _ = writeln!(err, "memcached_client: {host}:{port}: {e}");
            1
        }
    }
}
