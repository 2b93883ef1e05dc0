//! A line-echo server on tokio-util's codecs, written for throughput: a
//! second tokio peer of weir-tokio's `echo_server --mode lines`.
//!
//! `#[tokio::main]` (the default multi-thread runtime), one task per
//! connection, TCP_NODELAY, `Framed<TcpStream, LinesCodec>` with a maximum
//! line length of 64 KiB (a longer line closes the connection, as in weir's
//! example). Each line is `feed`ed to the sink (LinesCodec strips the `\n` on
//! decode and appends it on encode), and the sink is flushed only when the
//! read buffer holds no further complete line, so a burst of lines goes back
//! in one `write` call. Flags: `--host` (default 127.0.0.1), `--port`
//! (default 8888; 0 picks a free port). Prints `Serving on ADDR` once
//! listening.

use std::io;
use std::process::ExitCode;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, LinesCodec, LinesCodecError};
use weir_bench::MAX_LINE;

use weir_bench::serve::{self, OnError};

fn io_error(e: LinesCodecError) -> io::Error {
    match e {
        LinesCodecError::Io(e) => e,
        LinesCodecError::MaxLineLengthExceeded => {
            io::Error::new(io::ErrorKind::InvalidData, "line longer than 64 KiB")
        }
    }
}

async fn echo_lines(socket: TcpStream) -> io::Result<()> {
    socket.set_nodelay(true)?;
    // The codec's limit excludes the newline.
    let mut framed = Framed::new(socket, LinesCodec::new_with_max_length(MAX_LINE - 1));
    while let Some(line) = framed.next().await {
        let line = line.map_err(io_error)?;
        framed.feed(line).await.map_err(io_error)?;
        if !framed.read_buffer().contains(&b'\n') {
            SinkExt::<String>::flush(&mut framed)
                .await
                .map_err(io_error)?;
        }
    }
    SinkExt::<String>::close(&mut framed)
        .await
        .map_err(io_error)
}

#[tokio::main]
async fn main() -> ExitCode {
    serve::tokio("tokio-codec", OnError::Quiet, echo_lines).await
}
