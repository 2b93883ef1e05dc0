//! # weir-stream: asyncio's Streams, async, written once for every runtime
//!
//! This crate is the async half of weir. It turns the pure state machines of
//! [`weir_proto`] (a [`ReadBuffer`] and a
//! [`WriteBuffer`]) into asyncio's API:
//! [`StreamReader`], [`StreamWriter`], [`Server`], [`ConnectOptions`],
//! [`ServerOptions`], TLS (module `tls`, feature `tls`) and `start_tls`. It is
//! generic over a small seam, [`rt`]: a backend crate (`weir-tokio`,
//! `weir-smol`, `weir-async-std`) supplies sockets, a spawner and a timer, and
//! re-exports everything here that its users touch. **Depend on a backend,
//! not on this crate**, unless you are writing a backend.
//!
//! ```text
//!   backend (tokio / smol / async-std)         weir-stream                  weir-proto
//!   sockets, spawn, sleep ──rt::Net──▶ StreamReader ─ shared ─ StreamWriter ──▶ ReadBuffer
//!                                      Server, ConnectOptions, tls            WriteBuffer
//! ```
//!
//! A backend turns a socket into a [`Transport`] and calls
//! [`from_transport`]; it gets a [`StreamReader`] and a [`StreamWriter`]
//! over one shared state:
//!
//! - **Reading** happens inline, in the read future that needs data (no task
//!   of its own, as a `BufReader`): the read runs the `ReadBuffer`
//!   operation, and on "need data" reads once from the transport (at most
//!   64 KiB per poll, then it yields). All state lives in the buffer, so a
//!   dropped read future loses no byte.
//! - **Writing** is synchronous, as asyncio's: `write` appends to the
//!   `WriteBuffer`, and `WriteBuffer::flush_decision` says when the queue
//!   goes out: small writes leave together, in one system call, when the
//!   reader is about to wait for input or when a server handler's poll ends;
//!   16 KiB or more leaves at once; the connection's **flusher** task sends
//!   what no read follows and waits for a full socket. `drain` only applies
//!   the watermarks.
//! - **Closing**: `close` (or dropping every handle) lets the flusher send
//!   what is queued, shut down the write side and drop the transport; the
//!   reader then sees EOF and `wait_closed` returns.
//!
//! [`ConnectOptions`] and [`ServerOptions`] are asyncio's `open_connection`
//! and `start_server` with their keyword arguments, for any runtime that
//! implements [`Net`](rt::Net); [`connect_happy`] races addresses
//! (RFC 8305) with weir-proto's planner.
//!
//! [`Server`] runs the accept loop over any [`Listener`](rt::Listener):
//! handler tasks with panic containment, a registry of live connections for
//! `close_clients`, `abort_clients` and `wait_closed`, and accept errors
//! that never stop it.
//!
//! ## Modules
//!
//! | module | what |
//! | --- | --- |
//! | [`rt`] | the seam a backend implements: `Runtime`, `Net`, `Transport`, `Listener` |
//! | `info` | [`ExtraInfo`] and `TlsInfo`, a leaf every other module may use |
//! | `reader`, `writer`, `shared`, `flush` | the stream handles over one connection state; `flush` sends what the writers queued |
//! | `sink` | `StreamWriter` as a `futures::Sink<Bytes>` (`futures-sink`: the trait alone, no futures runtime) |
//! | `server`, `server_options`, `connect_options`, `net`, `eyeballs` | asyncio's `start_server` and `open_connection` |
//! | `tls` | rustls's sans-IO API driven once: config, transport, handshake (feature `tls`) |
//! | `futures_io`, `async_io` | the futures-io traits and the async-io sockets (smol, async-std) |

#[cfg(all(feature = "async-io", unix))]
pub mod async_io;
#[doc(hidden)]
pub mod backend;
#[cfg(feature = "futures-io")]
pub mod futures_io;
mod info;
pub mod rt;
#[cfg(feature = "tls")]
pub mod tls;

mod ahead;
mod connect_options;
mod contain;
mod eyeballs;
mod flush;
#[cfg(feature = "tls")]
mod handshaking;
mod into_lines;
mod io_options;
mod net;
mod own_task;
mod reader;
mod server;
mod server_options;
mod shared;
mod shutdown;
mod sink;
#[cfg(feature = "tls")]
mod starttls;
mod watch;
mod watch_state;
mod writer;

#[cfg(test)]
mod cancel_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use ahead::ReadAhead;
pub use connect_options::ConnectOptions;
pub use eyeballs::{connect_happy, Family};
pub use into_lines::IntoLines;
pub use io_options::IoOptions;
#[cfg(unix)]
pub use net::bind_unix;
pub use net::{bind_tcp, ListenOptions, DEFAULT_BACKLOG};
pub use reader::{Lines, ReadFuture, StreamReader};
pub use server::{Handler, Server, ServerConfig};
pub use server_options::ServerOptions;
#[cfg(feature = "tls")]
pub use starttls::connect_tls;
pub use writer::{Drain, StreamWriter, WaitClosed};

pub use bytes::Bytes;
pub use info::ExtraInfo;
#[cfg(feature = "tls")]
pub use info::TlsInfo;
pub use weir_proto::error::Origin;
pub use weir_proto::{Error, IncompleteReadError, IntoSeparators, LimitOverrunError, Separators};
pub use weir_proto::{DEFAULT_HIGH, DEFAULT_LIMIT};

use weir_proto::{ReadBuffer, Step, WriteBuffer};

use crate::rt::{DynRuntime, Runtime, Transport};
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
/// # fn demo<R: weir_stream::rt::Runtime>(rt: &R, t: Box<dyn weir_stream::rt::Transport>) -> Result<(), weir_stream::Error> {
/// let (reader, writer) = weir_stream::from_transport(rt, t, 64 * 1024)?;
/// # Ok(()) }
/// ```
pub fn from_transport<R: Runtime>(
    rt: &R,
    transport: Box<dyn Transport>,
    limit: usize,
) -> Result<(StreamReader, StreamWriter), Error> {
    let rt: Arc<dyn DynRuntime> = Arc::new(rt.clone());
    let shared = Shared::open(&rt, transport, limit, None)?;
    Ok(crate::shutdown::start(&rt, shared))
}
