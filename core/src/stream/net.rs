//! Listening sockets with asyncio's options, shared by every backend.
//!
//! Binding is synchronous and runtime-free (socket2): a backend resolves the
//! host, calls [`bind_tcp`] or [`bind_unix`], and wraps the std listeners in
//! its runtime's types.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::Family;
use crate::rt::{ExtraInfo, IoFuture, Listener, Net, Transport};
use crate::Error;

/// asyncio's default `backlog`.
pub const DEFAULT_BACKLOG: i32 = 100;

/// Options for listening sockets (asyncio's `start_server` keywords).
///
/// # Examples
///
/// ```
/// let mut o = weir_core::stream::ListenOptions::default();
/// o.backlog = 10;
/// assert!(o.reuse_address);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// The accept queue length (asyncio's `backlog`, default 100).
    pub backlog: i32,
    /// `SO_REUSEADDR` (asyncio's default on Unix: true).
    pub reuse_address: bool,
    /// `SO_REUSEPORT` (default false).
    pub reuse_port: bool,
    /// Which families of the resolved addresses to bind.
    pub family: Family,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            backlog: DEFAULT_BACKLOG,
            reuse_address: cfg!(unix),
            reuse_port: false,
            family: Family::Any,
        }
    }
}

/// Names an I/O error with the operation and the address it concerned.
pub(crate) fn context(e: io::Error, what: impl std::fmt::Display) -> Error {
    Error::connection(io::Error::new(e.kind(), format!("{what}: {e}")))
}

/// Binds and listens on each address that matches `opts.family`, as
/// asyncio's `start_server` does for each address the host resolves to.
///
/// # Errors
///
/// A connection error naming the address that failed (for example, "bind
/// 127.0.0.1:8888: address in use"); [`Error::InvalidArgument`] when no
/// address is left after the family filter.
///
/// # Examples
///
/// ```
/// use weir_core::stream::{bind_tcp, ListenOptions};
/// let ls = bind_tcp(&["127.0.0.1:0".parse().unwrap()], &ListenOptions::default())?;
/// assert_ne!(ls[0].local_addr().unwrap().port(), 0);
/// # Ok::<(), weir_core::Error>(())
/// ```
pub fn bind_tcp(
    addrs: &[SocketAddr],
    opts: &ListenOptions,
) -> Result<Vec<std::net::TcpListener>, Error> {
    let addrs: Vec<_> = addrs.iter().filter(|a| opts.family.matches(a)).collect();
    if addrs.is_empty() {
        return Err(Error::InvalidArgument(
            "start_server: no address of the requested family to bind",
        ));
    }
    let several = addrs.len() > 1;
    let mut out = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let sock = Socket::new(
            Domain::for_address(*addr),
            Type::STREAM,
            Some(Protocol::TCP),
        )
        .map_err(|e| context(e, format_args!("socket for {addr}")))?;
        let setup = || -> io::Result<()> {
            if opts.reuse_address {
                sock.set_reuse_address(true)?;
            }
            #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
            if opts.reuse_port {
                sock.set_reuse_port(true)?;
            }
            if addr.is_ipv6() && several {
                // Binding "::" next to "0.0.0.0", as asyncio does.
                sock.set_only_v6(true)?;
            }
            Ok(())
        };
        setup().map_err(|e| context(e, format_args!("socket options for {addr}")))?;
        sock.bind(&SockAddr::from(*addr))
            .map_err(|e| context(e, format_args!("bind {addr}")))?;
        sock.listen(opts.backlog)
            .map_err(|e| context(e, format_args!("listen on {addr}")))?;
        sock.set_nonblocking(true)
            .map_err(|e| context(e, format_args!("listen on {addr}")))?;
        out.push(sock.into());
    }
    Ok(out)
}

/// Binds a Unix socket at `path`, first removing a stale socket file left
/// there (as asyncio does); any other file in the way is an error.
///
/// # Errors
///
/// A connection error naming the path (for example, "bind unix /tmp/x:
/// address in use" when a regular file is there).
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("weir-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let l = weir_core::stream::bind_unix(&dir.join("s.sock"), 16)?;
/// # drop(l); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), weir_core::Error>(())
/// ```
#[cfg(unix)]
pub fn bind_unix(path: &Path, backlog: i32) -> Result<std::os::unix::net::UnixListener, Error> {
    remove_socket_file(path);
    let what = || format!("bind unix {}", path.display());
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| context(e, what()))?;
    let addr = SockAddr::unix(path).map_err(|e| context(e, what()))?;
    sock.bind(&addr).map_err(|e| context(e, what()))?;
    sock.listen(backlog)
        .map_err(|e| context(e, format!("listen on unix {}", path.display())))?;
    sock.set_nonblocking(true).map_err(|e| context(e, what()))?;
    Ok(sock.into())
}

/// Starts a TCP connect to `addr` from the local address `local`
/// (asyncio's `local_addr`): a non-blocking socket, bound, connecting.
///
/// The caller registers the socket with its reactor, waits until it is
/// writable, then reads `take_error()`: `None` means connected.
///
/// # Errors
///
/// The operating system's error from creating or binding the socket, or a
/// connect that failed at once.
///
/// # Examples
///
/// ```
/// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let s = weir_core::stream::start_connect(
///     l.local_addr().unwrap(),
///     "127.0.0.1:0".parse().unwrap(),
/// ).unwrap();
/// s.set_nonblocking(false).unwrap();
/// let (peer, _) = l.accept().unwrap();
/// assert_eq!(peer.peer_addr().unwrap(), s.local_addr().unwrap());
/// ```
pub fn start_connect(addr: SocketAddr, local: SocketAddr) -> io::Result<std::net::TcpStream> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.bind(&SockAddr::from(local))?;
    sock.set_nonblocking(true)?;
    match sock.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(sock.into())
}

/// Resolves `host:port` without blocking the caller: IP literals at once,
/// names with the system resolver on a thread of its own. The default of
/// [`Net::resolve`](crate::rt::Net::resolve).
pub(crate) fn resolve_in_thread(host: &str, port: u16) -> IoFuture<Vec<SocketAddr>> {
    use std::net::{IpAddr, ToSocketAddrs};
    if let Ok(ip) = host.parse::<IpAddr>() {
        let addrs = vec![SocketAddr::new(ip, port)];
        return Box::pin(std::future::ready(Ok(addrs)));
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

/// The addresses `start_server(host, port)` listens on: every interface
/// (IPv4 and IPv6) for an empty host (asyncio's `host=None`), else each
/// distinct address `host` resolves to.
pub(crate) async fn listen_addrs<N: Net>(
    rt: &N,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, Error> {
    if host.is_empty() {
        return Ok(vec![
            (Ipv4Addr::UNSPECIFIED, port).into(),
            (Ipv6Addr::UNSPECIFIED, port).into(),
        ]);
    }
    let mut v = rt
        .resolve(host, port)
        .await
        .map_err(|e| context(e, format_args!("resolve {host}:{port}")))?;
    let mut seen = std::collections::HashSet::new();
    v.retain(|a| seen.insert(*a));
    Ok(v)
}

/// Removes the socket file at `path` if a socket is there (never another
/// kind of file).
#[cfg(unix)]
fn remove_socket_file(path: &Path) {
    use std::os::unix::fs::FileTypeExt;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(path);
    }
}

/// A Unix listener that knows its path and removes its socket file when
/// dropped (asyncio 3.13's `start_unix_server(cleanup_socket=True)`).
#[cfg(unix)]
pub(crate) struct UnixPathListener {
    pub(crate) inner: Box<dyn Listener>,
    pub(crate) path: PathBuf,
}

#[cfg(unix)]
impl Listener for UnixPathListener {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Box<dyn Transport>>> {
        self.inner.poll_accept(cx)
    }

    fn local_info(&self) -> ExtraInfo {
        ExtraInfo {
            local_path: Some(self.path.clone()),
            ..ExtraInfo::default()
        }
    }
}

#[cfg(unix)]
impl Drop for UnixPathListener {
    fn drop(&mut self) {
        remove_socket_file(&self.path);
    }
}
