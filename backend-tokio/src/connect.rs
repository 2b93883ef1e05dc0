//! `open_connection` and `open_unix_connection` on tokio.

use std::path::Path;

use weir_core::stream::{StreamReader, StreamWriter};
use weir_core::Error;

use crate::TokioRuntime;

/// Options for [`open_connection`]: asyncio's keyword arguments (limit,
/// local_addr, family, happy_eyeballs_delay, interleave, sock), on tokio.
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// use std::time::Duration;
/// use weir_tokio::{ConnectOptions, Family};
/// let (r, w) = ConnectOptions::new()
///     .limit(1 << 20)
///     .family(Family::V4)
///     .happy_eyeballs_delay(Duration::from_millis(250))
///     .connect("localhost", 8888)
///     .await?;
/// # Ok(()) }
/// ```
pub type ConnectOptions = weir_core::stream::ConnectOptions<TokioRuntime>;

/// Connects to `host:port` over TCP: asyncio's `open_connection(host, port)`.
///
/// Every address the host resolves to is tried in turn (see
/// [`ConnectOptions::happy_eyeballs_delay`] to race them).
///
/// # Errors
///
/// A connection error naming what failed: resolving the host, or each
/// address and why it failed.
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let (reader, writer) = weir_tokio::open_connection("127.0.0.1", 8888).await?;
/// writer.write(b"Hello World!")?;
/// let data = reader.read(100).await?;
/// writer.close();
/// writer.wait_closed().await?;
/// # Ok(()) }
/// ```
pub async fn open_connection(host: &str, port: u16) -> Result<(StreamReader, StreamWriter), Error> {
    ConnectOptions::new().connect(host, port).await
}

/// Connects to the Unix socket at `path`: asyncio's `open_unix_connection`.
///
/// # Errors
///
/// A connection error naming the path (missing, not a socket, refused).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let (reader, writer) = weir_tokio::open_unix_connection("/tmp/echo.sock").await?;
/// # Ok(()) }
/// ```
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> Result<(StreamReader, StreamWriter), Error> {
    ConnectOptions::new().connect_unix(path).await
}
