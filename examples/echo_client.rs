//! asyncio's TCP echo client, written once for every backend:
//! `[--host 127.0.0.1] [--port 8888] [--message 'Hello World!']` sends the
//! message, prints what comes back (one read of up to 100 bytes) and closes.
//!
//! Each backend's `echo_client*` example names its crate `weir`, includes
//! `cli.rs` as `cli`, and runs [`main`] on its runtime.

use super::cli::{connect_error, reason};
use super::weir::open_connection;

/// asyncio's TCP echo client: sends a message, prints the answer, closes.
#[derive(Debug, clap::Parser)]
pub struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 8888)]
    port: u16,
    /// What to send.
    #[arg(long, default_value = "Hello World!")]
    message: String,
}

/// The command line, or the process ends (usage on `--help`, exit code 2 on
/// a bad flag).
pub fn args() -> Args {
    clap::Parser::parse()
}

/// Talks to the server once; an error says what could not be done.
pub async fn main(args: Args) -> Result<(), String> {
    let Args {
        host,
        port,
        message,
    } = args;
    let at = |what: &str, e: super::weir::Error| format!("{what} {host}:{port}: {}", reason(&e));
    let (reader, writer) = open_connection(&host, port)
        .await
        .map_err(|e| connect_error(&host, port, &e))?;
    println!("Send: {message:?}");
    writer
        .write(message.as_bytes())
        .map_err(|e| at("cannot write to", e))?;

    let data = reader
        .read(100)
        .await
        .map_err(|e| at("cannot read from", e))?;
    println!("Received: {:?}", String::from_utf8_lossy(&data));

    println!("Close the connection");
    writer.close();
    writer
        .wait_closed()
        .await
        .map_err(|e| at("closing the connection to", e))
}
