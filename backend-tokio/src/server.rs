//! `start_server` and its options.

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use tokio::net::{TcpListener, UnixListener};
use weir_core::rt::Listener;
use weir_core::stream::{
    self, Family, ListenOptions, Server, ServerConfig, StreamReader, StreamWriter,
};
use weir_core::{Error, DEFAULT_LIMIT};

use crate::transport::{Tcp, Unix};
use crate::TokioRuntime;

fn ctx(e: std::io::Error, what: impl std::fmt::Display) -> Error {
    Error::connection(std::io::Error::new(e.kind(), format!("{what}: {e}")))
}

/// Listens on `host:port` and runs `handler(reader, writer)` as a task for
/// each client: asyncio's `start_server`.
///
/// `host` may resolve to several addresses (one listener each); an empty
/// host listens on every interface (asyncio's `host=None`); port 0 picks a
/// free port (see [`Server::local_addrs`]).
///
/// # Errors
///
/// A connection error naming what failed: resolving the host, or binding an
/// address (for example, a port in use).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let server = weir_tokio::start_server(|reader, writer| async move {
///     while let Ok(line) = reader.read_line().await {
///         if line.is_empty() || writer.write(&line).is_err() { break; }
///     }
/// }, "127.0.0.1", 8888).await?;
/// println!("Serving on {}", server.local_addrs()[0]);
/// server.serve_forever().await?;
/// # Ok(()) }
/// ```
pub async fn start_server<H, F>(handler: H, host: &str, port: u16) -> Result<Server, Error>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    ServerOptions::new().start(handler, host, port).await
}

/// Listens on the Unix socket `path`: asyncio's `start_unix_server`.
///
/// # Errors
///
/// A connection error naming the path (for example, another file in the way).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let server = weir_tokio::start_unix_server(|_r, w| async move {
///     let _ = w.write(b"hi\n");
/// }, "/tmp/hi.sock").await?;
/// # Ok(()) }
/// ```
pub async fn start_unix_server<H, F>(handler: H, path: impl AsRef<Path>) -> Result<Server, Error>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    ServerOptions::new().start_unix(handler, path).await
}

/// Options for [`start_server`]: asyncio's keyword arguments.
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let server = weir_tokio::ServerOptions::new()
///     .limit(1 << 20)
///     .backlog(1024)
///     .reuse_port(true)
///     .start_serving(false)
///     .start(|_r, _w| async {}, "127.0.0.1", 0)
///     .await?;
/// server.start_serving();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ServerOptions {
    limit: usize,
    listen: ListenOptions,
    start_serving: bool,
    tls: Option<weir_core::tls::ServerTls>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions::new()
    }
}

impl ServerOptions {
    /// asyncio's defaults: limit 64 KiB, backlog 100, `SO_REUSEADDR`, serving at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ServerOptions::new();
    /// # let _ = o;
    /// ```
    pub fn new() -> ServerOptions {
        ServerOptions {
            limit: DEFAULT_LIMIT,
            listen: ListenOptions::default(),
            start_serving: true,
            tls: None,
        }
    }

    /// Each connection reader's limit (asyncio's `limit`).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ServerOptions::new().limit(4096);
    /// # let _ = o;
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The accept queue length (asyncio's `backlog`).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ServerOptions::new().backlog(1024);
    /// # let _ = o;
    /// ```
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.listen.backlog = backlog;
        self
    }

    /// `SO_REUSEADDR` (asyncio's `reuse_address`, default true on Unix).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ServerOptions::new().reuse_address(false);
    /// # let _ = o;
    /// ```
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.listen.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT` (asyncio's `reuse_port`).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ServerOptions::new().reuse_port(true);
    /// # let _ = o;
    /// ```
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.listen.reuse_port = on;
        self
    }

    /// Only bind addresses of this family (asyncio's `family`).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ServerOptions::new().family(weir_tokio::Family::V4);
    /// # let _ = o;
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
    /// ```
    /// let o = weir_tokio::ServerOptions::new().start_serving(false);
    /// # let _ = o;
    /// ```
    pub fn start_serving(mut self, on: bool) -> Self {
        self.start_serving = on;
        self
    }

    /// Serves TLS with this certificate and key (asyncio's `ssl=`); each
    /// client's handshake is bounded by the config's handshake timeout, and a
    /// failed one closes that connection only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let tls = weir_core::tls::ServerTls::from_pem_files("cert.pem", "key.pem")?;
    /// let o = weir_tokio::ServerOptions::new().tls(tls);
    /// # Ok::<(), weir_core::Error>(())
    /// ```
    pub fn tls(mut self, tls: weir_core::tls::ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    fn config(&self) -> ServerConfig {
        let mut c = ServerConfig::default();
        c.limit = self.limit;
        c.start_serving = self.start_serving;
        c.tls = self.tls.clone();
        c
    }

    /// Binds `host:port` and starts the server (see [`start_server`]).
    ///
    /// # Errors
    ///
    /// As [`start_server`]; [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
    /// let s = weir_tokio::ServerOptions::new().start(|_r, _w| async {}, "localhost", 0).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start<H, F>(&self, handler: H, host: &str, port: u16) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let rt = TokioRuntime::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        let addrs: Vec<SocketAddr> = if host.is_empty() {
            vec![
                (Ipv4Addr::UNSPECIFIED, port).into(),
                (Ipv6Addr::UNSPECIFIED, port).into(),
            ]
        } else {
            let mut v: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| ctx(e, format_args!("resolve {host}:{port}")))?
                .collect();
            v.dedup();
            v
        };
        let std_listeners = stream::bind_tcp(&addrs, &self.listen)?;
        let mut listeners: Vec<Box<dyn Listener>> = Vec::new();
        for l in std_listeners {
            let addr = l.local_addr().ok();
            let l =
                TcpListener::from_std(l).map_err(|e| ctx(e, format_args!("listen on {addr:?}")))?;
            listeners.push(Box::new(Tcp(l)));
        }
        Server::new(&rt, listeners, Server::handler(handler), self.config())
    }

    /// Serves on an already-bound listener (asyncio's `start_server(sock=...)`).
    ///
    /// # Errors
    ///
    /// A connection error if tokio cannot register the socket;
    /// [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = weir_tokio::ServerOptions::new().start_with_listener(|_r, _w| async {}, l)?;
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
        let rt = TokioRuntime::current()?;
        listener
            .set_nonblocking(true)
            .map_err(|e| ctx(e, "adopt listener"))?;
        let l = TcpListener::from_std(listener).map_err(|e| ctx(e, "adopt listener"))?;
        Server::new(
            &rt,
            vec![Box::new(Tcp(l))],
            Server::handler(handler),
            self.config(),
        )
    }

    /// Binds the Unix socket `path` and starts the server (see [`start_unix_server`]).
    ///
    /// # Errors
    ///
    /// As [`start_unix_server`]; [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
    /// let s = weir_tokio::ServerOptions::new().start_unix(|_r, _w| async {}, "/tmp/s.sock").await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_unix<H, F>(
        &self,
        handler: H,
        path: impl AsRef<Path>,
    ) -> Result<Server, Error>
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let rt = TokioRuntime::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        let path = path.as_ref();
        let l = stream::bind_unix(path, self.listen.backlog)?;
        let listener = UnixListener::from_std(l)
            .map_err(|e| ctx(e, format_args!("listen on unix {}", path.display())))?;
        let unix = Unix {
            listener,
            path: Some(path.to_path_buf()),
        };
        Server::new(
            &rt,
            vec![Box::new(unix)],
            Server::handler(handler),
            self.config(),
        )
    }
}
