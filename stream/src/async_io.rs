//! The sockets smol and async-std share (feature `async-io`): both run on
//! async-io's reactor, so one [`Net`] implementation serves both; a backend
//! supplies only its spawner ([`Spawn`]).
//!
//! [`AsyncIo<S>`] is the whole runtime: `S` spawns, `async_io::Timer`
//! sleeps, and `async_io::Async` registers TCP and Unix sockets, wrapped in
//! a [`FuturesTransport`].
//!
//! # Examples
//!
//! A runtime that spawns each task on a thread of its own:
//!
//! ```
//! use weir_stream::async_io::{AsyncIo, Spawn};
//! use weir_stream::rt::BoxFuture;
//!
//! #[derive(Clone, Debug, Default)]
//! struct Threads;
//! impl Spawn for Threads {
//!     fn spawn(&self, fut: BoxFuture) {
//!         std::thread::spawn(move || async_io::block_on(fut));
//!     }
//! }
//! type ThreadsNet = AsyncIo<Threads>;
//! let server = async_io::block_on(
//!     weir_stream::ServerOptions::<ThreadsNet>::new().start(|_r, w| async move { w.close() }, "127.0.0.1", 0),
//! )?;
//! assert_ne!(server.local_addrs()[0].port(), 0);
//! # Ok::<(), weir_stream::Error>(())
//! ```

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use async_io::{Async, ReadableOwned, Timer, WritableOwned};
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};

use crate::futures_io::FuturesTransport;
use crate::rt::{BoxFuture, ExtraInfo, IoFuture, Listener, Net, Runtime, Transport};
use crate::Error;

/// How a runtime on async-io spawns a detached task: all that differs
/// between smol and async-std.
///
/// # Examples
///
/// ```
/// #[derive(Clone, Debug, Default)]
/// struct Threads;
/// impl weir_stream::async_io::Spawn for Threads {
///     fn spawn(&self, fut: weir_stream::rt::BoxFuture) {
///         std::thread::spawn(move || async_io::block_on(fut));
///     }
/// }
/// ```
pub trait Spawn: Clone + Default + Send + Sync + fmt::Debug + 'static {
    /// Runs `fut` as a task of its own, detached.
    fn spawn(&self, fut: BoxFuture);
}

/// A runtime on async-io's reactor: `S` spawns, `async_io::Timer` sleeps,
/// `async_io::Async` drives the sockets.
///
/// # Examples
///
/// ```
/// # #[derive(Clone, Debug, Default)] struct Threads;
/// # impl weir_stream::async_io::Spawn for Threads {
/// #     fn spawn(&self, fut: weir_stream::rt::BoxFuture) { std::thread::spawn(move || async_io::block_on(fut)); }
/// # }
/// use weir_stream::rt::Net;
/// let rt = weir_stream::async_io::AsyncIo::<Threads>::current()?;
/// # let _ = rt;
/// # Ok::<(), weir_stream::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct AsyncIo<S>(pub S);

impl<S: Spawn> Runtime for AsyncIo<S> {
    fn spawn(&self, fut: BoxFuture) {
        self.0.spawn(fut)
    }

    fn sleep(&self, d: Duration) -> BoxFuture {
        Box::pin(async move {
            Timer::after(d).await;
        })
    }
}

impl<S: Spawn> Net for AsyncIo<S> {
    fn current() -> Result<Self, Error> {
        Ok(AsyncIo(S::default()))
    }

    fn resolve(&self, host: &str, port: u16) -> IoFuture<Vec<SocketAddr>> {
        resolve_in_thread(host, port)
    }

    fn connect_tcp(
        &self,
        addr: SocketAddr,
        local: Option<SocketAddr>,
    ) -> IoFuture<Box<dyn Transport>> {
        Box::pin(async move {
            let s = match local {
                None => Async::<TcpStream>::connect(addr).await?,
                Some(local) => connect_from(addr, local).await?,
            };
            tcp(s)
        })
    }

    fn tcp_stream(&self, s: TcpStream) -> io::Result<Box<dyn Transport>> {
        tcp(Async::new(s)?)
    }

    fn tcp_listener(&self, l: TcpListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(Tcp(Async::new(l)?)))
    }

    fn connect_unix(&self, path: &Path) -> IoFuture<Box<dyn Transport>> {
        let path = path.to_path_buf();
        Box::pin(async move { unix(Async::<UnixStream>::connect(path).await?) })
    }

    fn unix_stream(&self, s: UnixStream) -> io::Result<Box<dyn Transport>> {
        unix(Async::new(s)?)
    }

    fn unix_listener(&self, l: UnixListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(Unix(Async::new(l)?)))
    }
}

/// Resolves `host:port` without blocking the runtime: IP literals at once,
/// names with the system resolver (`getaddrinfo`) on a thread of its own.
fn resolve_in_thread(host: &str, port: u16) -> IoFuture<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Box::pin(std::future::ready(Ok(vec![SocketAddr::new(ip, port)])));
    }
    type Slot = (Option<io::Result<Vec<SocketAddr>>>, Option<Waker>);
    let slot: Arc<Mutex<Slot>> = Arc::new(Mutex::new((None, None)));
    let (theirs, host) = (slot.clone(), host.to_string());
    let spawned = std::thread::Builder::new()
        .name("weir-resolve".into())
        .spawn(move || {
            let res = (host.as_str(), port)
                .to_socket_addrs()
                .map(|it| it.collect::<Vec<_>>());
            let mut s = theirs.lock().unwrap_or_else(|p| p.into_inner());
            s.0 = Some(res);
            if let Some(w) = s.1.take() {
                w.wake();
            }
        });
    if let Err(e) = spawned {
        return Box::pin(std::future::ready(Err(e)));
    }
    Box::pin(std::future::poll_fn(move |cx| {
        let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
        match s.0.take() {
            Some(res) => Poll::Ready(res),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }))
}

/// Connects to `addr` from the local address `local` (asyncio's
/// `local_addr`): a non-blocking socket, bound, connecting; async-io waits
/// until it is writable.
async fn connect_from(addr: SocketAddr, local: SocketAddr) -> io::Result<Async<TcpStream>> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.bind(&SockAddr::from(local))?;
    sock.set_nonblocking(true)?;
    match sock.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    let s = Async::new(TcpStream::from(sock))?;
    s.writable().await?;
    match s.get_ref().take_error()? {
        None => Ok(s),
        Some(e) => Err(e),
    }
}

/// A socket registered with async-io, read and written through a readiness
/// future kept from one poll to the next (async-net's way), not `Async`'s
/// own `poll_read` and `poll_write`.
///
/// Those wait with `poll_readable` / `poll_writable`, which keep the reactor
/// tick of the last wait in the socket's shared state: the first wait after
/// the event that woke the task sees that tick outdated and returns at once,
/// so every burst of requests cost one more `recv` that fails with `EAGAIN`
/// (the echo benchmark's p2 on weir-smol: 187,320 receives for 62,500
/// bursts, against smol-bufio's 125,035 over async-net). A readiness future
/// made for each wait starts from the current tick.
pub(crate) struct Registered<T> {
    io: Arc<Async<T>>,
    readable: Option<ReadableOwned<T>>,
    writable: Option<WritableOwned<T>>,
}

impl<T> Registered<T> {
    fn new(io: Async<T>) -> Registered<T> {
        Registered {
            io: Arc::new(io),
            readable: None,
            writable: None,
        }
    }

    /// The socket.
    fn get_ref(&self) -> &T {
        self.io.get_ref()
    }
}

/// One attempt of `op` on the socket; on `WouldBlock`, waits with the
/// readiness future in `wait` (made by `ready` when there is none) and tries
/// again. The future is dropped once `op` succeeds or it has fired, so the
/// next wait starts from the reactor's current tick.
fn poll_ready_io<T, F, R>(
    io: &Arc<Async<T>>,
    wait: &mut Option<F>,
    ready: fn(Arc<Async<T>>) -> F,
    cx: &mut Context<'_>,
    mut op: impl FnMut(&T) -> io::Result<R>,
) -> Poll<io::Result<R>>
where
    F: Future<Output = io::Result<()>> + Unpin,
{
    loop {
        match op(io.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            res => {
                *wait = None;
                return Poll::Ready(res);
            }
        }
        let fired = ready!(Pin::new(wait.get_or_insert_with(|| ready(io.clone()))).poll(cx));
        *wait = None;
        fired?;
    }
}

impl<T> futures_io::AsyncRead for Registered<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        poll_ready_io(
            &this.io,
            &mut this.readable,
            Async::readable_owned,
            cx,
            |mut s| s.read(buf),
        )
    }
}

impl<T> futures_io::AsyncWrite for Registered<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        poll_ready_io(
            &this.io,
            &mut this.writable,
            Async::writable_owned,
            cx,
            |mut s| s.write(buf),
        )
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        poll_ready_io(
            &this.io,
            &mut this.writable,
            Async::writable_owned,
            cx,
            |mut s| s.write_vectored(bufs),
        )
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.io).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.io).poll_close(cx)
    }
}

fn tcp(s: Async<TcpStream>) -> io::Result<Box<dyn Transport>> {
    let s = Registered::new(s);
    let std = s.get_ref();
    let _ = std.set_nodelay(true);
    let info = ExtraInfo {
        peer_addr: std.peer_addr().ok(),
        local_addr: std.local_addr().ok(),
        raw_fd: Some(std::os::fd::AsRawFd::as_raw_fd(std)),
        ..ExtraInfo::default()
    };
    let t = FuturesTransport::new(s, info)
        .with_shutdown(|s| s.get_ref().shutdown(Shutdown::Write))
        .with_abort(|s| {
            // SO_LINGER 0: closing sends a reset, as asyncio's abort does.
            let _ = SockRef::from(s.get_ref()).set_linger(Some(Duration::ZERO));
        })
        .with_peer_check(peer_check);
    Ok(Box::new(t))
}

/// A one-byte peek once readable: bytes or EOF are left for the next read
/// (`Ok`); a reset with nothing unread before it is its error.
fn peer_check(s: &Registered<TcpStream>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    loop {
        match s.get_ref().peek(&mut [0u8; 1]) {
            Ok(_) => return Poll::Ready(Ok(())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Poll::Ready(Err(e)),
        }
        ready!(s.io.poll_readable(cx))?;
    }
}

fn unix(s: Async<UnixStream>) -> io::Result<Box<dyn Transport>> {
    let s = Registered::new(s);
    let std = s.get_ref();
    let path = |a: io::Result<std::os::unix::net::SocketAddr>| {
        a.ok().and_then(|a| a.as_pathname().map(PathBuf::from))
    };
    let info = ExtraInfo {
        peer_path: path(std.peer_addr()),
        local_path: path(std.local_addr()),
        raw_fd: Some(std::os::fd::AsRawFd::as_raw_fd(std)),
        ..ExtraInfo::default()
    };
    let t = FuturesTransport::new(s, info).with_shutdown(|s| s.get_ref().shutdown(Shutdown::Write));
    Ok(Box::new(t))
}

/// Accepts from a non-blocking std listener registered with async-io.
fn poll_accept<L, S>(
    l: &Async<L>,
    cx: &mut Context<'_>,
    accept: impl Fn(&L) -> io::Result<S>,
) -> Poll<io::Result<S>>
where
    L: std::os::fd::AsFd,
{
    loop {
        match accept(l.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            res => return Poll::Ready(res),
        }
        ready!(l.poll_readable(cx))?;
    }
}

struct Tcp(Async<TcpListener>);

impl Listener for Tcp {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Box<dyn Transport>>> {
        let s = ready!(poll_accept(&self.0, cx, |l| l.accept().map(|(s, _)| s)))?;
        Poll::Ready(Async::new(s).and_then(tcp))
    }

    fn local_info(&self) -> ExtraInfo {
        ExtraInfo {
            local_addr: self.0.get_ref().local_addr().ok(),
            ..ExtraInfo::default()
        }
    }
}

struct Unix(Async<UnixListener>);

impl Listener for Unix {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Box<dyn Transport>>> {
        let s = ready!(poll_accept(&self.0, cx, |l| l.accept().map(|(s, _)| s)))?;
        Poll::Ready(Async::new(s).and_then(unix))
    }

    fn local_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

impl<S, T> crate::rt::AdoptIo<T> for AsyncIo<S>
where
    S: Spawn,
    T: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + Send + 'static,
{
    fn adopt_io(io: T) -> Box<dyn Transport> {
        Box::new(FuturesTransport::new(io, ExtraInfo::default()))
    }
}

impl<S, T> crate::rt::AdoptRead<T> for AsyncIo<S>
where
    S: Spawn,
    T: futures_io::AsyncRead + Unpin + Send + 'static,
{
    fn adopt_read(r: T) -> Box<dyn Transport> {
        Box::new(crate::futures_io::FuturesReadTransport::new(r))
    }
}

impl<S, T> crate::rt::AdoptWrite<T> for AsyncIo<S>
where
    S: Spawn,
    T: futures_io::AsyncWrite + Unpin + Send + 'static,
{
    fn adopt_write(w: T) -> Box<dyn Transport> {
        Box::new(crate::futures_io::FuturesWriteTransport::new(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, BorrowedFd};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// One end of a socket pair that counts the reads made on it.
    struct Counted {
        s: UnixStream,
        reads: Arc<AtomicUsize>,
    }

    impl Read for &Counted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            (&self.s).read(buf)
        }
    }

    impl AsFd for Counted {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.s.as_fd()
        }
    }

    /// Each burst is read with one read that returns it and one that finds
    /// the socket empty and waits, also after the reactor has delivered the
    /// event that woke the task (`Async::poll_read` makes a third read then).
    #[test]
    fn a_wait_for_input_costs_one_empty_read() {
        use futures_io::AsyncRead;
        let (a, mut b) = UnixStream::pair().unwrap();
        let reads = Arc::new(AtomicUsize::new(0));
        let counted = Counted {
            s: a,
            reads: reads.clone(),
        };
        let mut r = Registered::new(Async::new(counted).unwrap());
        let rounds = 20;
        async_io::block_on(async {
            let mut buf = [0u8; 64];
            for round in 0..rounds {
                // The reader waits with nothing to read: one empty read.
                let waiting =
                    futures_lite::future::poll_once(futures_lite::future::poll_fn(|cx| {
                        Pin::new(&mut r).poll_read(cx, &mut buf)
                    }))
                    .await;
                assert!(waiting.is_none(), "round {round}: the read must wait");
                // The peer writes; the reactor delivers the event while this
                // thread sleeps.
                b.write_all(b"burst").unwrap();
                Timer::after(Duration::from_millis(5)).await;
                let n =
                    futures_lite::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf))
                        .await
                        .unwrap();
                assert_eq!(&buf[..n], b"burst");
            }
        });
        assert_eq!(reads.load(Ordering::Relaxed), 2 * rounds);
    }
}
