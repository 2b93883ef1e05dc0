//! `open_connection` and its options.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream, UnixStream};
use weir_core::stream::{self, Family, StreamReader, StreamWriter};
use weir_core::{Error, DEFAULT_LIMIT};

use crate::transport::Io;
use crate::TokioRuntime;

fn ctx(e: std::io::Error, what: impl std::fmt::Display) -> Error {
    Error::connection(std::io::Error::new(e.kind(), format!("{what}: {e}")))
}

/// Connects to `host:port` over TCP: asyncio's `open_connection(host, port)`.
///
/// Every address the host resolves to is tried (see
/// [`ConnectOptions::happy_eyeballs_delay`] to race them).
///
/// # Errors
///
/// A connection error naming what failed: resolving the host, or each
/// address and why it refused.
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let (reader, writer) = weir_tokio::open_connection("127.0.0.1", 8888).await?;
/// writer.write(b"Hello World!")?;
/// let data = reader.read(100).await?;
/// writer.close();
/// writer.wait_closed().await?;
/// # Ok(()) }
/// ```
pub async fn open_connection(host: &str, port: u16) -> Result<(StreamReader, StreamWriter), Error> {
    ConnectOptions::new().connect(host, port).await
}

/// Connects to the Unix socket at `path`: asyncio's `open_unix_connection`.
///
/// # Errors
///
/// A connection error naming the path (missing, not a socket, refused).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// let (reader, writer) = weir_tokio::open_unix_connection("/tmp/echo.sock").await?;
/// # Ok(()) }
/// ```
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> Result<(StreamReader, StreamWriter), Error> {
    ConnectOptions::new().connect_unix(path).await
}

/// Options for [`open_connection`]: asyncio's keyword arguments.
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
/// use std::time::Duration;
/// use weir_tokio::{ConnectOptions, Family};
/// let (r, w) = ConnectOptions::new()
///     .limit(1 << 20)
///     .family(Family::V4)
///     .happy_eyeballs_delay(Duration::from_millis(250))
///     .connect("localhost", 8888)
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    limit: usize,
    local_addr: Option<SocketAddr>,
    family: Family,
    delay: Option<Duration>,
    interleave: Option<usize>,
    tls: Option<weir_core::tls::ClientTls>,
    server_hostname: Option<String>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions::new()
    }
}

impl ConnectOptions {
    /// The defaults: limit 64 KiB, any family, addresses tried in turn.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new();
    /// # let _ = o;
    /// ```
    pub fn new() -> ConnectOptions {
        ConnectOptions {
            limit: DEFAULT_LIMIT,
            local_addr: None,
            family: Family::Any,
            delay: None,
            interleave: None,
            tls: None,
            server_hostname: None,
        }
    }

    /// The reader's limit (asyncio's `limit`); 0 is refused at connect time.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new().limit(1024);
    /// # let _ = o;
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Binds the local end first (asyncio's `local_addr`).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new().local_addr("127.0.0.1:0".parse().unwrap());
    /// # let _ = o;
    /// ```
    pub fn local_addr(mut self, addr: SocketAddr) -> Self {
        self.local_addr = Some(addr);
        self
    }

    /// Only addresses of this family (asyncio's `family`).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new().family(weir_tokio::Family::V6);
    /// # let _ = o;
    /// ```
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// Races the addresses (RFC 8305), starting the next attempt after
    /// `delay` (asyncio's `happy_eyeballs_delay`; 250 ms is the RFC's).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new().happy_eyeballs_delay(std::time::Duration::from_millis(250));
    /// # let _ = o;
    /// ```
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Interleaves address families, this many of the first family first
    /// (asyncio's `interleave`; 1 when a delay is given).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new().interleave(1);
    /// # let _ = o;
    /// ```
    pub fn interleave(mut self, n: usize) -> Self {
        self.interleave = Some(n);
        self
    }

    /// Speaks TLS over the connection (asyncio's `ssl=`): the handshake runs
    /// before `connect` returns, bounded by the config's handshake timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new().tls(weir_core::tls::ClientTls::webpki_roots());
    /// # let _ = o;
    /// ```
    pub fn tls(mut self, tls: weir_core::tls::ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The name the server's certificate must carry, when it is not the host
    /// connected to (asyncio's `server_hostname=`).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_tokio::ConnectOptions::new().server_hostname("example.com");
    /// # let _ = o;
    /// ```
    pub fn server_hostname(mut self, name: &str) -> Self {
        self.server_hostname = Some(name.to_string());
        self
    }

    /// Resolves `host` and connects to `port`.
    ///
    /// # Errors
    ///
    /// As [`open_connection`]; [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
    /// let (r, w) = weir_tokio::ConnectOptions::new().connect("127.0.0.1", 8888).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let rt = TokioRuntime::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| ctx(e, format_args!("resolve {host}:{port}")))?
            .filter(|a| self.family.matches(a))
            .collect();
        if addrs.is_empty() {
            return Err(ctx(
                std::io::ErrorKind::NotFound.into(),
                format_args!("resolve {host}:{port}: no address of the requested family"),
            ));
        }
        let tcp = self.race(&rt, addrs).await?;
        self.wrap(&rt, tcp, host).await
    }

    /// The connected socket as a reader and writer, through TLS if configured;
    /// `host` is the name the certificate must carry unless `server_hostname` says otherwise.
    async fn wrap(
        &self,
        rt: &TokioRuntime,
        tcp: TcpStream,
        host: &str,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        match &self.tls {
            None => stream::connect(rt, Io::tcp(tcp), self.limit),
            Some(tls) => {
                let name = self.server_hostname.as_deref().unwrap_or(host);
                stream::connect_tls(rt, Io::tcp(tcp), self.limit, tls, name).await
            }
        }
    }

    /// Connects to one of `addrs` (already resolved), racing them when a
    /// happy-eyeballs delay is set; the family filter applies.
    ///
    /// # Errors
    ///
    /// A connection error naming each address and why it failed;
    /// [`Error::InvalidArgument`] if no address is left;
    /// [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
    /// let addrs = ["[::1]:8888".parse().unwrap(), "127.0.0.1:8888".parse().unwrap()];
    /// let (r, w) = weir_tokio::ConnectOptions::new()
    ///     .happy_eyeballs_delay(std::time::Duration::from_millis(250))
    ///     .connect_addrs(&addrs)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_addrs(
        &self,
        addrs: &[SocketAddr],
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let rt = TokioRuntime::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        let addrs = addrs
            .iter()
            .copied()
            .filter(|a| self.family.matches(a))
            .collect();
        let tcp = self.race(&rt, addrs).await?;
        let host = tcp
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        self.wrap(&rt, tcp, &host).await
    }

    async fn race(&self, rt: &TokioRuntime, addrs: Vec<SocketAddr>) -> Result<TcpStream, Error> {
        let local = self.local_addr;
        let one = move |addr: SocketAddr| async move {
            match local {
                None => TcpStream::connect(addr).await,
                Some(l) => {
                    let s = if addr.is_ipv4() {
                        TcpSocket::new_v4()?
                    } else {
                        TcpSocket::new_v6()?
                    };
                    s.bind(l)?;
                    s.connect(addr).await
                }
            }
        };
        stream::connect_happy(rt, addrs, self.delay, self.interleave, one).await
    }

    /// Wraps an already-connected socket (asyncio's `open_connection(sock=...)`).
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
    /// let sock = std::net::TcpStream::connect("127.0.0.1:8888").unwrap();
    /// let (r, w) = weir_tokio::ConnectOptions::new().sock(sock)?;
    /// # Ok(()) }
    /// ```
    pub fn sock(&self, sock: std::net::TcpStream) -> Result<(StreamReader, StreamWriter), Error> {
        let rt = TokioRuntime::current()?;
        sock.set_nonblocking(true)
            .map_err(|e| ctx(e, "adopt socket"))?;
        let s = TcpStream::from_std(sock).map_err(|e| ctx(e, "adopt socket"))?;
        stream::connect(&rt, Io::tcp(s), self.limit)
    }

    /// Wraps an already-connected Unix socket, for example one end of
    /// `UnixStream::pair()` (asyncio's `open_connection(sock=...)`).
    ///
    /// # Errors
    ///
    /// As [`sock`](Self::sock).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), weir_core::Error> {
    /// use std::io::Write;
    /// let (rsock, mut wsock) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let (reader, writer) = weir_tokio::ConnectOptions::new().unix_sock(rsock)?;
    /// wsock.write_all(b"abc").unwrap();
    /// assert_eq!(reader.read(100).await?, &b"abc"[..]);
    /// # Ok(()) }
    /// ```
    pub fn unix_sock(
        &self,
        sock: std::os::unix::net::UnixStream,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let rt = TokioRuntime::current()?;
        sock.set_nonblocking(true)
            .map_err(|e| ctx(e, "adopt unix socket"))?;
        let s = UnixStream::from_std(sock).map_err(|e| ctx(e, "adopt unix socket"))?;
        stream::connect(&rt, Io::unix(s), self.limit)
    }

    /// Connects to the Unix socket at `path` (asyncio's `open_unix_connection`).
    ///
    /// # Errors
    ///
    /// As [`open_unix_connection`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), weir_core::Error> {
    /// let (r, w) = weir_tokio::ConnectOptions::new().limit(1024).connect_unix("/tmp/s.sock").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_unix(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let rt = TokioRuntime::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        let path = path.as_ref();
        let s = UnixStream::connect(path)
            .await
            .map_err(|e| ctx(e, format_args!("connect unix {}", path.display())))?;
        stream::connect(&rt, Io::unix(s), self.limit)
    }
}
