//! TLS configuration: [`ClientTls`] and [`ServerTls`] (rustls configs with
//! asyncio's timeouts and ALPN). The name a server's certificate is checked
//! against is per connection, not here: `ConnectOptions::server_hostname`
//! or `StreamWriter::start_tls`'s argument.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::Error;

/// asyncio's default `ssl_handshake_timeout`: 60 s.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// asyncio's default `ssl_shutdown_timeout`: 30 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// The timeouts a [`ClientTls`] or [`ServerTls`] holds (asyncio's
/// `ssl_handshake_timeout` and `ssl_shutdown_timeout`), as returned by
/// [`ClientTls::timeouts`] and [`ServerTls::timeouts`]. Set them with the
/// `handshake_timeout` and `shutdown_timeout` builders.
///
/// The default is asyncio's: 60 s and 30 s.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weir_stream::tls::{ClientTls, TlsTimeouts};
/// let tls = ClientTls::webpki_roots().handshake_timeout(Duration::from_secs(10));
/// assert_eq!(
///     tls.timeouts(),
///     TlsTimeouts { handshake: Duration::from_secs(10), shutdown: Duration::from_secs(30) },
/// );
/// assert_eq!(ClientTls::webpki_roots().timeouts(), TlsTimeouts::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsTimeouts {
    /// How long the handshake may take ([`DEFAULT_HANDSHAKE_TIMEOUT`] unless set).
    pub handshake: Duration,
    /// How long closing (close_notify and the flush) may take
    /// ([`DEFAULT_SHUTDOWN_TIMEOUT`] unless set).
    pub shutdown: Duration,
}

impl Default for TlsTimeouts {
    /// asyncio's defaults: a 60 s handshake and a 30 s shutdown.
    fn default() -> Self {
        TlsTimeouts {
            handshake: DEFAULT_HANDSHAKE_TIMEOUT,
            shutdown: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

pub(super) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(super) fn config_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::connection(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}: {e}"),
    ))
}

/// Client-side TLS settings: asyncio's `ssl=`, `ssl_handshake_timeout=` and
/// `ssl_shutdown_timeout=`.
///
/// asyncio's `server_hostname=` belongs to each connection, as there: set it
/// with [`ConnectOptions::server_hostname`](crate::ConnectOptions::server_hostname)
/// (the host connected to by default) or pass it to
/// [`StreamWriter::start_tls`](crate::StreamWriter::start_tls). One
/// `ClientTls` serves connections to any number of hosts.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weir_stream::tls::ClientTls;
/// let tls = ClientTls::webpki_roots()
///     .handshake_timeout(Duration::from_secs(10));
/// assert_eq!(tls.timeouts().handshake, Duration::from_secs(10));
/// ```
#[derive(Clone)]
pub struct ClientTls {
    pub(super) config: Arc<ClientConfig>,
    pub(super) timeouts: TlsTimeouts,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("alpn", &self.config.alpn_protocols)
            .field("timeouts", &self.timeouts)
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
    /// let _tls = weir_stream::tls::ClientTls::new(Arc::new(cfg));
    /// ```
    pub fn new(config: Arc<ClientConfig>) -> Self {
        ClientTls {
            config,
            timeouts: TlsTimeouts::default(),
        }
    }

    /// Trusting the given roots (rustls with the `ring` provider, TLS 1.2 and 1.3).
    ///
    /// # Examples
    ///
    /// ```
    /// let _tls = weir_stream::tls::ClientTls::with_roots(rustls::RootCertStore::empty());
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
    /// let _tls = weir_stream::tls::ClientTls::webpki_roots();
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
    /// let err = weir_stream::tls::ClientTls::from_ca_file("/no/such/ca.pem").unwrap_err();
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
    /// assert!(weir_stream::tls::ClientTls::from_ca_pem(b"not pem").is_err());
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

    /// ALPN protocols to offer, most preferred first.
    ///
    /// # Examples
    ///
    /// ```
    /// let tls = weir_stream::tls::ClientTls::webpki_roots().alpn([&b"h2"[..], b"http/1.1"]);
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
    /// let tls = weir_stream::tls::ClientTls::webpki_roots().handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.timeouts.handshake = d;
        self
    }

    /// How long closing (close_notify and the flush) may take (default 30 s).
    ///
    /// # Examples
    ///
    /// ```
    /// let tls = weir_stream::tls::ClientTls::webpki_roots().shutdown_timeout(std::time::Duration::from_secs(1));
    /// assert_eq!(tls.timeouts().shutdown.as_secs(), 1);
    /// ```
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.timeouts.shutdown = d;
        self
    }

    /// The handshake and shutdown timeouts in force.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = weir_stream::tls::ClientTls::webpki_roots().timeouts();
    /// assert_eq!((t.handshake.as_secs(), t.shutdown.as_secs()), (60, 30));
    /// ```
    pub fn timeouts(&self) -> TlsTimeouts {
        self.timeouts
    }

    /// The rustls configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_stream::tls::ClientTls::webpki_roots().config().alpn_protocols.is_empty());
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
/// let err = weir_stream::tls::ServerTls::from_pem_files("/no/cert.pem", "/no/key.pem").unwrap_err();
/// assert!(err.to_string().contains("/no/cert.pem"));
/// ```
#[derive(Clone)]
pub struct ServerTls {
    pub(super) config: Arc<ServerConfig>,
    pub(super) timeouts: TlsTimeouts,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("alpn", &self.config.alpn_protocols)
            .field("timeouts", &self.timeouts)
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
    /// let _tls = weir_stream::tls::ServerTls::new(std::sync::Arc::new(cfg));
    /// ```
    pub fn new(config: Arc<ServerConfig>) -> Self {
        ServerTls {
            config,
            timeouts: TlsTimeouts::default(),
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
    /// assert!(weir_stream::tls::ServerTls::from_pem(b"", b"").is_err());
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
    /// assert!(weir_stream::tls::ServerTls::from_pem_files("/no/cert.pem", "/no/key.pem").is_err());
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
    /// # let tls: weir_stream::tls::ServerTls = todo!();
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
    /// # let tls: weir_stream::tls::ServerTls = todo!();
    /// let tls = tls.handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.timeouts.handshake = d;
        self
    }

    /// How long closing may take (default 30 s).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let tls: weir_stream::tls::ServerTls = todo!();
    /// let tls = tls.shutdown_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.timeouts.shutdown = d;
        self
    }

    /// The handshake and shutdown timeouts in force.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # let key = rcgen::KeyPair::generate().unwrap();
    /// # let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    /// # let (cert_pem, key_pem) = (params.self_signed(&key).unwrap().pem(), key.serialize_pem());
    /// let tls = weir_stream::tls::ServerTls::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())?
    ///     .shutdown_timeout(Duration::from_secs(5));
    /// let t = tls.timeouts();
    /// assert_eq!((t.handshake.as_secs(), t.shutdown.as_secs()), (60, 5));
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn timeouts(&self) -> TlsTimeouts {
        self.timeouts
    }
}

/// ALPN protocol names as rustls keeps them.
pub(super) fn alpn_list<I, P>(protocols: I) -> Vec<Vec<u8>>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    protocols.into_iter().map(|p| p.as_ref().to_vec()).collect()
}

/// The name a server's certificate must carry, checked before any I/O.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `name` is neither a DNS name nor an IP
/// address (empty, spaces, `!`, ...).
pub(crate) fn parse_server_name(name: &str) -> Result<ServerName<'static>, Error> {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(name.to_string()).map_err(|_| {
        Error::InvalidArgument(
            "server_hostname (or the host connected to) must be a DNS name or an IP address, \
             such as \"example.com\" or \"192.0.2.1\": give the name the server's certificate carries",
        )
    })
}
