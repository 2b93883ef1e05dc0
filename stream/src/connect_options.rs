//! `open_connection` and its options, for every runtime that implements [`Net`].

use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::time::Duration;

use super::net::context;
use super::{connect_happy, from_transport, Family, StreamReader, StreamWriter};
use crate::rt::{Net, Transport};
use crate::{Error, DEFAULT_LIMIT};

/// Options for `open_connection`: asyncio's keyword arguments. A backend
/// names it for its runtime (`weir_tokio::ConnectOptions`).
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use weir_stream::{rt::Net, ConnectOptions, Family};
/// async fn demo<N: Net>() -> Result<(), weir_stream::Error> {
///     let (r, w) = ConnectOptions::<N>::new()
///         .limit(1 << 20)
///         .family(Family::V4)
///         .happy_eyeballs_delay(Duration::from_millis(250))
///         .connect("localhost", 8888)
///         .await?;
///     Ok(())
/// }
/// ```
pub struct ConnectOptions<N> {
    limit: usize,
    local_addr: Option<SocketAddr>,
    family: Family,
    delay: Option<Duration>,
    interleave: Option<usize>,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::ClientTls>,
    #[cfg(feature = "tls")]
    server_hostname: Option<String>,
    net: PhantomData<fn() -> N>,
}

impl<N> Clone for ConnectOptions<N> {
    fn clone(&self) -> Self {
        ConnectOptions {
            limit: self.limit,
            local_addr: self.local_addr,
            family: self.family,
            delay: self.delay,
            interleave: self.interleave,
            #[cfg(feature = "tls")]
            tls: self.tls.clone(),
            #[cfg(feature = "tls")]
            server_hostname: self.server_hostname.clone(),
            net: PhantomData,
        }
    }
}

impl<N> fmt::Debug for ConnectOptions<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ConnectOptions");
        d.field("limit", &self.limit)
            .field("local_addr", &self.local_addr)
            .field("family", &self.family)
            .field("happy_eyeballs_delay", &self.delay)
            .field("interleave", &self.interleave);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls)
            .field("server_hostname", &self.server_hostname);
        d.finish()
    }
}

impl<N: Net> Default for ConnectOptions<N> {
    fn default() -> Self {
        ConnectOptions::new()
    }
}

impl<N: Net> ConnectOptions<N> {
    /// The defaults: limit 64 KiB, any family, addresses tried in turn.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ConnectOptions::<N>::new();
    /// # }
    /// ```
    pub fn new() -> Self {
        ConnectOptions {
            limit: DEFAULT_LIMIT,
            local_addr: None,
            family: Family::Any,
            delay: None,
            interleave: None,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            server_hostname: None,
            net: PhantomData,
        }
    }

    /// The reader's limit (asyncio's `limit`); 0 is refused when connecting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ConnectOptions::<N>::new().limit(1024);
    /// # }
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Binds the local end first (asyncio's `local_addr`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ConnectOptions::<N>::new().local_addr("127.0.0.1:0".parse().unwrap());
    /// # }
    /// ```
    pub fn local_addr(mut self, addr: SocketAddr) -> Self {
        self.local_addr = Some(addr);
        self
    }

    /// Only addresses of this family (asyncio's `family`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ConnectOptions::<N>::new().family(weir_stream::Family::V6);
    /// # }
    /// ```
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// Races the addresses (RFC 8305), starting the next attempt after
    /// `delay` (asyncio's `happy_eyeballs_delay`; the RFC suggests 250 ms).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ConnectOptions::<N>::new()
    ///     .happy_eyeballs_delay(std::time::Duration::from_millis(250));
    /// # }
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
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ConnectOptions::<N>::new().interleave(1);
    /// # }
    /// ```
    pub fn interleave(mut self, n: usize) -> Self {
        self.interleave = Some(n);
        self
    }

    /// Speaks TLS over the connection (asyncio's `ssl=`): the handshake runs
    /// before the connect returns, bounded by the config's handshake timeout.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::ConnectOptions::<N>::new()
    ///     .tls(weir_stream::tls::ClientTls::webpki_roots());
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The name the server's certificate must carry, and the SNI sent,
    /// when it is not the host connected to (asyncio's `server_hostname=`).
    /// Needed to connect by address to a certificate that names a host, and
    /// for TLS over a Unix socket. This is the one place to set it: a
    /// [`ClientTls`](crate::tls::ClientTls) holds no name, so one serves
    /// any number of hosts.
    ///
    /// The name is checked when connecting, before any I/O: an empty name,
    /// or one that is neither a DNS name nor an IP address, is
    /// [`Error::InvalidArgument`], and so is a name without
    /// [`tls`](Self::tls) (as asyncio's "server_hostname is only meaningful
    /// with ssl").
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// use weir_stream::{tls::ClientTls, ConnectOptions, Error};
    /// let (r, w) = ConnectOptions::<N>::new()
    ///     .tls(ClientTls::webpki_roots())
    ///     .server_hostname("example.com") // checked against the certificate
    ///     .connect("10.0.0.7", 443)
    ///     .await?;
    /// let bad = ConnectOptions::<N>::new()
    ///     .tls(ClientTls::webpki_roots())
    ///     .server_hostname("bad name!")
    ///     .connect("127.0.0.1", 443)
    ///     .await;
    /// assert!(matches!(bad, Err(Error::InvalidArgument(_))));
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn server_hostname(mut self, name: &str) -> Self {
        self.server_hostname = Some(name.to_string());
        self
    }

    /// Adopted sockets are wrapped synchronously: TLS on them is `start_tls`.
    fn refuse_tls(&self, what: &'static str) -> Result<(), Error> {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return Err(Error::InvalidArgument(what));
        }
        let _ = what;
        Ok(())
    }

    fn check(&self) -> Result<N, Error> {
        let net = N::current()?;
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        #[cfg(feature = "tls")]
        if let Some(name) = &self.server_hostname {
            if self.tls.is_none() {
                return Err(Error::InvalidArgument(
                    "server_hostname is only meaningful with tls: add .tls(ClientTls) or drop it",
                ));
            }
            crate::tls::parse_server_name(name)?;
        }
        Ok(net)
    }

    /// With TLS, the name the certificate is checked against: the
    /// `server_hostname` (checked by [`check`](Self::check)), else `host`
    /// (`None` for a Unix socket, which has no name). Checked before any I/O.
    fn check_host(&self, host: Option<&str>) -> Result<(), Error> {
        #[cfg(feature = "tls")]
        if self.tls.is_some() && self.server_hostname.is_none() {
            let Some(host) = host else {
                return Err(Error::InvalidArgument(
                    "tls over a Unix socket needs server_hostname: the name the server's certificate carries",
                ));
            };
            crate::tls::parse_server_name(host)?;
        }
        let _ = host;
        Ok(())
    }

    /// The connected transport as a reader and writer, through TLS when
    /// configured; `host` is the name the certificate must carry unless
    /// `server_hostname` says otherwise.
    async fn open(
        &self,
        net: &N,
        t: Box<dyn Transport>,
        host: &str,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            let name = self.server_hostname.as_deref().unwrap_or(host);
            // Boxed: the handshake's state (rustls) would otherwise swell every
            // connect future, TLS or not.
            return Box::pin(super::connect_tls(net, t, self.limit, tls, name)).await;
        }
        let _ = host;
        from_transport(net, t, self.limit)
    }

    /// Resolves `host` and connects to `port` (asyncio's `open_connection`).
    ///
    /// # Errors
    ///
    /// A connection error naming what failed: resolving the host, or each
    /// address and why it failed, or with TLS the handshake;
    /// [`Error::InvalidLimit`] for a limit of 0; [`Error::InvalidArgument`]
    /// before any I/O for a bad `server_hostname`
    /// (or, with TLS and none set, a `host` that is not a valid name).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let (r, w) = weir_stream::ConnectOptions::<N>::new().connect("127.0.0.1", 8888).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let net = self.check()?;
        self.check_host(Some(host))?;
        let addrs: Vec<SocketAddr> = net
            .resolve(host, port)
            .await
            .map_err(|e| context(e, format_args!("resolve {host}:{port}")))?
            .into_iter()
            .filter(|a| self.family.matches(a))
            .collect();
        if addrs.is_empty() {
            return Err(context(
                std::io::ErrorKind::NotFound.into(),
                format_args!("resolve {host}:{port}: no address of the requested family"),
            ));
        }
        let t = self.race(&net, addrs).await?;
        self.open(&net, t, host).await
    }

    /// Connects to one of `addrs` (already resolved), racing them when a
    /// happy-eyeballs delay is set; the family filter applies.
    ///
    /// # Errors
    ///
    /// A connection error naming each address and why it failed, or with
    /// TLS the handshake; [`Error::InvalidArgument`] if no address is left,
    /// or before any I/O for a bad `server_hostname`;
    /// [`Error::InvalidLimit`] for a limit of 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let addrs = ["[::1]:8888".parse().unwrap(), "127.0.0.1:8888".parse().unwrap()];
    /// let (r, w) = weir_stream::ConnectOptions::<N>::new()
    ///     .happy_eyeballs_delay(std::time::Duration::from_millis(250))
    ///     .connect_addrs(&addrs)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_addrs(
        &self,
        addrs: &[SocketAddr],
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let net = self.check()?;
        let addrs = addrs
            .iter()
            .copied()
            .filter(|a| self.family.matches(a))
            .collect();
        let t = self.race(&net, addrs).await?;
        let host = t
            .extra_info()
            .peer_addr
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        self.open(&net, t, &host).await
    }

    async fn race(&self, net: &N, addrs: Vec<SocketAddr>) -> Result<Box<dyn Transport>, Error> {
        let local = self.local_addr;
        connect_happy(net, addrs, self.delay, self.interleave, |addr| {
            net.connect_tcp(addr, local)
        })
        .await
    }

    /// Wraps an already-connected socket (asyncio's `open_connection(sock=...)`).
    ///
    /// # Errors
    ///
    /// A connection error if the runtime cannot register the socket;
    /// [`Error::InvalidLimit`] for a limit of 0; [`Error::InvalidArgument`]
    /// with `tls` (use `start_tls` on the writer) or
    /// `server_hostname`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let sock = std::net::TcpStream::connect("127.0.0.1:8888").unwrap();
    /// let (r, w) = weir_stream::ConnectOptions::<N>::new().sock(sock)?;
    /// # Ok(()) }
    /// ```
    pub fn sock(&self, sock: std::net::TcpStream) -> Result<(StreamReader, StreamWriter), Error> {
        let net = self.check()?;
        self.refuse_tls("sock(): TLS over an adopted socket is start_tls on the writer")?;
        sock.set_nonblocking(true)
            .map_err(|e| context(e, "adopt socket"))?;
        let t = net
            .tcp_stream(sock)
            .map_err(|e| context(e, "adopt socket"))?;
        from_transport(&net, t, self.limit)
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
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let (r, w) = weir_stream::ConnectOptions::<N>::new().unix_sock(a)?;
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub fn unix_sock(
        &self,
        sock: std::os::unix::net::UnixStream,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let net = self.check()?;
        self.refuse_tls("unix_sock(): TLS over an adopted socket is start_tls on the writer")?;
        sock.set_nonblocking(true)
            .map_err(|e| context(e, "adopt unix socket"))?;
        let t = net
            .unix_stream(sock)
            .map_err(|e| context(e, "adopt unix socket"))?;
        from_transport(&net, t, self.limit)
    }

    /// Connects to the Unix socket at `path` (asyncio's `open_unix_connection`).
    ///
    /// # Errors
    ///
    /// A connection error naming the path (missing, not a socket, refused),
    /// or with TLS the handshake; [`Error::InvalidLimit`] for a limit of 0;
    /// [`Error::InvalidArgument`] before any I/O for TLS without a
    /// `server_hostname`, or a bad one.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo<N: weir_stream::rt::Net>() -> Result<(), weir_stream::Error> {
    /// let (r, w) = weir_stream::ConnectOptions::<N>::new().connect_unix("/tmp/s.sock").await?;
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub async fn connect_unix(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let net = self.check()?;
        self.check_host(None)?;
        let path = path.as_ref();
        let t = net
            .connect_unix(path)
            .await
            .map_err(|e| context(e, format_args!("connect unix {}", path.display())))?;
        self.open(&net, t, "").await
    }
}
