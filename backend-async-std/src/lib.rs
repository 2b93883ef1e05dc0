//! # weir-async-std: Python asyncio's Streams on async-std
//!
//! The weir API (`open_connection`, `start_server`, their Unix twins,
//! asyncio's `StreamReader` / `StreamWriter` semantics) for code already on
//! async-std. async-std is discontinued upstream in favour of smol; new code
//! should pick weir-smol (or weir-tokio). Both run on the same async-io
//! reactor, and everything but spawning is shared (`weir_stream::async_io`):
//! this crate adds only `async_std::task::spawn`.
//!
//! ```
//! # fn main() -> Result<(), weir_async_std::Error> { async_std::task::block_on(async {
//! let server = weir_async_std::start_server(|reader, writer| async move {
//!     if let Ok(line) = reader.read_line().await {
//!         let _ = writer.write(&line);
//!     }
//! }, "127.0.0.1", 0).await?;
//! let port = server.local_addrs()[0].port();
//! let (reader, writer) = weir_async_std::open_connection("127.0.0.1", port).await?;
//! writer.write(b"Hello World!\n")?;
//! assert_eq!(reader.read_line().await?, &b"Hello World!\n"[..]);
//! # Ok(()) }) }
//! ```
//!
//! [`FuturesReader`] and [`FuturesWriter`] give the reader and writer the
//! `futures-io` traits async-std's own I/O uses.

use weir_stream::async_io::{AsyncIo, Spawn};
use weir_stream::rt::BoxFuture;

pub use weir_stream::futures_io::{FuturesReader, FuturesWriter};

/// Spawns with `async_std::task::spawn`, detached.
///
/// # Examples
///
/// ```
/// use weir_stream::async_io::Spawn;
/// weir_async_std::AsyncStdSpawn.spawn(Box::pin(async {}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStdSpawn;

impl Spawn for AsyncStdSpawn {
    fn spawn(&self, fut: BoxFuture) {
        drop(async_std::task::spawn(fut));
    }
}

/// async-std as a weir runtime: `task::spawn`, `async_io::Timer`, async-io sockets.
pub type AsyncStdRuntime = AsyncIo<AsyncStdSpawn>;

weir_stream::backend_api!(AsyncStdRuntime, "weir_async_std");
