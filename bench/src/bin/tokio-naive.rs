//! A naive hand-written line-echo server on tokio: the peer weir-tokio's
//! `echo_server --mode lines` was first measured against (now the `*-naive`
//! rows; `tokio-bufio` is the fair peer).
//!
//! One task per connection on the multi-thread runtime; per line,
//! `BufReader::read_line` then `write_all` (one write call per line), until
//! EOF. Sets TCP_NODELAY on
//! each connection, as asyncio does by default (without it, Nagle's algorithm
//! and the peer's delayed ACK hold back the second line of a burst for ~40 ms).
//! Flags: `--host` (default 127.0.0.1), `--port` (default 8888; 0 picks a
//! free port). Prints `Serving on ADDR` once listening.

use std::io;
use std::process::ExitCode;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use weir_bench::serve::{self, OnError};

async fn echo_lines(mut socket: TcpStream) -> io::Result<()> {
    socket.set_nodelay(true)?;
    let (reader, mut writer) = socket.split();
    let mut reader = BufReader::new(reader);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        writer.write_all(line.as_bytes()).await?;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    serve::tokio("tokio-naive", OnError::Log, echo_lines).await
}
