//! asyncio's streams, async, written once for every runtime.
//!
//! A backend turns a socket into a [`Transport`] and calls [`connect`]; it
//! gets a [`StreamReader`] and a [`StreamWriter`] over one shared state:
//!
//! - **Reading** happens inline, in the read future that needs data (no task
//!   of its own, as a `BufReader`): the read runs the [`ReadBuffer`]
//!   operation, and on "need data" reads once from the transport into the
//!   buffer's spare room. All state lives in the buffer, so a dropped read
//!   future loses no byte.
//! - **Writing** is synchronous, as asyncio's: `write` appends to the
//!   [`WriteBuffer`](crate::WriteBuffer) and wakes the connection's
//!   **flusher** task, which sends everything queued as one vectored write.
//!   Many small writes made before the writing task yields leave in one
//!   system call. `drain` only applies the watermarks.
//! - **Closing**: `close` (or dropping every handle) lets the flusher send
//!   what is queued, shut down the write side and drop the transport; the
//!   reader then sees EOF and `wait_closed` returns.
//!
//! [`ConnectOptions`] and [`ServerOptions`] are asyncio's `open_connection`
//! and `start_server` with their keyword arguments, for any runtime that
//! implements [`Net`](crate::rt::Net); [`connect_happy`] races addresses
//! (RFC 8305) with the core's planner.
//!
//! [`Server`] runs the accept loop over any [`Listener`]: handler tasks
//! with panic containment, a registry of live connections for
//! `close_clients`, `abort_clients` and `wait_closed`, and accept errors
//! that never stop it.
//!
//! [`ReadBuffer`]: crate::ReadBuffer
//! [`Transport`]: crate::rt::Transport
//! [`Listener`]: crate::rt::Listener

mod ahead;
mod connect;
mod contain;
mod eyeballs;
mod net;
mod reader;
mod serve;
mod server;
mod shared;
#[cfg(feature = "tls")]
mod starttls;
mod writer;

#[cfg(test)]
mod cancel_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use ahead::ReadAhead;
pub use connect::ConnectOptions;
pub use eyeballs::{connect_happy, Family};
#[cfg(unix)]
pub use net::bind_unix;
pub use net::{bind_tcp, ListenOptions, DEFAULT_BACKLOG};
pub use reader::{Lines, ReadFuture, StreamReader};
pub use serve::ServerOptions;
pub use server::{Handler, Server, ServerConfig};
#[cfg(feature = "tls")]
pub use starttls::connect_tls;
pub use writer::{Drain, StreamWriter, WaitClosed};

use crate::rt::{DynRuntime, Runtime, Transport};
use crate::Error;
use shared::Shared;

/// Wraps a connected transport into a reader and a writer, and spawns the
/// connection's flusher task on `rt` (what asyncio's `open_connection`
/// does after connecting).
///
/// # Errors
///
/// [`Error::InvalidLimit`] if `limit` is 0.
///
/// # Examples
///
/// ```no_run
/// # fn demo<R: weir_core::rt::Runtime>(rt: &R, t: Box<dyn weir_core::rt::Transport>) -> Result<(), weir_core::Error> {
/// let (reader, writer) = weir_core::stream::connect(rt, t, 64 * 1024)?;
/// # Ok(()) }
/// ```
pub fn connect<R: Runtime>(
    rt: &R,
    transport: Box<dyn Transport>,
    limit: usize,
) -> Result<(StreamReader, StreamWriter), Error> {
    let rt: Arc<dyn DynRuntime> = Arc::new(rt.clone());
    let shared = Shared::open(&rt, transport, limit, None)?;
    Ok(Shared::start(&rt, shared))
}
