//! TLS for every backend, written once over rustls's own sans-IO API.
//!
//! [`TlsTransport`] wraps any [`Transport`] (a TCP or Unix socket of any
//! runtime) and a `rustls` connection: ciphertext moves with `read_tls` /
//! `write_tls`, plaintext with `reader()` / `writer()`. Because the wrapper is
//! itself a `Transport`, the stream layer above it does not know TLS is there,
//! and `start_tls` can swap it in under live reader and writer handles,
//! handing over the bytes the reader had already read ahead (h11's
//! `trailing_data`): they are the first ciphertext rustls sees, not lost.
//!
//! Why not tokio-rustls and futures-rustls? Their adapters are two
//! near-identical copies of one file, one per I/O trait family; driving
//! rustls from here serves tokio, smol and async-std with one copy, and makes
//! the STARTTLS hand-over a constructor argument.
//!
//! Semantics beyond asyncio: [`Transport::poll_shutdown`] sends close_notify
//! and half-closes; over TLS 1.3 that leaves our read side open, so
//! `can_write_eof` is true there (asyncio refuses `write_eof` over any TLS),
//! false over TLS 1.2. A peer that closes without close_notify is reported as
//! a truncation error (`UnexpectedEof`), distinct from a clean EOF.

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, Read, Write};
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
};

use crate::rt::{BoxFuture, ExtraInfo, Runtime, Transport};
use crate::Error;

/// asyncio's default `ssl_handshake_timeout`: 60 s.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// asyncio's default `ssl_shutdown_timeout`: 30 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::connection(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}: {e}"),
    ))
}

/// Client-side TLS settings: asyncio's `ssl=`, `server_hostname=`,
/// `ssl_handshake_timeout=` and `ssl_shutdown_timeout=`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weir_core::tls::ClientTls;
/// let tls = ClientTls::webpki_roots()
///     .handshake_timeout(Duration::from_secs(10));
/// assert_eq!(tls.get_handshake_timeout(), Duration::from_secs(10));
/// ```
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
    server_name: Option<ServerName<'static>>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("server_name", &self.server_name)
            .field("alpn", &self.config.alpn_protocols)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}

impl ClientTls {
    /// From a ready rustls client configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let roots = rustls::RootCertStore::empty();
    /// let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
    ///     .with_safe_default_protocol_versions().unwrap()
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let _tls = weir_core::tls::ClientTls::new(Arc::new(cfg));
    /// ```
    pub fn new(config: Arc<ClientConfig>) -> Self {
        ClientTls {
            config,
            server_name: None,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// Trusting the given roots (rustls with the `ring` provider, TLS 1.2 and 1.3).
    ///
    /// # Examples
    ///
    /// ```
    /// let _tls = weir_core::tls::ClientTls::with_roots(rustls::RootCertStore::empty());
    /// ```
    pub fn with_roots(roots: RootCertStore) -> Self {
        let cfg = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        ClientTls::new(Arc::new(cfg))
    }

    /// Trusting Mozilla's root certificates (the `webpki-roots` crate).
    ///
    /// # Examples
    ///
    /// ```
    /// let _tls = weir_core::tls::ClientTls::webpki_roots();
    /// ```
    pub fn webpki_roots() -> Self {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        ClientTls::with_roots(roots)
    }

    /// Trusting the CA certificates in a PEM file (asyncio's `cafile=`).
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] of kind `InvalidInput` naming the file if it
    /// cannot be read, holds no certificate, or holds one rustls rejects.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = weir_core::tls::ClientTls::from_ca_file("/no/such/ca.pem").unwrap_err();
    /// assert!(err.to_string().contains("/no/such/ca.pem"));
    /// ```
    pub fn from_ca_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let pem = std::fs::read(path)
            .map_err(|e| config_error(&format!("cannot read CA file {}", path.display()), e))?;
        Self::from_ca_pem(&pem).map_err(|e| config_error(&format!("CA file {}", path.display()), e))
    }

    /// Trusting the CA certificates in PEM text.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] of kind `InvalidInput` if the text holds no
    /// certificate or one rustls rejects.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_core::tls::ClientTls::from_ca_pem(b"not pem").is_err());
    /// ```
    pub fn from_ca_pem(pem: &[u8]) -> Result<Self, Error> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| config_error("bad PEM certificate", e))?;
            roots
                .add(cert)
                .map_err(|e| config_error("certificate rejected as a root", e))?;
        }
        if roots.is_empty() {
            return Err(config_error(
                "no CA certificate found",
                "expected at least one -----BEGIN CERTIFICATE----- block",
            ));
        }
        Ok(ClientTls::with_roots(roots))
    }

    /// The name to check the server's certificate against, instead of the
    /// host connected to (asyncio's `server_hostname=`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `name` is neither a DNS name nor an IP address.
    ///
    /// # Examples
    ///
    /// ```
    /// let tls = weir_core::tls::ClientTls::webpki_roots().server_hostname("example.com")?;
    /// assert!(weir_core::tls::ClientTls::webpki_roots().server_hostname("bad name!").is_err());
    /// # Ok::<(), weir_core::Error>(())
    /// ```
    pub fn server_hostname(mut self, name: &str) -> Result<Self, Error> {
        self.server_name = Some(parse_server_name(name)?);
        Ok(self)
    }

    /// ALPN protocols to offer, most preferred first.
    ///
    /// # Examples
    ///
    /// ```
    /// let tls = weir_core::tls::ClientTls::webpki_roots().alpn([&b"h2"[..], b"http/1.1"]);
    /// ```
    pub fn alpn<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let mut cfg = (*self.config).clone();
        cfg.alpn_protocols = alpn_list(protocols);
        self.config = Arc::new(cfg);
        self
    }

    /// How long the handshake may take (default 60 s, as asyncio).
    ///
    /// # Examples
    ///
    /// ```
    /// let tls = weir_core::tls::ClientTls::webpki_roots().handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.handshake_timeout = d;
        self
    }

    /// How long closing (close_notify and the flush) may take (default 30 s).
    ///
    /// # Examples
    ///
    /// ```
    /// let tls = weir_core::tls::ClientTls::webpki_roots().shutdown_timeout(std::time::Duration::from_secs(1));
    /// assert_eq!(tls.get_shutdown_timeout().as_secs(), 1);
    /// ```
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = d;
        self
    }

    /// The handshake timeout in force.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_core::tls::ClientTls::webpki_roots().get_handshake_timeout().as_secs(), 60);
    /// ```
    pub fn get_handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The shutdown timeout in force.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_core::tls::ClientTls::webpki_roots().get_shutdown_timeout().as_secs(), 30);
    /// ```
    pub fn get_shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// The rustls configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_core::tls::ClientTls::webpki_roots().config().alpn_protocols.is_empty());
    /// ```
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }
}

/// Server-side TLS settings: a certificate chain and key (asyncio's `ssl=`
/// on `start_server`) and the handshake and shutdown timeouts.
///
/// # Examples
///
/// ```
/// let err = weir_core::tls::ServerTls::from_pem_files("/no/cert.pem", "/no/key.pem").unwrap_err();
/// assert!(err.to_string().contains("/no/cert.pem"));
/// ```
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("alpn", &self.config.alpn_protocols)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}

impl ServerTls {
    /// From a ready rustls server configuration.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let cfg: rustls::ServerConfig = todo!();
    /// let _tls = weir_core::tls::ServerTls::new(std::sync::Arc::new(cfg));
    /// ```
    pub fn new(config: Arc<ServerConfig>) -> Self {
        ServerTls {
            config,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// From a PEM certificate chain (leaf first) and a PEM private key.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] of kind `InvalidInput` if either is missing or
    /// the key does not match the certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_core::tls::ServerTls::from_pem(b"", b"").is_err());
    /// ```
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<Self, Error> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<_, _>>()
            .map_err(|e| config_error("bad PEM certificate chain", e))?;
        if chain.is_empty() {
            return Err(config_error(
                "no certificate found",
                "expected a -----BEGIN CERTIFICATE----- block, leaf first",
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| config_error("no usable private key in the PEM", e))?;
        let cfg = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| config_error("certificate and key do not make a server identity", e))?;
        Ok(ServerTls::new(Arc::new(cfg)))
    }

    /// From PEM files (asyncio's `ssl_context.load_cert_chain(certfile, keyfile)`).
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem), and naming the file that cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_core::tls::ServerTls::from_pem_files("/no/cert.pem", "/no/key.pem").is_err());
    /// ```
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, Error> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| config_error(&format!("cannot read {}", p.display()), e))
        };
        Self::from_pem(&read(cert_chain.as_ref())?, &read(key.as_ref())?)
    }

    /// ALPN protocols to accept, most preferred first.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let tls: weir_core::tls::ServerTls = todo!();
    /// let tls = tls.alpn([b"http/1.1"]);
    /// ```
    pub fn alpn<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let mut cfg = (*self.config).clone();
        cfg.alpn_protocols = alpn_list(protocols);
        self.config = Arc::new(cfg);
        self
    }

    /// How long a client's handshake may take (default 60 s).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let tls: weir_core::tls::ServerTls = todo!();
    /// let tls = tls.handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.handshake_timeout = d;
        self
    }

    /// How long closing may take (default 30 s).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let tls: weir_core::tls::ServerTls = todo!();
    /// let tls = tls.shutdown_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = d;
        self
    }

    /// The handshake timeout in force.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let tls: weir_core::tls::ServerTls = todo!();
    /// assert_eq!(tls.get_handshake_timeout().as_secs(), 60);
    /// ```
    pub fn get_handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The shutdown timeout in force.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let tls: weir_core::tls::ServerTls = todo!();
    /// assert_eq!(tls.get_shutdown_timeout().as_secs(), 30);
    /// ```
    pub fn get_shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }
}

/// ALPN protocol names as rustls keeps them.
fn alpn_list<I, P>(protocols: I) -> Vec<Vec<u8>>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    protocols.into_iter().map(|p| p.as_ref().to_vec()).collect()
}

fn parse_server_name(name: &str) -> Result<ServerName<'static>, Error> {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(name.to_string())
        .map_err(|_| Error::InvalidArgument("server_hostname must be a DNS name or an IP address"))
}

/// What TLS adds to a connection's extra info: asyncio's `peercert`,
/// `cipher`, `ssl_object.version()`, `selected_alpn_protocol()` and the SNI.
///
/// # Examples
///
/// ```
/// let info = weir_core::tls::TlsInfo::default();
/// assert!(info.peer_certificates.is_empty() && info.protocol_version.is_none());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// The negotiated protocol version (TLS 1.2 or 1.3).
    pub protocol_version: Option<rustls::ProtocolVersion>,
    /// The negotiated cipher suite.
    pub cipher_suite: Option<rustls::CipherSuite>,
    /// The peer's certificate chain, leaf first (empty if it sent none).
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// The ALPN protocol both sides agreed on.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The server name: the one the client asked for (SNI) on a server, the
    /// one checked on a client.
    pub server_name: Option<String>,
}

/// Adapts a `Transport` to `std::io`, turning `Pending` into `WouldBlock` so
/// rustls's `read_tls`/`write_tls` can be driven from `poll_*`.
struct SyncIo<'a, 'b> {
    t: &'a mut dyn Transport,
    cx: &'a mut Context<'b>,
}

impl Read for SyncIo<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.t.poll_read(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for SyncIo<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self.t.poll_write_vectored(self.cx, bufs) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self.t.poll_flush(self.cx) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// A [`Transport`] speaking TLS over another transport.
///
/// Build one with [`connect`] or [`accept`] (which also run the handshake),
/// or with [`connect_after`]/[`accept_after`] for STARTTLS, handing over the
/// bytes already read from the socket.
pub struct TlsTransport {
    inner: Box<dyn Transport>,
    conn: Connection,
    /// Ciphertext read before the upgrade; rustls sees it before the socket.
    read_ahead: Bytes,
    inner_eof: bool,
    close_notify_sent: bool,
    /// The write side's waker: writes started from the read side register it,
    /// so the flusher, not the reader, is woken when the socket can take them.
    writer_waker: Option<Waker>,
    server_name: Option<String>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport")
            .field("inner", &self.inner)
            .field("handshaking", &self.conn.is_handshaking())
            .field("protocol_version", &self.conn.protocol_version())
            .finish()
    }
}

fn tls_error(e: rustls::Error) -> io::Error {
    use rustls::CertificateError as C;
    let hint = match &e {
        rustls::Error::InvalidCertificate(C::NotValidForName)
        | rustls::Error::InvalidCertificate(C::NotValidForNameContext { .. }) => {
            "; the certificate does not name this host: connect by the name it has, or set server_hostname"
        }
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "; the certificate's CA is not trusted: add it with ClientTls::from_ca_file"
        }
        rustls::Error::InvalidCertificate(_) => {
            "; check that the client trusts the server's CA and that the certificate is current"
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "; is the peer speaking TLS on this port?"
        }
        _ => "",
    };
    io::Error::new(io::ErrorKind::InvalidData, format!("tls: {e}{hint}"))
}

impl TlsTransport {
    fn new(
        inner: Box<dyn Transport>,
        conn: Connection,
        read_ahead: Bytes,
        server_name: Option<String>,
    ) -> Self {
        TlsTransport {
            inner,
            conn,
            read_ahead,
            inner_eof: false,
            close_notify_sent: false,
            writer_waker: None,
            server_name,
        }
    }

    /// The negotiated TLS details.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let t: weir_core::tls::TlsTransport = todo!();
    /// println!("{:?}", t.tls_info().protocol_version);
    /// ```
    pub fn tls_info(&self) -> TlsInfo {
        let server_name = match &self.conn {
            Connection::Server(s) => s.server_name().map(str::to_string),
            Connection::Client(_) => self.server_name.clone(),
        };
        TlsInfo {
            protocol_version: self.conn.protocol_version(),
            cipher_suite: self.conn.negotiated_cipher_suite().map(|s| s.suite()),
            peer_certificates: self
                .conn
                .peer_certificates()
                .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default(),
            alpn_protocol: self.conn.alpn_protocol().map(<[u8]>::to_vec),
            server_name,
        }
    }

    /// Feeds one batch of ciphertext to rustls (the read-ahead first, then
    /// the socket) and processes it. `Ready(Ok)` means progress was made.
    fn read_tls_once(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.read_ahead.is_empty() {
            let n = self.conn.read_tls(&mut &self.read_ahead[..])?;
            self.read_ahead.advance(n);
        } else {
            let mut io = SyncIo {
                t: &mut *self.inner,
                cx,
            };
            match self.conn.read_tls(&mut io) {
                Ok(0) => self.inner_eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        if let Err(e) = self.conn.process_new_packets() {
            // rustls queued an alert for the peer: try to send it.
            let _ = self.write_tls_with(cx);
            return Poll::Ready(Err(tls_error(e)));
        }
        Poll::Ready(Ok(()))
    }

    /// Sends queued TLS records with the given context. `Ok(true)` when
    /// everything went out, `Ok(false)` when the socket is full.
    fn write_tls_with(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        while self.conn.wants_write() {
            let mut io = SyncIo {
                t: &mut *self.inner,
                cx,
            };
            match self.conn.write_tls(&mut io) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Records written from the read side go out on the writer's waker, so a
    /// full socket wakes the flusher, not the reader.
    fn write_tls_from_reader(&mut self, cx: &mut Context<'_>) {
        if !self.conn.wants_write() {
            return;
        }
        match self.writer_waker.clone() {
            Some(w) => {
                let _ = self.write_tls_with(&mut Context::from_waker(&w));
            }
            None => {
                let _ = self.write_tls_with(cx);
            }
        }
    }

    fn remember_writer(&mut self, cx: &Context<'_>) {
        match &self.writer_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => self.writer_waker = Some(cx.waker().clone()),
        }
    }

    /// Drives the handshake until it is complete and its last flight is sent.
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let flushed = self.write_tls_with(cx)?;
            if !self.conn.is_handshaking() {
                return if flushed {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Pending
                };
            }
            if self.conn.wants_read() {
                ready!(self.read_tls_once(cx))?;
                if self.inner_eof && self.conn.is_handshaking() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "tls: the peer closed the connection during the handshake",
                    )));
                }
            } else if !flushed {
                return Poll::Pending;
            }
        }
    }
}

impl Transport for TlsTransport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "tls: the peer closed the connection without close_notify (truncation)",
                    )))
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
            self.write_tls_from_reader(cx);
            ready!(self.read_tls_once(cx))?;
        }
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.remember_writer(cx);
        loop {
            let n = self.conn.writer().write_vectored(bufs)?;
            let flushed = self.write_tls_with(cx)?;
            if n > 0 || bufs.iter().all(|b| b.is_empty()) {
                return Poll::Ready(Ok(n));
            }
            if !flushed {
                return Poll::Pending;
            }
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.remember_writer(cx);
        if !self.write_tls_with(cx)? {
            return Poll::Pending;
        }
        self.inner.poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.close_notify_sent {
            self.conn.send_close_notify();
            self.close_notify_sent = true;
        }
        ready!(self.poll_flush(cx))?;
        self.inner.poll_shutdown(cx)
    }

    fn can_write_eof(&self) -> bool {
        self.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
            && self.inner.can_write_eof()
    }

    fn extra_info(&self) -> ExtraInfo {
        let mut info = self.inner.extra_info();
        info.tls = Some(self.tls_info());
        info
    }

    fn abort(&mut self) {
        self.inner.abort()
    }
}

/// Runs `fut`, or gives up when `timer` fires.
async fn timeout<F: Future>(mut timer: BoxFuture, fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}

async fn handshake(
    mut t: TlsTransport,
    limit: Duration,
    timer: BoxFuture,
) -> Result<TlsTransport, Error> {
    match timeout(timer, poll_fn(|cx| t.poll_handshake(cx))).await {
        Some(Ok(())) => Ok(t),
        Some(Err(e)) => Err(Error::connection(e)),
        None => Err(Error::connection(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "tls: the handshake did not finish within {:?}; raise handshake_timeout if the peer is slow",
                limit
            ),
        ))),
    }
}

/// Client handshake over a connected transport; `host` is the name checked
/// against the certificate unless [`ClientTls::server_hostname`] overrides it.
///
/// # Errors
///
/// [`Error::Connection`]: the handshake failed (bad certificate, wrong name,
/// a peer not speaking TLS: kind `InvalidData`), timed out (`TimedOut`), or
/// the peer closed (`UnexpectedEof`); [`Error::InvalidArgument`] for a host
/// that is not a valid server name.
///
/// # Examples
///
/// ```no_run
/// # async fn f<R: weir_core::rt::Runtime>(rt: R, sock: Box<dyn weir_core::rt::Transport>) -> Result<(), weir_core::Error> {
/// let tls = weir_core::tls::ClientTls::webpki_roots();
/// let secured = weir_core::tls::connect(&rt, sock, &tls, "example.com").await?;
/// # Ok(()) }
/// ```
pub async fn connect<R: Runtime>(
    rt: &R,
    inner: Box<dyn Transport>,
    tls: &ClientTls,
    host: &str,
) -> Result<TlsTransport, Error> {
    connect_after(rt, inner, Bytes::new(), tls, host).await
}

/// Client side of STARTTLS: like [`connect`], with `read_ahead` (bytes the
/// reader had already taken off the socket) fed to TLS first.
///
/// # Errors
///
/// As [`connect`].
///
/// # Examples
///
/// ```no_run
/// # async fn f<R: weir_core::rt::Runtime>(rt: R, sock: Box<dyn weir_core::rt::Transport>) -> Result<(), weir_core::Error> {
/// let tls = weir_core::tls::ClientTls::webpki_roots();
/// let t = weir_core::tls::connect_after(&rt, sock, bytes::Bytes::new(), &tls, "mail.example.com").await?;
/// # Ok(()) }
/// ```
pub async fn connect_after<R: Runtime>(
    rt: &R,
    inner: Box<dyn Transport>,
    read_ahead: Bytes,
    tls: &ClientTls,
    host: &str,
) -> Result<TlsTransport, Error> {
    connect_timed(
        inner,
        read_ahead,
        tls,
        host,
        rt.sleep(tls.handshake_timeout),
    )
    .await
}

/// [`connect_after`] with the handshake timer supplied by the caller.
pub(crate) async fn connect_timed(
    inner: Box<dyn Transport>,
    read_ahead: Bytes,
    tls: &ClientTls,
    host: &str,
    timer: BoxFuture,
) -> Result<TlsTransport, Error> {
    let name = match &tls.server_name {
        Some(n) => n.clone(),
        None => parse_server_name(host)?,
    };
    let shown = name.to_str().into_owned();
    let conn = ClientConnection::new(tls.config.clone(), name)
        .map_err(|e| Error::connection(tls_error(e)))?;
    let t = TlsTransport::new(inner, Connection::Client(conn), read_ahead, Some(shown));
    handshake(t, tls.handshake_timeout, timer).await
}

/// Server handshake over an accepted transport.
///
/// # Errors
///
/// [`Error::Connection`]: the handshake failed, timed out or the peer closed.
///
/// # Examples
///
/// ```no_run
/// # async fn f<R: weir_core::rt::Runtime>(rt: R, sock: Box<dyn weir_core::rt::Transport>, tls: weir_core::tls::ServerTls) -> Result<(), weir_core::Error> {
/// let secured = weir_core::tls::accept(&rt, sock, &tls).await?;
/// # Ok(()) }
/// ```
pub async fn accept<R: Runtime>(
    rt: &R,
    inner: Box<dyn Transport>,
    tls: &ServerTls,
) -> Result<TlsTransport, Error> {
    accept_after(rt, inner, Bytes::new(), tls).await
}

/// Server side of STARTTLS: like [`accept`], with `read_ahead` (for example
/// a ClientHello that arrived in the same segment as `STARTTLS\r\n`) fed to
/// TLS first.
///
/// # Errors
///
/// As [`accept`].
///
/// # Examples
///
/// ```no_run
/// # async fn f<R: weir_core::rt::Runtime>(rt: R, sock: Box<dyn weir_core::rt::Transport>, tls: weir_core::tls::ServerTls, early: bytes::Bytes) -> Result<(), weir_core::Error> {
/// let secured = weir_core::tls::accept_after(&rt, sock, early, &tls).await?;
/// # Ok(()) }
/// ```
pub async fn accept_after<R: Runtime>(
    rt: &R,
    inner: Box<dyn Transport>,
    read_ahead: Bytes,
    tls: &ServerTls,
) -> Result<TlsTransport, Error> {
    accept_timed(inner, read_ahead, tls, rt.sleep(tls.handshake_timeout)).await
}

/// [`accept_after`] with the handshake timer supplied by the caller.
pub(crate) async fn accept_timed(
    inner: Box<dyn Transport>,
    read_ahead: Bytes,
    tls: &ServerTls,
    timer: BoxFuture,
) -> Result<TlsTransport, Error> {
    let conn =
        ServerConnection::new(tls.config.clone()).map_err(|e| Error::connection(tls_error(e)))?;
    let t = TlsTransport::new(inner, Connection::Server(conn), read_ahead, None);
    handshake(t, tls.handshake_timeout, timer).await
}

#[cfg(any(test, feature = "tls-testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
