//! Listening sockets with asyncio's options, shared by every backend.
//!
//! Binding is synchronous and runtime-free (socket2): a backend resolves the
//! host, calls [`bind_tcp`] or [`bind_unix`], and wraps the std listeners in
//! its runtime's types.

use std::io;
use std::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::Family;
use crate::Error;

/// asyncio's default `backlog`.
pub const DEFAULT_BACKLOG: i32 = 100;

/// Options for listening sockets (asyncio's `start_server` keywords).
///
/// # Examples
///
/// ```
/// let mut o = weir_stream::ListenOptions::default();
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
/// use weir_stream::{bind_tcp, ListenOptions};
/// let ls = bind_tcp(&["127.0.0.1:0".parse().unwrap()], &ListenOptions::default())?;
/// assert_ne!(ls[0].local_addr().unwrap().port(), 0);
/// # Ok::<(), weir_stream::Error>(())
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
/// let l = weir_stream::bind_unix(&dir.join("s.sock"), 16)?;
/// # drop(l); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), weir_stream::Error>(())
/// ```
#[cfg(unix)]
pub fn bind_unix(path: &Path, backlog: i32) -> Result<std::os::unix::net::UnixListener, Error> {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(path);
        }
    }
    let what = || format!("bind unix {}", path.display());
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| context(e, what()))?;
    let addr = SockAddr::unix(path).map_err(|e| context(e, what()))?;
    sock.bind(&addr).map_err(|e| context(e, what()))?;
    sock.listen(backlog)
        .map_err(|e| context(e, format!("listen on unix {}", path.display())))?;
    sock.set_nonblocking(true).map_err(|e| context(e, what()))?;
    Ok(sock.into())
}

/// A Unix listener that names its path and removes its socket file when
/// dropped (asyncio 3.13's `cleanup_socket`): only the file it bound, not
/// one another listener has put at the path since.
#[cfg(unix)]
pub(crate) struct UnixCleanup {
    inner: Box<dyn crate::rt::Listener>,
    path: std::path::PathBuf,
    /// The socket file's device and inode, as bound.
    file: Option<(u64, u64)>,
}

/// The device and inode of the socket file at `path`, if one is there.
#[cfg(unix)]
fn socket_file(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let m = std::fs::symlink_metadata(path).ok()?;
    m.file_type().is_socket().then(|| (m.dev(), m.ino()))
}

#[cfg(unix)]
impl UnixCleanup {
    /// Call right after binding `path`: the file there now is the one to remove.
    pub(crate) fn new(inner: Box<dyn crate::rt::Listener>, path: std::path::PathBuf) -> Self {
        let file = socket_file(&path);
        UnixCleanup { inner, path, file }
    }
}

#[cfg(unix)]
impl crate::rt::Listener for UnixCleanup {
    fn poll_accept(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<Box<dyn crate::rt::Transport>>> {
        self.inner.poll_accept(cx)
    }

    fn local_info(&self) -> crate::rt::ExtraInfo {
        let mut info = self.inner.local_info();
        info.local_path = Some(self.path.clone());
        info
    }
}

#[cfg(unix)]
impl Drop for UnixCleanup {
    fn drop(&mut self) {
        if self.file.is_some() && socket_file(&self.path) == self.file {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
