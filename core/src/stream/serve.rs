//! `ServerOptions`: asyncio's `start_server` keywords, for every backend.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::path::Path;

use super::net::{bind_tcp, context, listen_addrs, ListenOptions};
use super::{Family, Server, ServerConfig, StreamReader, StreamWriter};
use crate::rt::{Listener, Net};
use crate::{Error, DEFAULT_LIMIT};

/// Options for `start_server`: asyncio's keyword arguments, written once for
/// every runtime `N` (each backend names it: `weir_tokio::ServerOptions`,
/// `weir_smol::ServerOptions`, ...).
///
/// # Examples
///
/// ```no_run
/// # async fn demo<N: weir_core::rt::Net>() -> Result<(), weir_core::Error> {
/// let server = weir_core::stream::ServerOptions::<N>::new()
///     .limit(1 << 20)
///     .backlog(1024)
///     .reuse_port(true)
///     .start_serving(false)
///     .start(|_r, _w| async {}, "127.0.0.1", 0)
///     .await?;
/// server.start_serving();
/// # Ok(()) }
/// ```
pub struct ServerOptions<N> {
    limit: usize,
    listen: ListenOptions,
    start_serving: bool,
    rt: PhantomData<fn() -> N>,
}

impl<N> fmt::Debug for ServerOptions<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("limit", &self.limit)
            .field("listen", &self.listen)
            .field("start_serving", &self.start_serving)
            .finish()
    }
}

impl<N> Clone for ServerOptions<N> {
    fn clone(&self) -> Self {
        ServerOptions {
            listen: self.listen.clone(),
            ..*self
        }
    }
}

impl<N: Net> Default for ServerOptions<N> {
    fn default() -> Self {
        ServerOptions::new()
    }
}

impl<N: Net> ServerOptions<N> {
    /// asyncio's defaults: limit 64 KiB, backlog 100, `SO_REUSEADDR`, serving at once.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() {
    /// let o = weir_core::stream::ServerOptions::<N>::new();
    /// # }
    /// ```
    pub fn new() -> ServerOptions<N> {
        ServerOptions {
            limit: DEFAULT_LIMIT,
            listen: ListenOptions::default(),
            start_serving: true,
            rt: PhantomData,
        }
    }

    /// Each connection reader's limit (asyncio's `limit`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() {
    /// let o = weir_core::stream::ServerOptions::<N>::new().limit(4096);
    /// # }
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The accept queue length (asyncio's `backlog`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() {
    /// let o = weir_core::stream::ServerOptions::<N>::new().backlog(1024);
    /// # }
    /// ```
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.listen.backlog = backlog;
        self
    }

    /// `SO_REUSEADDR` (asyncio's `reuse_address`, default true on Unix).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() {
    /// let o = weir_core::stream::ServerOptions::<N>::new().reuse_address(false);
    /// # }
    /// ```
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.listen.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT` (asyncio's `reuse_port`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() {
    /// let o = weir_core::stream::ServerOptions::<N>::new().reuse_port(true);
    /// # }
    /// ```
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.listen.reuse_port = on;
        self
    }

    /// Only bind addresses of this family (asyncio's `family`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() {
    /// use weir_core::stream::{Family, ServerOptions};
    /// let o = ServerOptions::<N>::new().family(Family::V4);
    /// # }
    /// ```
    pub fn family(mut self, family: Family) -> Self {
        self.listen.family = family;
        self
    }

    /// Accept at once (true, the default) or only after
    /// [`Server::start_serving`] / [`Server::serve_forever`] (asyncio's `start_serving`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() {
    /// let o = weir_core::stream::ServerOptions::<N>::new().start_serving(false);
    /// # }
    /// ```
    pub fn start_serving(mut self, on: bool) -> Self {
        self.start_serving = on;
        self
    }

    /// The runtime, after checking the limit.
    fn runtime(&self) -> Result<N, Error> {
        let rt = N::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        Ok(rt)
    }

    fn serve<H, F>(
        &self,
        rt: &N,
        listeners: Vec<Box<dyn Listener>>,
        handler: H,
    ) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let config = ServerConfig {
            limit: self.limit,
            start_serving: self.start_serving,
        };
        Server::new(rt, listeners, Server::handler(handler), config)
    }

    /// Listens on `host:port` and runs `handler(reader, writer)` as a task
    /// for each client: asyncio's `start_server`.
    ///
    /// `host` may resolve to several addresses (one listener each); an empty
    /// host listens on every interface (asyncio's `host=None`); port 0 picks
    /// a free port (see [`Server::local_addrs`]).
    ///
    /// # Errors
    ///
    /// A connection error naming what failed: resolving the host, or binding
    /// an address (for example, a port in use); [`Error::InvalidLimit`] for
    /// a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_core::rt::Net>() -> Result<(), weir_core::Error> {
    /// let s = weir_core::stream::ServerOptions::<N>::new()
    ///     .start(|_r, _w| async {}, "localhost", 0)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn start<H, F>(&self, handler: H, host: &str, port: u16) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let rt = self.runtime()?;
        let addrs = listen_addrs(&rt, host, port).await?;
        let mut listeners = Vec::new();
        for l in bind_tcp(&addrs, &self.listen)? {
            let addr = l.local_addr().ok();
            let l = rt
                .adopt_tcp_listener(l)
                .map_err(|e| context(e, format_args!("listen on {addr:?}")))?;
            listeners.push(l);
        }
        self.serve(&rt, listeners, handler)
    }

    /// Serves on an already-bound listener (asyncio's `start_server(sock=...)`).
    ///
    /// # Errors
    ///
    /// A connection error if the runtime cannot register the socket;
    /// [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_core::rt::Net>() -> Result<(), weir_core::Error> {
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = weir_core::stream::ServerOptions::<N>::new().start_with_listener(|_r, _w| async {}, l)?;
    /// # Ok(()) }
    /// ```
    pub fn start_with_listener<H, F>(
        &self,
        handler: H,
        listener: std::net::TcpListener,
    ) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let rt = self.runtime()?;
        let l = listener
            .set_nonblocking(true)
            .and_then(|()| rt.adopt_tcp_listener(listener))
            .map_err(|e| context(e, "adopt listener"))?;
        self.serve(&rt, vec![l], handler)
    }

    /// Binds the Unix socket `path` and starts the server: asyncio's
    /// `start_unix_server`. The socket file is removed when the server is
    /// dropped; a stale socket file in the way is replaced.
    ///
    /// # Errors
    ///
    /// A connection error naming the path (for example, another file in the
    /// way); [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_core::rt::Net>() -> Result<(), weir_core::Error> {
    /// let s = weir_core::stream::ServerOptions::<N>::new()
    ///     .start_unix(|_r, _w| async {}, "/tmp/s.sock")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub async fn start_unix<H, F>(
        &self,
        handler: H,
        path: impl AsRef<Path>,
    ) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let rt = self.runtime()?;
        let path = path.as_ref();
        let l = super::net::bind_unix(path, self.listen.backlog)?;
        let inner = rt
            .adopt_unix_listener(l)
            .map_err(|e| context(e, format_args!("listen on unix {}", path.display())))?;
        let l = super::net::UnixPathListener {
            inner,
            path: path.to_path_buf(),
        };
        self.serve(&rt, vec![Box::new(l)], handler)
    }
}
