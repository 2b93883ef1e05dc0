//! asyncio's TCP echo server, written once for every backend:
//! `[--host 127.0.0.1] [--port 8888] [--mode bytes|lines]`, printing
//! `Serving on ADDR` for each listening address.
//!
//! `bytes` (the default) echoes whatever it reads until EOF; `lines` reads
//! a line, writes it back and drains, until EOF.
//!
//! Each backend's `echo_server*` example names its crate `weir`, includes
//! `cli.rs` as `cli`, and runs [`main`] on its runtime: the program is the
//! same on tokio, smol and async-std.

use super::cli::{listen_error, reason};
use super::weir::{start_server, StreamReader, StreamWriter};

/// asyncio's TCP echo server: prints `Serving on ADDR` for each listening
/// address, then echoes every connection until killed.
#[derive(Debug, clap::Parser)]
pub struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8888)]
    port: u16,
    /// `bytes` echoes whatever arrives; `lines` echoes line by line, draining after each.
    #[arg(long, value_enum, default_value_t = Mode::Bytes)]
    mode: Mode,
}

/// How the server echoes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Mode {
    /// Whatever arrives, as it arrives.
    Bytes,
    /// A line at a time.
    Lines,
}

/// The command line, or the process ends (usage on `--help`, exit code 2 on
/// a bad flag).
pub fn args() -> Args {
    clap::Parser::parse()
}

async fn echo_bytes(reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.read(64 * 1024).await {
            Ok(data) if !data.is_empty() => {
                if writer.write(&data).is_err() || writer.drain().await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

async fn echo_lines(reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.read_line().await {
            Ok(line) if !line.is_empty() => {
                if writer.write(&line).is_err() || writer.drain().await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// Serves until killed; an error says what could not be done.
pub async fn main(args: Args) -> Result<(), String> {
    let Args { host, port, mode } = args;
    let server = match mode {
        Mode::Bytes => start_server(echo_bytes, &host, port).await,
        Mode::Lines => start_server(echo_lines, &host, port).await,
    }
    .map_err(|e| listen_error(&host, port, &e))?;
    for addr in server.local_addrs() {
        println!("Serving on {addr}");
    }
    server
        .serve_forever()
        .await
        .map_err(|e| format!("serving on {host}:{port} failed: {}", reason(&e)))
}
