//! The client and server handshakes, bounded by their timeouts.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, Connection, ServerConnection};

use crate::rt::{BoxFuture, Runtime, Transport};
use crate::Error;

use super::config::{parse_server_name, ClientTls, ServerTls};
use super::transport::{tls_error, TlsTransport};

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
/// against the server's certificate (and sent as SNI).
///
/// # Errors
///
/// [`Error::Connection`]: the handshake failed (bad certificate, wrong name,
/// a peer not speaking TLS: kind `InvalidData`), timed out (`TimedOut`), or
/// the peer closed (`UnexpectedEof`); [`Error::InvalidArgument`] for a host
/// that is not a valid server name (checked before any I/O).
///
/// # Examples
///
/// ```no_run
/// # async fn f<R: weir_stream::rt::Runtime>(rt: R, sock: Box<dyn weir_stream::rt::Transport>) -> Result<(), weir_stream::Error> {
/// let tls = weir_stream::tls::ClientTls::webpki_roots();
/// let secured = weir_stream::tls::connect(&rt, sock, &tls, "example.com").await?;
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
/// # async fn f<R: weir_stream::rt::Runtime>(rt: R, sock: Box<dyn weir_stream::rt::Transport>) -> Result<(), weir_stream::Error> {
/// let tls = weir_stream::tls::ClientTls::webpki_roots();
/// let t = weir_stream::tls::connect_after(&rt, sock, bytes::Bytes::new(), &tls, "mail.example.com").await?;
/// # Ok(()) }
/// ```
pub async fn connect_after<R: Runtime>(
    rt: &R,
    inner: Box<dyn Transport>,
    read_ahead: Bytes,
    tls: &ClientTls,
    host: &str,
) -> Result<TlsTransport, Error> {
    let name = parse_server_name(host)?;
    connect_timed(
        inner,
        read_ahead,
        tls,
        name,
        rt.sleep(tls.timeouts.handshake),
    )
    .await
}

/// [`connect_after`] with the name parsed (by [`parse_server_name`]) and
/// the handshake timer supplied by the caller.
pub(crate) async fn connect_timed(
    inner: Box<dyn Transport>,
    read_ahead: Bytes,
    tls: &ClientTls,
    name: ServerName<'static>,
    timer: BoxFuture,
) -> Result<TlsTransport, Error> {
    let shown = name.to_str().into_owned();
    let conn = ClientConnection::new(tls.config.clone(), name)
        .map_err(|e| Error::connection(tls_error(e)))?;
    let t = TlsTransport::new(inner, Connection::Client(conn), read_ahead, Some(shown))
        .with_shutdown_timeout(tls.timeouts.shutdown);
    handshake(t, tls.timeouts.handshake, timer).await
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
/// # async fn f<R: weir_stream::rt::Runtime>(rt: R, sock: Box<dyn weir_stream::rt::Transport>, tls: weir_stream::tls::ServerTls) -> Result<(), weir_stream::Error> {
/// let secured = weir_stream::tls::accept(&rt, sock, &tls).await?;
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
/// # async fn f<R: weir_stream::rt::Runtime>(rt: R, sock: Box<dyn weir_stream::rt::Transport>, tls: weir_stream::tls::ServerTls, early: bytes::Bytes) -> Result<(), weir_stream::Error> {
/// let secured = weir_stream::tls::accept_after(&rt, sock, early, &tls).await?;
/// # Ok(()) }
/// ```
pub async fn accept_after<R: Runtime>(
    rt: &R,
    inner: Box<dyn Transport>,
    read_ahead: Bytes,
    tls: &ServerTls,
) -> Result<TlsTransport, Error> {
    accept_timed(inner, read_ahead, tls, rt.sleep(tls.timeouts.handshake)).await
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
    let t = TlsTransport::new(inner, Connection::Server(conn), read_ahead, None)
        .with_shutdown_timeout(tls.timeouts.shutdown);
    handshake(t, tls.timeouts.handshake, timer).await
}

/// [`accept_timed`] for a server connection, stopped early when the server
/// closes or aborts its clients (`stop`): a handshaking connection belongs to
/// its server.
pub(crate) async fn accept_stoppable(
    inner: Box<dyn Transport>,
    tls: &ServerTls,
    mut timer: BoxFuture,
    stop: &crate::handshaking::Pending,
) -> Result<TlsTransport, Error> {
    let conn =
        ServerConnection::new(tls.config.clone()).map_err(|e| Error::connection(tls_error(e)))?;
    let mut t = TlsTransport::new(inner, Connection::Server(conn), Bytes::new(), None)
        .with_shutdown_timeout(tls.timeouts.shutdown);
    /// How the handshake ended.
    enum End {
        Done(io::Result<()>),
        Stopped(crate::handshaking::Stop),
        TimedOut,
    }
    let end = poll_fn(|cx| {
        if let Poll::Ready(how) = stop.poll_stop(cx) {
            return Poll::Ready(End::Stopped(how));
        }
        if let Poll::Ready(r) = t.poll_handshake(cx) {
            return Poll::Ready(End::Done(r));
        }
        timer.as_mut().poll(cx).map(|()| End::TimedOut)
    })
    .await;
    match end {
        End::Done(Ok(())) => Ok(t),
        End::Done(Err(e)) => Err(Error::connection(e)),
        End::Stopped(how) => {
            if how == crate::handshaking::Stop::Abort {
                t.abort();
            }
            Err(Error::connection(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "tls: the server closed its clients during the handshake",
            )))
        }
        End::TimedOut => Err(Error::connection(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "tls: the handshake did not finish within {:?}; raise handshake_timeout if the peer is slow",
                tls.timeouts.handshake
            ),
        ))),
    }
}
