//! # weir-smol: Python asyncio's Streams on smol
//!
//! `open_connection`, `start_server`, their Unix twins, and asyncio's
//! `StreamReader` / `StreamWriter` semantics (limits, cancel-safe reads,
//! watermarks, `write_eof`, `close` + `wait_closed`) on smol. The semantics
//! live in `weir-stream` and the sockets in `weir_stream::async_io`,
//! shared with weir-async-std: this crate adds only `smol::spawn`.
//!
//! ```
//! # fn main() -> Result<(), weir_smol::Error> { smol::block_on(async {
//! // asyncio's TCP echo server and client
//! let server = weir_smol::start_server(|reader, writer| async move {
//!     if let Ok(line) = reader.read_line().await {
//!         let _ = writer.write(&line);
//!     }
//! }, "127.0.0.1", 0).await?;
//! let port = server.local_addrs()[0].port();
//! let (reader, writer) = weir_smol::open_connection("127.0.0.1", port).await?;
//! writer.write(b"Hello World!\n")?;
//! assert_eq!(reader.read_line().await?, &b"Hello World!\n"[..]);
//! writer.close();
//! writer.wait_closed().await?;
//! # Ok(()) }) }
//! ```
//!
//! Tasks (each connection's flusher, each server handler) run on smol's
//! global executor. [`FuturesReader`] and [`FuturesWriter`] give the
//! reader and writer the `futures-io` traits.

use weir_stream::async_io::{AsyncIo, Spawn};
use weir_stream::rt::BoxFuture;

pub use weir_stream::futures_io::{FuturesReader, FuturesWriter};

/// Spawns on smol's global executor: `smol::spawn(..).detach()`.
///
/// # Examples
///
/// ```
/// use weir_stream::async_io::Spawn;
/// weir_smol::SmolSpawn.spawn(Box::pin(async {}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolSpawn;

impl Spawn for SmolSpawn {
    fn spawn(&self, fut: BoxFuture) {
        smol::spawn(fut).detach();
    }
}

/// smol as a weir runtime: `smol::spawn`, `async_io::Timer`, async-io sockets.
pub type SmolRuntime = AsyncIo<SmolSpawn>;

weir_stream::backend_api!(SmolRuntime, "weir_smol");
