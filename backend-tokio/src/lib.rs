//! # weir-tokio: Python asyncio's Streams on tokio
//!
//! `open_connection`, `start_server`, their Unix twins, and asyncio's
//! `StreamReader` / `StreamWriter` semantics (limits, cancel-safe reads,
//! watermarks, `write_eof`, `close` + `wait_closed`) over tokio sockets.
//! The semantics live in `weir-stream`, written once for every runtime; this
//! crate supplies tokio's sockets, spawner and timer, and re-exports
//! everything a user touches, so `weir-tokio` is the only weir crate in your
//! `Cargo.toml`.
//!
//! Features: `tls` (default) adds [`ClientTls`], [`ServerTls`], `start_tls`
//! and [`TlsInfo`] through rustls with the ring provider;
//! `default-features = false` builds without rustls, ring and webpki-roots.
//! `codec` (off by default) adds the `codec` module: tokio-util
//! `Decoder`/`Encoder`s (`LineCodec`, `UntilCodec`) with asyncio's
//! `readline`/`readuntil` rules and limits, for code built on
//! `tokio_util::codec::Framed`; it brings in tokio-util.
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), weir_tokio::Error> {
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

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "codec")]
#[cfg_attr(docsrs, doc(cfg(feature = "codec")))]
pub mod codec;
mod compat;
mod io;
mod transport;

pub use compat::{TokioReader, TokioWriter};
pub use transport::TokioRuntime;

weir_stream::backend_api!(TokioRuntime, "weir_tokio");
