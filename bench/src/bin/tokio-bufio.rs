//! The best plain-tokio line-echo server we know how to write: the fair peer
//! of weir-tokio's `echo_server --mode lines`.
//!
//! `#[tokio::main]` (the default multi-thread runtime, as weir-tokio's example
//! uses), one task per connection, TCP_NODELAY. Input through a
//! `tokio::io::BufReader` (`take(MAX_LINE).read_until(b'\n')`: a line longer
//! than 64 KiB closes the connection, as in weir's example), output through a
//! `tokio::io::BufWriter`, flushed only when the reader's buffer is empty,
//! that is when no further line can be parsed without waiting for the
//! socket: a burst of lines goes back in one `write` call, and a lone line
//! goes back at once. Flags: `--host` (default 127.0.0.1), `--port` (default
//! 8888; 0 picks a free port). Prints `Serving on ADDR` once listening.

use std::io;
use std::process::ExitCode;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;
use weir_bench::serve::{self, OnError};
use weir_bench::{classify, LineRead, MAX_LINE};

async fn echo_lines(mut socket: TcpStream) -> io::Result<()> {
    socket.set_nodelay(true)?;
    let (reader, writer) = socket.split();
    let mut reader = BufReader::new(reader);
    let mut writer = BufWriter::new(writer);
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
    writer.shutdown().await
}

#[tokio::main]
async fn main() -> ExitCode {
    serve::tokio("tokio-bufio", OnError::Quiet, echo_lines).await
}
