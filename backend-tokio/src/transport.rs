//! tokio sockets as weir transports and listeners, and the tokio runtime.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UnixListener, UnixStream};
use weir_stream::rt::{BoxFuture, ExtraInfo, IoFuture, Listener, Net, Runtime, Transport};
use weir_stream::Error;

/// The tokio runtime as a weir [`Runtime`]: `spawn` on the runtime that
/// was current when it was made, `tokio::time::sleep`.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), weir_tokio::Error> {
/// let rt = weir_tokio::TokioRuntime::current()?;
/// # let _ = rt; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TokioRuntime {
    handle: tokio::runtime::Handle,
}

impl TokioRuntime {
    /// The runtime the caller runs in.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] outside a tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_tokio::TokioRuntime::current().is_err()); // no runtime here
    /// ```
    pub fn current() -> Result<TokioRuntime, Error> {
        tokio::runtime::Handle::try_current()
            .map(|handle| TokioRuntime { handle })
            .map_err(|_| {
                Error::InvalidArgument("weir-tokio must be called from within a tokio runtime")
            })
    }
}

impl Runtime for TokioRuntime {
    fn spawn(&self, fut: BoxFuture) {
        drop(self.handle.spawn(fut));
    }

    fn sleep(&self, d: Duration) -> BoxFuture {
        let _guard = self.handle.enter();
        Box::pin(tokio::time::sleep(d))
    }

    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// A tokio socket as a weir [`Transport`].
struct Io<T> {
    io: T,
    info: ExtraInfo,
}

impl Io<TcpStream> {
    fn tcp(io: TcpStream) -> Box<dyn Transport> {
        let _ = io.set_nodelay(true);
        let mut info = ExtraInfo::default();
        info.peer_addr = io.peer_addr().ok();
        info.local_addr = io.local_addr().ok();
        info.raw_fd = Some(std::os::fd::AsRawFd::as_raw_fd(&io));
        Box::new(Io { io, info })
    }
}

impl Io<UnixStream> {
    fn unix(io: UnixStream) -> Box<dyn Transport> {
        let path = |a: io::Result<tokio::net::unix::SocketAddr>| -> Option<PathBuf> {
            a.ok().and_then(|a| a.as_pathname().map(PathBuf::from))
        };
        let mut info = ExtraInfo::default();
        info.peer_path = path(io.peer_addr());
        info.local_path = path(io.local_addr());
        info.raw_fd = Some(std::os::fd::AsRawFd::as_raw_fd(&io));
        Box::new(Io { io, info })
    }
}

/// What `abort` does per socket type.
trait Abort {
    fn abort(&self) {}
}

impl Abort for TcpStream {
    fn abort(&self) {
        // SO_LINGER 0: closing sends a reset, as asyncio's abort does.
        let _ = socket2::SockRef::from(self).set_linger(Some(Duration::ZERO));
    }
}

impl Abort for UnixStream {}

/// What `poll_peer_closed` does per socket type.
trait PeerCheck {
    fn poll_peer_closed(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

impl PeerCheck for TcpStream {
    fn poll_peer_closed(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A one-byte peek: bytes or EOF leave it Ready(Ok) and are not
        // consumed; a reset with nothing unread before it is its error.
        let mut one = [0u8; 1];
        let mut buf = ReadBuf::new(&mut one);
        ready!(self.poll_peek(cx, &mut buf))?;
        Poll::Ready(Ok(()))
    }
}

impl PeerCheck for UnixStream {}

impl<T> Transport for Io<T>
where
    T: AsyncRead + AsyncWrite + Abort + PeerCheck + Unpin + Send + 'static,
{
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut rb = ReadBuf::new(buf);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb))?;
        Poll::Ready(Ok(rb.filled().len()))
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // One buffer (the usual coalesced batch of small writes): a plain
        // send, which skips the kernel's vectored-write path (iovec import,
        // VFS accounting) that writev takes even for one buffer.
        match bufs {
            [one] => Pin::new(&mut self.io).poll_write(cx, one),
            _ => Pin::new(&mut self.io).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn extra_info(&self) -> ExtraInfo {
        self.info.clone()
    }

    fn abort(&mut self) {
        Abort::abort(&self.io)
    }

    fn poll_peer_closed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        PeerCheck::poll_peer_closed(&self.io, cx)
    }
}

/// A tokio TCP listener as a weir [`Listener`].
struct Tcp(TcpListener);

impl Listener for Tcp {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Box<dyn Transport>>> {
        let (s, _) = ready!(self.0.poll_accept(cx))?;
        Poll::Ready(Ok(Io::tcp(s)))
    }

    fn local_info(&self) -> ExtraInfo {
        let mut info = ExtraInfo::default();
        info.local_addr = self.0.local_addr().ok();
        info
    }
}

/// A tokio Unix listener as a weir [`Listener`].
struct Unix(UnixListener);

impl Listener for Unix {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Box<dyn Transport>>> {
        let (s, _) = ready!(self.0.poll_accept(cx))?;
        Poll::Ready(Ok(Io::unix(s)))
    }

    fn local_info(&self) -> ExtraInfo {
        let mut info = ExtraInfo::default();
        info.local_path = self
            .0
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(PathBuf::from));
        info
    }
}

impl Net for TokioRuntime {
    fn current() -> Result<Self, Error> {
        TokioRuntime::current()
    }

    fn resolve(&self, host: &str, port: u16) -> IoFuture<Vec<SocketAddr>> {
        let host = host.to_string();
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }

    fn connect_tcp(
        &self,
        addr: SocketAddr,
        local: Option<SocketAddr>,
    ) -> IoFuture<Box<dyn Transport>> {
        let _guard = self.handle.enter();
        Box::pin(async move {
            let s = match local {
                None => TcpStream::connect(addr).await?,
                Some(l) => {
                    let s = if addr.is_ipv4() {
                        TcpSocket::new_v4()?
                    } else {
                        TcpSocket::new_v6()?
                    };
                    s.bind(l)?;
                    s.connect(addr).await?
                }
            };
            Ok(Io::tcp(s))
        })
    }

    fn tcp_stream(&self, s: std::net::TcpStream) -> io::Result<Box<dyn Transport>> {
        let _guard = self.handle.enter();
        Ok(Io::tcp(TcpStream::from_std(s)?))
    }

    fn tcp_listener(&self, l: std::net::TcpListener) -> io::Result<Box<dyn Listener>> {
        let _guard = self.handle.enter();
        Ok(Box::new(Tcp(TcpListener::from_std(l)?)))
    }

    fn connect_unix(&self, path: &Path) -> IoFuture<Box<dyn Transport>> {
        let path = path.to_path_buf();
        let _guard = self.handle.enter();
        Box::pin(async move { Ok(Io::unix(UnixStream::connect(path).await?)) })
    }

    fn unix_stream(&self, s: std::os::unix::net::UnixStream) -> io::Result<Box<dyn Transport>> {
        let _guard = self.handle.enter();
        Ok(Io::unix(UnixStream::from_std(s)?))
    }

    fn unix_listener(&self, l: std::os::unix::net::UnixListener) -> io::Result<Box<dyn Listener>> {
        let _guard = self.handle.enter();
        Ok(Box::new(Unix(UnixListener::from_std(l)?)))
    }
}
