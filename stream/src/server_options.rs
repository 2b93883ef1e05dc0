//! `start_server` and its options, for every runtime that implements [`Net`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use super::net::{bind_tcp, context, ListenOptions};
use super::{Family, Server, ServerConfig, StreamReader, StreamWriter};
use crate::rt::{Listener, Net};
use crate::{Error, DEFAULT_LIMIT};

/// Options for `start_server`: asyncio's keyword arguments. A backend
/// names it for its runtime (`weir_tokio::ServerOptions`).
///
/// The handler is any `Fn(StreamReader, StreamWriter) -> impl Future`; each
/// connection runs it as a task of its own.
///
/// # Examples
///
/// ```no_run
/// use weir_stream::{rt::Net, ServerOptions};
/// async fn demo<N: Net>() -> Result<(), weir_stream::Error> {
///     let server = ServerOptions::<N>::new()
///         .limit(1 << 20)
///         .backlog(1024)
///         .reuse_port(true)
///         .start_serving(false)
///         .start(|_r, _w| async {}, "127.0.0.1", 0)
///         .await?;
///     server.start_serving();
///     Ok(())
/// }
/// ```
pub struct ServerOptions<N> {
    limit: usize,
    listen: ListenOptions,
    start_serving: bool,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::ServerTls>,
    net: PhantomData<fn() -> N>,
}

impl<N> Clone for ServerOptions<N> {
    fn clone(&self) -> Self {
        ServerOptions {
            limit: self.limit,
            listen: self.listen.clone(),
            start_serving: self.start_serving,
            #[cfg(feature = "tls")]
            tls: self.tls.clone(),
            net: PhantomData,
        }
    }
}

impl<N> fmt::Debug for ServerOptions<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("limit", &self.limit)
            .field("listen", &self.listen)
            .field("start_serving", &self.start_serving)
            .field("tls", &self.tls_debug())
            .finish()
    }
}

impl<N> ServerOptions<N> {
    fn tls_debug(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
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
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ServerOptions::<N>::new();
    /// # }
    /// ```
    pub fn new() -> Self {
        ServerOptions {
            limit: DEFAULT_LIMIT,
            listen: ListenOptions::default(),
            start_serving: true,
            #[cfg(feature = "tls")]
            tls: None,
            net: PhantomData,
        }
    }

    /// Each connection reader's limit (asyncio's `limit`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ServerOptions::<N>::new().limit(4096);
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
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ServerOptions::<N>::new().backlog(1024);
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
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ServerOptions::<N>::new().reuse_address(false);
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
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ServerOptions::<N>::new().reuse_port(true);
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
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ServerOptions::<N>::new().family(weir_stream::Family::V4);
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
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ServerOptions::<N>::new().start_serving(false);
    /// # }
    /// ```
    pub fn start_serving(mut self, on: bool) -> Self {
        self.start_serving = on;
        self
    }

    /// Serves TLS with this identity (asyncio's `ssl=`): each client's
    /// handshake runs before its handler, bounded by the identity's handshake
    /// timeout; a failed one is logged and closes that connection only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let tls = weir_stream::tls::ServerTls::from_pem_files("cert.pem", "key.pem")?;
    /// let o = weir_stream::ServerOptions::<N>::new().tls(tls);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    fn check(&self) -> Result<N, Error> {
        let net = N::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        Ok(net)
    }

    fn serve<H, F>(
        &self,
        net: &N,
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
            #[cfg(feature = "tls")]
            tls: self.tls.clone(),
        };
        Server::new(net, listeners, Server::handler(handler), config)
    }

    /// Listens on `host:port` and runs `handler(reader, writer)` as a task
    /// for each client (asyncio's `start_server`).
    ///
    /// `host` may resolve to several addresses (one listener each); an
    /// empty host listens on every interface (asyncio's `host=None`); port
    /// 0 picks a free port (see [`Server::local_addrs`]).
    ///
    /// # Errors
    ///
    /// A connection error naming what failed: resolving the host, or
    /// binding an address (for example, a port in use);
    /// [`Error::InvalidArgument`] when no address of the family is left;
    /// [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let s = weir_stream::ServerOptions::<N>::new()
    ///     .start(|_r, _w| async {}, "localhost", 0)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn start<H, F>(&self, handler: H, host: &str, port: u16) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let net = self.check()?;
        let addrs: Vec<SocketAddr> = if host.is_empty() {
            vec![
                (Ipv4Addr::UNSPECIFIED, port).into(),
                (Ipv6Addr::UNSPECIFIED, port).into(),
            ]
        } else {
            let mut v = net
                .resolve(host, port)
                .await
                .map_err(|e| context(e, format_args!("resolve {host}:{port}")))?;
            v.dedup();
            v
        };
        let mut listeners: Vec<Box<dyn Listener>> = Vec::new();
        for l in bind_tcp(&addrs, &self.listen)? {
            let addr = l.local_addr().ok();
            let l = net
                .tcp_listener(l)
                .map_err(|e| context(e, format_args!("listen on {addr:?}")))?;
            listeners.push(l);
        }
        self.serve(&net, listeners, handler)
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
    /// # fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = weir_stream::ServerOptions::<N>::new().start_with_listener(|_r, _w| async {}, l)?;
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
        let net = self.check()?;
        listener
            .set_nonblocking(true)
            .map_err(|e| context(e, "adopt listener"))?;
        let l = net
            .tcp_listener(listener)
            .map_err(|e| context(e, "adopt listener"))?;
        self.serve(&net, vec![l], handler)
    }

    /// Listens on the Unix socket `path` (asyncio's `start_unix_server`).
    /// A stale socket file there is replaced; the file is removed when the
    /// server closes.
    ///
    /// # Errors
    ///
    /// A connection error naming the path (for example, another file in
    /// the way); [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let s = weir_stream::ServerOptions::<N>::new()
    ///     .start_unix(|_r, _w| async {}, "/tmp/s.sock")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub async fn start_unix<H, F>(
        &self,
        handler: H,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let net = self.check()?;
        let path = path.as_ref();
        let l = super::net::bind_unix(path, self.listen.backlog)?;
        let l = net
            .unix_listener(l)
            .map_err(|e| context(e, format_args!("listen on unix {}", path.display())))?;
        let l = super::net::UnixCleanup::new(l, path.to_path_buf());
        self.serve(&net, vec![Box::new(l)], handler)
    }
}
