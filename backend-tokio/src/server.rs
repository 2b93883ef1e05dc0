//! `start_server` and `start_unix_server` on tokio.

use std::future::Future;
use std::path::Path;

use weir_core::stream::{Server, StreamReader, StreamWriter};
use weir_core::Error;

use crate::TokioRuntime;

/// Options for [`start_server`]: asyncio's keyword arguments (limit,
/// backlog, reuse_address, reuse_port, family, start_serving, sock), on tokio.
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let server = weir_tokio::ServerOptions::new()
///     .limit(1 << 20)
///     .backlog(1024)
///     .start_serving(false)
///     .start(|_r, _w| async {}, "127.0.0.1", 0)
///     .await?;
/// server.start_serving();
/// # Ok(()) }
/// ```
pub type ServerOptions = weir_core::stream::ServerOptions<TokioRuntime>;

/// Listens on `host:port` and runs `handler(reader, writer)` as a task for
/// each client: asyncio's `start_server`.
///
/// `host` may resolve to several addresses (one listener each); an empty
/// host listens on every interface (asyncio's `host=None`); port 0 picks a
/// free port (see [`Server::local_addrs`]).
///
/// # Errors
///
/// A connection error naming what failed: resolving the host, or binding an
/// address (for example, a port in use).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let server = weir_tokio::start_server(|reader, writer| async move {
///     while let Ok(line) = reader.read_line().await {
///         if line.is_empty() || writer.write(&line).is_err() { break; }
///     }
/// }, "127.0.0.1", 8888).await?;
/// println!("Serving on {}", server.local_addrs()[0]);
/// server.serve_forever().await?;
/// # Ok(()) }
/// ```
pub async fn start_server<H, F>(handler: H, host: &str, port: u16) -> Result<Server, Error>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    ServerOptions::new().start(handler, host, port).await
}

/// Listens on the Unix socket `path`: asyncio's `start_unix_server`.
///
/// # Errors
///
/// A connection error naming the path (for example, another file in the way).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let server = weir_tokio::start_unix_server(|_r, w| async move {
///     let _ = w.write(b"hi\n");
/// }, "/tmp/hi.sock").await?;
/// # Ok(()) }
/// ```
pub async fn start_unix_server<H, F>(handler: H, path: impl AsRef<Path>) -> Result<Server, Error>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    ServerOptions::new().start_unix(handler, path).await
}
