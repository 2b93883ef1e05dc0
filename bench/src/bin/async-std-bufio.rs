//! The best plain-async-std line-echo server we know how to write: the fair
//! peer of weir-async-std's `echo_server_async_std --mode lines`.
//!
//! `task::block_on` accepts, one `task::spawn`ed task per connection (as
//! weir-async-std uses), TCP_NODELAY. Input through an
//! `async_std::io::BufReader` (`take(MAX_LINE).read_until(b'\n')`: a
//! line longer than 64 KiB closes the connection, as in weir's example),
//! output through an `async_std::io::BufWriter`, flushed only when the reader's
//! buffer is empty (no further line can be parsed without waiting for the
//! socket). Flags: `--host` (default 127.0.0.1), `--port` (default 8888; 0
//! picks a free port). Prints `Serving on ADDR` once listening.

use std::io;
use std::process::ExitCode;

use async_std::io::prelude::{BufReadExt, ReadExt, WriteExt};
use async_std::io::{BufReader, BufWriter};
use async_std::net::TcpStream;
use weir_bench::serve::{self, OnError};
use weir_bench::{classify, LineRead, MAX_LINE};

async fn echo_lines(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.clone());
    let mut writer = BufWriter::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        match classify(&line) {
            LineRead::Line => {}
            LineRead::Eof => break,
            LineRead::Partial => {
                writer.write_all(&line).await?;
                break;
            }
            LineRead::TooLong => {
                writer.flush().await?;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "line longer than 64 KiB: closing",
                ));
            }
        }
        writer.write_all(&line).await?;
        if reader.buffer().is_empty() {
            writer.flush().await?;
        }
    }
    writer.flush().await?;
    writer.get_ref().shutdown(std::net::Shutdown::Write)
}

fn main() -> ExitCode {
    async_std::task::block_on(serve::async_std(
        "async-std-bufio",
        OnError::Quiet,
        echo_lines,
    ))
}
