//! asyncio's "register an open socket to wait for data" example, written
//! once for every backend: a connected pair of sockets, one end adopted as
//! a stream, the other sending "abc"; prints `Received: abc`.
//!
//! Each backend's `wait_for_data*` example names its crate `weir`, includes
//! `cli.rs` as `cli`, and runs [`main`] on its runtime.

use std::io::Write;

use super::cli::reason;

/// asyncio's "register an open socket to wait for data" example: adopts one
/// end of a socket pair as a stream and waits for the "abc" the other sends.
#[derive(Debug, clap::Parser)]
pub struct Args {}

/// The command line, or the process ends (usage on `--help`, exit code 2 on
/// a bad flag).
pub fn args() -> Args {
    clap::Parser::parse()
}

/// Runs the example; an error says what could not be done.
pub async fn main(_args: Args) -> Result<(), String> {
    // Create a pair of connected sockets.
    let (rsock, mut wsock) = std::os::unix::net::UnixStream::pair()
        .map_err(|e| format!("cannot create a socket pair: {}", reason(&e)))?;

    // Register the open socket to wait for data.
    let (reader, writer) = super::weir::ConnectOptions::new()
        .unix_sock(rsock)
        .map_err(|e| format!("cannot adopt the socket: {}", reason(&e)))?;

    // Simulate the reception of data from the network.
    let sender = std::thread::spawn(move || wsock.write_all(b"abc"));

    // Wait for data.
    let data = reader
        .read(100)
        .await
        .map_err(|e| format!("cannot read: {}", reason(&e)))?;

    // Got data, we are done: close the socket.
    println!("Received: {}", String::from_utf8_lossy(&data));
    writer.close();
    writer
        .wait_closed()
        .await
        .map_err(|e| format!("cannot close the socket: {}", reason(&e)))?;
    match sender.join() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("cannot send: {}", reason(&e))),
        Err(_) => Err("the sending thread panicked".into()),
    }
}
