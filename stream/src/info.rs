//! What a connection knows about itself: asyncio's `get_extra_info`, typed.
//!
//! A leaf module: [`ExtraInfo`] and [`TlsInfo`] are used by the runtime seam
//! ([`crate::rt`]), the TLS layer and the stream handles, and import none of
//! them.

use std::net::SocketAddr;
use std::path::PathBuf;

#[cfg(feature = "tls")]
use rustls::pki_types::CertificateDer;

/// What a transport knows about its connection: asyncio's
/// `get_extra_info('peername' | 'sockname' | 'socket')`, typed.
///
/// Every field is optional: a Unix socket has paths and no socket addresses,
/// a hand-fed reader has nothing. More fields (TLS) may be added later, so
/// build one with [`ExtraInfo::default`] and set fields.
///
/// # Examples
///
/// ```
/// use weir_stream::rt::ExtraInfo;
/// let mut info = ExtraInfo::default();
/// info.peer_addr = Some("127.0.0.1:8888".parse().unwrap());
/// assert_eq!(info.peer_addr.unwrap().port(), 8888);
/// assert!(info.local_addr.is_none());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraInfo {
    /// The remote socket address (asyncio's `peername` for TCP).
    pub peer_addr: Option<SocketAddr>,
    /// The local socket address (asyncio's `sockname` for TCP).
    pub local_addr: Option<SocketAddr>,
    /// The remote path of a Unix socket, when it has one (`peername`).
    pub peer_path: Option<PathBuf>,
    /// The local path of a Unix socket, when it has one (`sockname`).
    pub local_path: Option<PathBuf>,
    /// The raw file descriptor of the socket (asyncio's `socket`), on Unix.
    pub raw_fd: Option<i32>,
    /// TLS details (feature `tls`): certificates, cipher suite, protocol
    /// version, ALPN and SNI; `None` on a plain connection.
    #[cfg(feature = "tls")]
    pub tls: Option<TlsInfo>,
}

#[cfg(feature = "tls")]
/// What TLS adds to a connection's extra info: asyncio's `peercert`,
/// `cipher`, `ssl_object.version()`, `selected_alpn_protocol()` and the SNI.
///
/// # Examples
///
/// ```
/// let info = weir_stream::tls::TlsInfo::default();
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
