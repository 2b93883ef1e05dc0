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
//! use weir_core::async_io::{AsyncIo, Spawn};
//! use weir_core::rt::BoxFuture;
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
//!     weir_core::stream::ServerOptions::<ThreadsNet>::new().start(|_r, w| async move { w.close() }, "127.0.0.1", 0),
//! )?;
//! assert_ne!(server.local_addrs()[0].port(), 0);
//! # Ok::<(), weir_core::Error>(())
//! ```

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use async_io::{Async, Timer};
use socket2::SockRef;

use crate::futures_io::FuturesTransport;
use crate::rt::{BoxFuture, ExtraInfo, IoFuture, Listener, Net, Runtime, Transport};
use crate::stream::start_connect;
use crate::Error;

/// How a runtime on async-io spawns a detached task: all that differs
/// between smol and async-std.
///
/// # Examples
///
/// ```
/// #[derive(Clone, Debug, Default)]
/// struct Threads;
/// impl weir_core::async_io::Spawn for Threads {
///     fn spawn(&self, fut: weir_core::rt::BoxFuture) {
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
/// # impl weir_core::async_io::Spawn for Threads {
/// #     fn spawn(&self, fut: weir_core::rt::BoxFuture) { std::thread::spawn(move || async_io::block_on(fut)); }
/// # }
/// use weir_core::rt::Net;
/// let rt = weir_core::async_io::AsyncIo::<Threads>::current()?;
/// # let _ = rt;
/// # Ok::<(), weir_core::Error>(())
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

    fn adopt_tcp(&self, sock: TcpStream) -> io::Result<Box<dyn Transport>> {
        tcp(Async::new(sock)?)
    }

    fn adopt_tcp_listener(&self, l: TcpListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(Tcp(Async::new(l)?)))
    }

    fn connect_unix(&self, path: PathBuf) -> IoFuture<Box<dyn Transport>> {
        Box::pin(async move { unix(Async::<UnixStream>::connect(path).await?) })
    }

    fn adopt_unix(&self, sock: UnixStream) -> io::Result<Box<dyn Transport>> {
        unix(Async::new(sock)?)
    }

    fn adopt_unix_listener(&self, l: UnixListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(Unix(Async::new(l)?)))
    }
}

/// Connects to `addr` from the local address `local` (asyncio's
/// `local_addr`): core starts the connect, async-io waits for it.
async fn connect_from(addr: SocketAddr, local: SocketAddr) -> io::Result<Async<TcpStream>> {
    let s = Async::new(start_connect(addr, local)?)?;
    s.writable().await?;
    match s.get_ref().take_error()? {
        None => Ok(s),
        Some(e) => Err(e),
    }
}

fn tcp(s: Async<TcpStream>) -> io::Result<Box<dyn Transport>> {
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
        });
    Ok(Box::new(t))
}

fn unix(s: Async<UnixStream>) -> io::Result<Box<dyn Transport>> {
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
