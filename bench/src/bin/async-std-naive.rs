//! A naive hand-written line-echo server on async-std: the peer
//! weir-async-std's `echo_server --mode lines` was first measured against (a strawman: one
//! write call per line; the `*-bufio` peers are the fair ones).
//!
//! `task::block_on` accepts; one `task::spawn`ed task per connection
//! (async-std's global executor); per line, `BufReader::read_line` then
//! `write_all` (one write call per line), until EOF. Sets TCP_NODELAY on
//! each connection, as asyncio does by default (without it, Nagle's algorithm
//! and the peer's delayed ACK hold back the second line of a burst for ~40 ms).
//! Flags: `--host` (default
//! 127.0.0.1), `--port` (default 8888; 0 picks a free port). Prints
//! `Serving on ADDR` once listening.

use std::io;
use std::process::ExitCode;

use async_std::io::prelude::{BufReadExt, WriteExt};
use async_std::io::BufReader;
use async_std::net::TcpStream;

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
    async_std::task::block_on(serve::async_std(
        "async-std-naive",
        OnError::Log,
        echo_lines,
    ))
}
