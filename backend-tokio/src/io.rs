//! Any tokio I/O object as a weir transport: what `from_io`, `reader_from`
//! and `writer_from` wrap.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use weir_stream::rt::{AdoptIo, AdoptRead, AdoptWrite, ExtraInfo, Transport};

use crate::TokioRuntime;

fn read_into<R: AsyncRead + Unpin>(
    io: &mut R,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut rb = ReadBuf::new(buf);
    ready!(Pin::new(io).poll_read(cx, &mut rb))?;
    Poll::Ready(Ok(rb.filled().len()))
}

/// A duplex tokio I/O object: `write_eof` is its `poll_shutdown`.
struct Duplex<T>(T);

impl<T> Transport for Duplex<T>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        read_into(&mut self.0, cx, buf)
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

/// A read-only tokio I/O object: writes are refused.
struct ReadOnly<R>(R);

impl<R: AsyncRead + Unpin + Send + 'static> Transport for ReadOnly<R> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        read_into(&mut self.0, cx, buf)
    }

    fn poll_write_vectored(
        &mut self,
        _cx: &mut Context<'_>,
        _bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this stream was made from a reader only; it takes no writes",
        )))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn can_write_eof(&self) -> bool {
        false
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

/// A write-only tokio I/O object: `write_eof` shuts it down and drops it,
/// so a pipe's reader sees EOF (tokio's `ChildStdin::poll_shutdown` does
/// not close the pipe by itself).
struct WriteOnly<W>(Option<W>);

impl<W: AsyncWrite + Unpin + Send + 'static> Transport for WriteOnly<W> {
    fn poll_read(&mut self, _cx: &mut Context<'_>, _buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.0 {
            Some(w) => Pin::new(w).poll_write_vectored(cx, bufs),
            None => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the write side was shut down",
            ))),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.0 {
            Some(w) => Pin::new(w).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(w) = &mut self.0 else {
            return Poll::Ready(Ok(()));
        };
        let res = ready!(Pin::new(w).poll_shutdown(cx));
        self.0 = None;
        Poll::Ready(res)
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

impl<T> AdoptIo<T> for TokioRuntime
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn adopt_io(io: T) -> Box<dyn Transport> {
        Box::new(Duplex(io))
    }
}

impl<T> AdoptRead<T> for TokioRuntime
where
    T: AsyncRead + Unpin + Send + 'static,
{
    fn adopt_read(r: T) -> Box<dyn Transport> {
        Box::new(ReadOnly(r))
    }
}

impl<T> AdoptWrite<T> for TokioRuntime
where
    T: AsyncWrite + Unpin + Send + 'static,
{
    fn adopt_write(w: T) -> Box<dyn Transport> {
        Box::new(WriteOnly(Some(w)))
    }
}
