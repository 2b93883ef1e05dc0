//! Connecting to one of several resolved addresses, for every backend.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use crate::Error;

/// Which address family to connect or listen with (asyncio's `family`).
///
/// # Examples
///
/// ```
/// use weir_core::stream::Family;
/// let v6: std::net::SocketAddr = "[::1]:80".parse().unwrap();
/// assert!(Family::Any.matches(&v6) && Family::V6.matches(&v6) && !Family::V4.matches(&v6));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// IPv4 and IPv6 (asyncio's `AF_UNSPEC`, the default).
    #[default]
    Any,
    /// IPv4 only (`AF_INET`).
    V4,
    /// IPv6 only (`AF_INET6`).
    V6,
}

impl Family {
    /// Whether `addr` belongs to this family.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_core::stream::Family;
    /// assert!(Family::V4.matches(&"127.0.0.1:1".parse().unwrap()));
    /// ```
    pub fn matches(&self, addr: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }
}

/// Joins every attempt's failure into one error naming each address.
pub(crate) fn all_failed(errors: Vec<(SocketAddr, io::Error)>) -> Error {
    let kind = errors
        .last()
        .map(|(_, e)| e.kind())
        .unwrap_or(io::ErrorKind::NotFound);
    let msg = if errors.is_empty() {
        "connect: no address to connect to".to_string()
    } else {
        let parts: Vec<String> = errors.iter().map(|(a, e)| format!("{a}: {e}")).collect();
        format!("connect failed: {}", parts.join("; "))
    };
    Error::connection(io::Error::new(kind, msg))
}

/// Tries `addrs` one after another until one connects.
///
/// # Errors
///
/// A connection error naming every address and why it failed.
///
/// # Examples
///
/// ```
/// use std::io;
/// use weir_core::stream::connect_sequential;
/// # futures_lite::future::block_on(async {
/// let addrs = vec!["127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap()];
/// let got = connect_sequential(addrs, |a| async move {
///     if a.port() == 2 { Ok(a) } else { Err(io::Error::from(io::ErrorKind::ConnectionRefused)) }
/// }).await?;
/// assert_eq!(got.port(), 2);
/// # Ok::<(), weir_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn connect_sequential<T, C, F>(addrs: Vec<SocketAddr>, mut connect: C) -> Result<T, Error>
where
    C: FnMut(SocketAddr) -> F,
    F: Future<Output = io::Result<T>>,
{
    let mut errors = Vec::new();
    for addr in addrs {
        match connect(addr).await {
            Ok(t) => return Ok(t),
            Err(e) => errors.push((addr, e)),
        }
    }
    Err(all_failed(errors))
}
