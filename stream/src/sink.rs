//! `StreamWriter` as a `futures::Sink<Bytes>`: asyncio's `write`, `drain`
//! and `close` + `wait_closed` under the Sink protocol, for code written
//! against futures' `SinkExt` (`send`, `send_all`, `StreamExt::forward`).
//!
//! | Sink | StreamWriter |
//! | --- | --- |
//! | `poll_ready` | [`drain`](StreamWriter::drain): ready below the high watermark |
//! | `start_send(bytes)` | [`write_bytes`](StreamWriter::write_bytes): queued, never blocks |
//! | `poll_flush` | [`poll_flush`](StreamWriter::poll_flush): every queued byte handed to the transport |
//! | `poll_close` | [`close`](StreamWriter::close), then [`wait_closed`](StreamWriter::wait_closed) |
//!
//! Both `StreamWriter` and `&StreamWriter` are sinks: one task can feed a
//! sink through a shared reference while another holds the writer.
//! `writer.close()` is the writer's own synchronous `close`; the Sink's is
//! `SinkExt::<Bytes>::close(&mut writer)` (or `close` then `wait_closed`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_sink::Sink;

use crate::{Error, StreamWriter};

fn ready(w: &StreamWriter, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
    Pin::new(&mut w.drain()).poll(cx)
}

fn close(w: &StreamWriter, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
    if !w.is_closing() {
        w.close();
    }
    Pin::new(&mut w.wait_closed()).poll(cx)
}

/// A `futures::Sink` of [`Bytes`]: `poll_ready` is
/// [`drain`](StreamWriter::drain) (waits while the queue is above the high
/// watermark), `start_send` is [`write_bytes`](StreamWriter::write_bytes),
/// `poll_flush` waits until every queued byte was handed to the transport,
/// `poll_close` is [`close`](StreamWriter::close) then
/// [`wait_closed`](StreamWriter::wait_closed) (every queued byte sent, the
/// connection closed; the reader sees EOF).
///
/// # Errors
///
/// The connection's error once it is lost; [`Error::WriterClosed`] from
/// `poll_ready` and `start_send` after `close`, [`Error::WriteAfterEof`]
/// from `start_send` after `write_eof`.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(writer: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
/// use bytes::Bytes;
/// use futures_util::SinkExt;
/// let mut sink = writer;
/// sink.send(Bytes::from_static(b"one\n")).await?; // write + flush
/// sink.feed(Bytes::from_static(b"two\n")).await?; // write, flow control only
/// // `sink.close()` is StreamWriter's own (synchronous) close: name the trait.
/// SinkExt::<Bytes>::close(&mut sink).await?; // close + wait_closed
/// # Ok(()) }
/// ```
impl Sink<Bytes> for StreamWriter {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready(&self, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> Result<(), Error> {
        self.write_bytes(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        StreamWriter::poll_flush(&self, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        close(&self, cx)
    }
}

/// The same sink through a shared reference (see the impl for
/// `StreamWriter`).
///
/// # Errors
///
/// As for `StreamWriter`.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(writer: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
/// use futures_util::{stream, SinkExt};
/// let mut lines = stream::iter(["a\n", "b\n"].map(|s| Ok(bytes::Bytes::from(s))));
/// (&writer).send_all(&mut lines).await?;
/// assert_eq!(writer.write_buffer_size(), 0); // send_all flushes
/// # Ok(()) }
/// ```
impl Sink<Bytes> for &StreamWriter {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready(&self, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> Result<(), Error> {
        self.write_bytes(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        StreamWriter::poll_flush(&self, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        close(&self, cx)
    }
}
