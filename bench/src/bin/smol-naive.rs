//! A naive hand-written line-echo server on smol: the peer weir-smol's
//! `echo_server --mode lines` was first measured against (a strawman: one
//! write call per line; the `*-bufio` peers are the fair ones).
//!
//! `smol::block_on` accepts; one `smol::spawn`ed task per connection (smol's
//! global executor); per line, `smol::io::BufReader::read_line` then
//! `write_all` (one write call per line), until EOF. Sets TCP_NODELAY on
//! each connection, as asyncio does by default (without it, Nagle's algorithm
//! and the peer's delayed ACK hold back the second line of a burst for ~40 ms).
//! Flags: `--host` (default
//! 127.0.0.1), `--port` (default 8888; 0 picks a free port). Prints
//! `Serving on ADDR` once listening.

use std::io;
use std::process::ExitCode;

use smol::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use smol::net::TcpStream;

use weir_bench::serve::{self, OnError};

async fn echo_lines(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.clone());
    let mut writer = stream;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        writer.write_all(line.as_bytes()).await?;
    }
}

fn main() -> ExitCode {
    smol::block_on(serve::smol("smol-naive", OnError::Log, echo_lines))
}
