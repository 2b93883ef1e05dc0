//! asyncio's "register an open socket to wait for data" example: a
//! socket pair, one end adopted as a stream, the other sending "abc".

use std::io::Write;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Create a pair of connected sockets.
    let (rsock, mut wsock) = std::os::unix::net::UnixStream::pair()?;

    // Register the open socket to wait for data.
    let (reader, writer) = weir_tokio::ConnectOptions::new().unix_sock(rsock)?;

    // Simulate the reception of data from the network.
    tokio::task::spawn_blocking(move || wsock.write_all(b"abc"));

    // Wait for data.
    let data = reader.read(100).await?;

    // Got data, we are done: close the socket.
    println!("Received: {}", String::from_utf8_lossy(&data));
    writer.close();
    writer.wait_closed().await?;
    Ok(())
}
