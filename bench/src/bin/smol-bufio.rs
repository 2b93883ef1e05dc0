//! The best plain-smol line-echo server we know how to write: the fair peer
//! of weir-smol's `echo_server_smol --mode lines`.
//!
//! `smol::block_on` accepts, one `smol::spawn`ed task per connection (smol's
//! global executor, as weir-smol uses), TCP_NODELAY. Input through a
//! futures-io `smol::io::BufReader` (`take(MAX_LINE).read_until(b'\n')`: a
//! line longer than 64 KiB closes the connection, as in weir's example),
//! output through a `smol::io::BufWriter`, flushed only when the reader's
//! buffer is empty (no further line can be parsed without waiting for the
//! socket). Flags: `--host` (default 127.0.0.1), `--port` (default 8888; 0
//! picks a free port). Prints `Serving on ADDR` once listening.

use std::io;
use std::process::ExitCode;

use smol::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use smol::net::TcpStream;
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
    writer.close().await
}

fn main() -> ExitCode {
    smol::block_on(serve::smol("smol-bufio", OnError::Quiet, echo_lines))
}
