//! The seam a backend implements: a [`Runtime`] (spawn, sleep, clock), a
//! [`Transport`] (one connected byte stream), a [`Listener`] (accepts
//! transports) and [`Net`] (resolve, connect, adopt std sockets).
//!
//! Everything else, the async reader, writer, flusher, server, connection
//! options and happy eyeballs, is written once in the crate root over
//! these traits. A backend for tokio, smol or async-std supplies only what
//! its runtime does differently: sockets, a spawner and a timer.
//!
//! Transports are used type-erased (`Box<dyn Transport>`), so a live
//! connection can later swap a plain socket for a TLS stream under the same
//! reader and writer handles.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub use crate::info::ExtraInfo;
pub use crate::io_options::{AdoptIo, AdoptRead, AdoptWrite};

/// A boxed, sendable future with no result: what [`Runtime::spawn`] takes.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One connected byte stream: a TCP or Unix socket, later a TLS stream.
///
/// The `poll_*` methods follow the usual contract: `Poll::Pending` means the
/// waker in `cx` will be woken when the call may make progress. weir calls
/// `poll_read_with`, then `poll_read` if it returned `None`, from the task
/// that reads, and `poll_write_vectored`, `poll_flush` and `poll_shutdown`
/// from the connection's flusher task, never at the same time (the
/// transport sits behind a lock).
///
/// # Examples
///
/// A transport over an in-memory script, as the stream layer's tests use:
///
/// ```
/// use std::io::{self, IoSlice};
/// use std::task::{Context, Poll};
/// use weir_stream::rt::{ExtraInfo, Transport};
///
/// struct Script(Vec<u8>, Vec<u8>);
/// impl Transport for Script {
///     fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
///         let n = buf.len().min(self.0.len());
///         buf[..n].copy_from_slice(&self.0[..n]);
///         self.0.drain(..n);
///         Poll::Ready(Ok(n))
///     }
///     fn poll_write_vectored(&mut self, _: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
///         let mut n = 0;
///         for b in bufs { self.1.extend_from_slice(b); n += b.len(); }
///         Poll::Ready(Ok(n))
///     }
///     fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
///     fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
///     fn can_write_eof(&self) -> bool { true }
///     fn extra_info(&self) -> ExtraInfo { ExtraInfo::default() }
/// }
/// let t: Box<dyn Transport> = Box::new(Script(b"hi".to_vec(), Vec::new()));
/// assert!(t.can_write_eof());
/// ```
pub trait Transport: Send + 'static {
    /// Reads into `buf`; `Ok(0)` means EOF (the peer closed its side).
    ///
    /// # Errors
    ///
    /// The operating system's error: the connection is then lost.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Writes from `bufs` in one call; returns how many bytes were taken.
    ///
    /// # Errors
    ///
    /// The operating system's error: the connection is then lost.
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    /// Pushes out anything the transport itself buffers.
    ///
    /// # Errors
    ///
    /// The operating system's error.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Shuts down the write direction (asyncio's `write_eof`), after a flush.
    ///
    /// # Errors
    ///
    /// The operating system's error.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Whether [`poll_shutdown`](Self::poll_shutdown) half-closes (asyncio's
    /// `can_write_eof`).
    fn can_write_eof(&self) -> bool;

    /// Addresses and socket of the connection.
    fn extra_info(&self) -> ExtraInfo;

    /// Prepares an abortive close (asyncio's `transport.abort()`): the next
    /// drop should reset the connection rather than close it gracefully, for
    /// example by setting `SO_LINGER` to zero. The default does nothing.
    fn abort(&mut self) {}

    /// How long closing (sending what is queued, then the shutdown) may
    /// take before the connection is aborted: a TLS transport's
    /// `shutdown_timeout` (asyncio's `ssl_shutdown_timeout`). The default,
    /// `None`, waits as long as it takes, as asyncio does for plain sockets.
    fn shutdown_timeout(&self) -> Option<Duration> {
        None
    }

    /// Checks, without reading, whether the connection failed (the peer
    /// reset it) while no read is pending, so that a dead peer's socket is
    /// released without waiting for the next read.
    ///
    /// `Ready(Err(e))`: the connection failed and nothing is left to read
    /// before the error. `Ready(Ok(()))`: bytes (or EOF) wait to be read;
    /// they must not be consumed, and weir calls this again only after the
    /// next read. `Pending`: nothing happened; `cx` is woken when something
    /// does. weir calls it from the flusher task, never while a read is
    /// pending. The default never reports anything.
    ///
    /// # Errors
    ///
    /// The socket's pending error, e.g. `ConnectionReset`.
    fn poll_peer_closed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Pending
    }

    /// For a transport that holds received bytes in its own memory (a TLS
    /// layer's decrypted records): hands up to `max` of them to `sink`,
    /// which copies them into the read buffer, so they are not first
    /// copied out through [`poll_read`](Self::poll_read). Reads the
    /// connection only when it holds nothing.
    ///
    /// `Some(Ready(Ok(n)))`: `n` bytes went to `sink`, in one or more calls;
    /// `n == 0` is EOF. `Some(Pending)` and `Some(Ready(Err(_)))` as
    /// [`poll_read`](Self::poll_read). `None` (the default): weir calls
    /// `poll_read` instead.
    ///
    /// # Examples
    ///
    /// A transport over bytes it holds, lending them:
    ///
    /// ```
    /// use std::io::{self, IoSlice};
    /// use std::task::{Context, Poll};
    /// use weir_stream::rt::{ExtraInfo, Transport};
    ///
    /// struct Held(Vec<u8>);
    /// impl Transport for Held {
    ///     fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
    ///         let n = buf.len().min(self.0.len());
    ///         buf[..n].copy_from_slice(&self.0[..n]);
    ///         self.0.drain(..n);
    ///         Poll::Ready(Ok(n))
    ///     }
    ///     fn poll_read_with(
    ///         &mut self,
    ///         _: &mut Context<'_>,
    ///         max: usize,
    ///         sink: &mut dyn FnMut(&[u8]),
    ///     ) -> Option<Poll<io::Result<usize>>> {
    ///         let n = max.min(self.0.len());
    ///         sink(&self.0[..n]);
    ///         self.0.drain(..n);
    ///         Some(Poll::Ready(Ok(n)))
    ///     }
    ///     fn poll_write_vectored(&mut self, _: &mut Context<'_>, b: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
    ///         Poll::Ready(Ok(b.iter().map(|s| s.len()).sum()))
    ///     }
    ///     fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
    ///     fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
    ///     fn can_write_eof(&self) -> bool { false }
    ///     fn extra_info(&self) -> ExtraInfo { ExtraInfo::default() }
    /// }
    ///
    /// let mut t = Held(b"hello".to_vec());
    /// let mut got = Vec::new();
    /// let mut cx = Context::from_waker(std::task::Waker::noop());
    /// let r = t.poll_read_with(&mut cx, 3, &mut |chunk| got.extend_from_slice(chunk));
    /// assert!(matches!(r, Some(Poll::Ready(Ok(3)))));
    /// assert_eq!(got, b"hel");
    /// ```
    ///
    /// # Errors
    ///
    /// As [`poll_read`](Self::poll_read).
    fn poll_read_with(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Option<Poll<io::Result<usize>>> {
        let _ = (cx, max, sink);
        None
    }
}

impl fmt::Debug for dyn Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("extra_info", &self.extra_info())
            .finish()
    }
}

/// A bound, listening socket that hands out connected transports.
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::task::{Context, Poll};
/// use weir_stream::rt::{ExtraInfo, Listener, Transport};
///
/// /// A listener that never has a connection.
/// struct Idle;
/// impl Listener for Idle {
///     fn poll_accept(&mut self, _: &mut Context<'_>) -> Poll<io::Result<Box<dyn Transport>>> {
///         Poll::Pending
///     }
///     fn local_info(&self) -> ExtraInfo { ExtraInfo::default() }
/// }
/// assert!(Idle.local_info().local_addr.is_none());
/// ```
pub trait Listener: Send + 'static {
    /// Accepts one connection.
    ///
    /// # Errors
    ///
    /// The operating system's error (for example, out of file descriptors).
    /// The server logs it, waits a little, and keeps accepting.
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Box<dyn Transport>>>;

    /// The address (or path) the listener is bound to.
    fn local_info(&self) -> ExtraInfo;
}

impl fmt::Debug for dyn Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("local_info", &self.local_info())
            .finish()
    }
}

/// What an async runtime supplies: a spawner and a timer.
///
/// # Examples
///
/// ```no_run
/// use std::time::{Duration, Instant};
/// use weir_stream::rt::{BoxFuture, Runtime};
///
/// #[derive(Clone, Debug)]
/// struct Threads;
/// impl Runtime for Threads {
///     fn spawn(&self, fut: BoxFuture) {
///         std::thread::spawn(move || { let _ = fut; /* a real runtime polls it */ });
///     }
///     fn sleep(&self, d: Duration) -> BoxFuture {
///         Box::pin(async move { let _ = d; })
///     }
/// }
/// ```
pub trait Runtime: Clone + Send + Sync + fmt::Debug + 'static {
    /// Runs `fut` as a task of its own, detached.
    fn spawn(&self, fut: BoxFuture);

    /// A future that completes after `d`.
    fn sleep(&self, d: Duration) -> BoxFuture;

    /// The runtime's clock (a paused test clock, for example); the
    /// happy-eyeballs driver reads time only from here.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A boxed, sendable future of an I/O result: what [`Net`] methods return.
pub type IoFuture<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'static>>;

/// A runtime's sockets: what a backend implements besides [`Runtime`] so
/// that `open_connection`, `start_server` and their options (in
/// the crate root) are written once for every runtime.
///
/// # Examples
///
/// ```no_run
/// use weir_stream::rt::Net;
/// use weir_stream::ConnectOptions;
/// async fn hello<N: Net>() -> Result<(), weir_stream::Error> {
///     let (reader, writer) = ConnectOptions::<N>::new().connect("127.0.0.1", 8888).await?;
///     writer.write(b"hello\n")?;
///     Ok(())
/// }
/// ```
pub trait Net: Runtime {
    /// The runtime the caller runs in.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidArgument`] when called outside the runtime.
    fn current() -> Result<Self, crate::Error>;

    /// Resolves `host` (a name or an address literal) to socket addresses.
    ///
    /// # Errors
    ///
    /// The resolver's error.
    fn resolve(&self, host: &str, port: u16) -> IoFuture<Vec<SocketAddr>>;

    /// Connects over TCP, binding `local` first if given.
    ///
    /// # Errors
    ///
    /// The operating system's error.
    fn connect_tcp(
        &self,
        addr: SocketAddr,
        local: Option<SocketAddr>,
    ) -> IoFuture<Box<dyn Transport>>;

    /// Adopts a connected std socket (asyncio's `sock=`).
    ///
    /// # Errors
    ///
    /// The runtime could not register the socket.
    fn tcp_stream(&self, s: std::net::TcpStream) -> io::Result<Box<dyn Transport>>;

    /// Adopts a bound, listening std socket.
    ///
    /// # Errors
    ///
    /// The runtime could not register the socket.
    fn tcp_listener(&self, l: std::net::TcpListener) -> io::Result<Box<dyn Listener>>;

    /// Connects to a Unix socket.
    ///
    /// # Errors
    ///
    /// The operating system's error.
    #[cfg(unix)]
    fn connect_unix(&self, path: &std::path::Path) -> IoFuture<Box<dyn Transport>>;

    /// Adopts a connected std Unix socket.
    ///
    /// # Errors
    ///
    /// The runtime could not register the socket.
    #[cfg(unix)]
    fn unix_stream(&self, s: std::os::unix::net::UnixStream) -> io::Result<Box<dyn Transport>>;

    /// Adopts a bound, listening std Unix socket.
    ///
    /// # Errors
    ///
    /// The runtime could not register the socket.
    #[cfg(unix)]
    fn unix_listener(&self, l: std::os::unix::net::UnixListener) -> io::Result<Box<dyn Listener>>;
}

/// An object-safe view of a [`Runtime`], so the stream layer can keep one
/// without being generic over it.
pub(crate) trait DynRuntime: Send + Sync + fmt::Debug {
    fn spawn_dyn(&self, fut: BoxFuture);
    fn sleep_dyn(&self, d: Duration) -> BoxFuture;
}

impl<R: Runtime> DynRuntime for R {
    fn spawn_dyn(&self, fut: BoxFuture) {
        self.spawn(fut)
    }
    fn sleep_dyn(&self, d: Duration) -> BoxFuture {
        self.sleep(d)
    }
}
