//! # weir-tokio: Python asyncio's Streams on tokio
//!
//! `open_connection`, `start_server`, their Unix twins, and asyncio's
//! `StreamReader` / `StreamWriter` semantics (limits, cancel-safe reads,
//! watermarks, `write_eof`, `close` + `wait_closed`) over tokio sockets.
//! The semantics live in [`weir_core::stream`]; this crate supplies tokio's
//! sockets, spawner and timer.
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
//! // asyncio's TCP echo client
//! let (reader, writer) = weir_tokio::open_connection("127.0.0.1", 8888).await?;
//! writer.write(b"Hello World!")?;
//! let data = reader.read(100).await?;
//! println!("Received: {:?}", String::from_utf8_lossy(&data));
//! writer.close();
//! writer.wait_closed().await?;
//! # Ok(()) }
//! ```
//!
//! ## Why there is no `flush` after `write`
//!
//! As in asyncio, `write` queues and a per-connection flusher task sends in
//! the background: everything written before the writing task yields goes
//! out in one vectored system call. `drain` is flow control only.

mod compat;
mod connect;
mod server;
mod transport;

pub use compat::{TokioReader, TokioWriter};
pub use connect::{open_connection, open_unix_connection, ConnectOptions};
pub use server::{start_server, start_unix_server, ServerOptions};
pub use transport::TokioRuntime;
pub use weir_core::rt::ExtraInfo;
pub use weir_core::stream::{Family, Server, StreamReader, StreamWriter};
pub use weir_core::{Error, IncompleteReadError, LimitOverrunError};
