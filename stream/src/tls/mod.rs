//! TLS for every backend, written once over rustls's own sans-IO API.
//!
//! [`TlsTransport`] wraps any [`Transport`](crate::rt::Transport) (a TCP or Unix socket of any
//! runtime) and a `rustls` connection: ciphertext moves with `read_tls` /
//! `write_tls`, plaintext with `reader()` / `writer()`. Because the wrapper is
//! itself a `Transport`, the stream layer above it does not know TLS is there,
//! and `start_tls` can swap it in under live reader and writer handles,
//! handing over the bytes the reader had already read ahead (h11's
//! `trailing_data`): they are the first ciphertext rustls sees, not lost.
//!
//! Why not tokio-rustls and futures-rustls? Their adapters are two
//! near-identical copies of one file, one per I/O trait family; driving
//! rustls from here serves tokio, smol and async-std with one copy, and makes
//! the STARTTLS hand-over a constructor argument.
//!
//! Semantics beyond asyncio: [`Transport::poll_shutdown`](crate::rt::Transport::poll_shutdown) sends close_notify
//! and half-closes; over TLS 1.3 that leaves our read side open, so
//! `can_write_eof` is true there (asyncio refuses `write_eof` over any TLS),
//! false over TLS 1.2. A peer that closes without close_notify is reported as
//! a truncation error (`UnexpectedEof`), distinct from a clean EOF.

mod config;
mod handshake;
mod transport;

pub use crate::info::TlsInfo;
pub(crate) use config::parse_server_name;
pub use config::{
    ClientTls, ServerTls, TlsTimeouts, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use handshake::{accept, accept_after, connect, connect_after};
pub(crate) use handshake::{accept_stoppable, accept_timed, connect_timed};
pub use transport::TlsTransport;

#[cfg(any(test, feature = "tls-testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
