//! TLS on live connections (asyncio's `StreamWriter.start_tls`) and the TLS
//! variant of [`from_transport`](crate::from_transport), for every backend.
//!
//! `start_tls` sends what is queued, takes the transport out from under the
//! reader and the flusher (both wait meanwhile), hands the bytes the reader
//! had already read ahead to the TLS layer as its first ciphertext (CPython
//! lost them: gh-142352), runs the handshake, and puts the TLS transport back
//! under the same handles: the reader follows the new transport (gh-114921).

use std::future::{poll_fn, Future};
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::shared::{lock, Shared, Slot};
use super::{StreamReader, StreamWriter};
use crate::rt::{BoxFuture, Runtime, Transport};
use crate::tls::{self, ClientTls, ServerTls, TlsTransport};
use crate::{Error, Step};

/// Connects TLS over a connected transport and wraps it into a reader and a
/// writer (asyncio's `open_connection(..., ssl=...)` after the TCP connect).
/// `host` is the name the certificate must carry (asyncio's
/// `server_hostname`).
///
/// # Errors
///
/// The handshake's error ([`Error::Connection`]: bad certificate, wrong name,
/// a peer not speaking TLS, timeout); [`Error::InvalidLimit`] for a limit of
/// 0; [`Error::InvalidArgument`] if `host` is not a DNS name or an IP address.
///
/// # Examples
///
/// ```no_run
/// # async fn demo<R: weir_stream::rt::Runtime>(rt: &R, t: Box<dyn weir_stream::rt::Transport>) -> Result<(), weir_stream::Error> {
/// let tls = weir_stream::tls::ClientTls::webpki_roots();
/// let (reader, writer) = weir_stream::connect_tls(rt, t, 64 * 1024, &tls, "example.com").await?;
/// # Ok(()) }
/// ```
pub async fn connect_tls<R: Runtime>(
    rt: &R,
    transport: Box<dyn Transport>,
    limit: usize,
    tls: &ClientTls,
    host: &str,
) -> Result<(StreamReader, StreamWriter), Error> {
    crate::ReadBuffer::new(limit)?;
    let t = tls::connect(rt, transport, tls, host).await?;
    crate::from_transport(rt, Box::new(t), limit)
}

/// Puts the connection back in a closed state if the upgrade future is
/// dropped half-way: the transport went into the abandoned handshake.
struct Abandoned<'a> {
    shared: &'a Shared,
    armed: bool,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.lose(Error::connection(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "start_tls was cancelled during the handshake; the connection is closed",
            )));
            self.shared.finish_close();
        }
    }
}

impl StreamWriter {
    /// Upgrades this connection to TLS as the client (asyncio's
    /// `StreamWriter.start_tls(sslcontext, server_hostname=...)`), for
    /// STARTTLS-style protocols. Queued bytes are sent first; bytes the reader
    /// had already read ahead are handed to TLS, not lost. Afterwards the same
    /// reader and writer speak TLS.
    ///
    /// `server_hostname` is the name the server's certificate must carry
    /// (and the SNI sent).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `server_hostname` is not a DNS name or
    /// an IP address (checked first: the connection is left as it was);
    /// the handshake's error (the connection is then closed);
    /// [`Error::WriterClosed`] if the connection is closed, or was not
    /// made over a transport (a hand-fed reader); the connection's error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(r: weir_stream::StreamReader, w: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.write(b"STARTTLS\r\n")?;
    /// let reply = r.read_line().await?;
    /// assert!(reply.starts_with(b"220"));
    /// w.start_tls(&weir_stream::tls::ClientTls::webpki_roots(), "mail.example.com").await?;
    /// w.write(b"EHLO me\r\n")?; // encrypted now
    /// # Ok(()) }
    /// ```
    pub async fn start_tls(&self, tls: &ClientTls, server_hostname: &str) -> Result<(), Error> {
        let name = tls::parse_server_name(server_hostname)?;
        let limit = tls.timeouts().handshake;
        let tls = tls.clone();
        self.upgrade(limit, move |t, early, timer| {
            Box::pin(async move { tls::connect_timed(t, early, &tls, name, timer).await })
        })
        .await
    }

    /// Upgrades this connection to TLS as the server (asyncio's `start_tls`
    /// with a server-side context): the server half of STARTTLS. A
    /// ClientHello that arrived in the same read as the `STARTTLS` command is
    /// taken from the reader's buffer and handed to TLS.
    ///
    /// # Errors
    ///
    /// As [`start_tls`](Self::start_tls).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(r: weir_stream::StreamReader, w: weir_stream::StreamWriter, tls: weir_stream::tls::ServerTls) -> Result<(), weir_stream::Error> {
    /// if &r.read_line().await?[..] == b"STARTTLS\r\n" {
    ///     w.write(b"220 go ahead\r\n")?;
    ///     w.start_tls_server(&tls).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn start_tls_server(&self, tls: &ServerTls) -> Result<(), Error> {
        let tls = tls.clone();
        let limit = tls.timeouts().handshake;
        self.upgrade(limit, move |t, early, timer| {
            Box::pin(async move { tls::accept_timed(t, early, &tls, timer).await })
        })
        .await
    }

    async fn upgrade<H>(&self, limit: std::time::Duration, handshake: H) -> Result<(), Error>
    where
        H: FnOnce(
            Box<dyn Transport>,
            Bytes,
            BoxFuture,
        )
            -> std::pin::Pin<Box<dyn Future<Output = Result<TlsTransport, Error>> + Send>>,
    {
        let shared: &Arc<Shared> = &self.shared;
        let Some(rt) = shared.rt.clone() else {
            return Err(Error::WriterClosed);
        };
        // asyncio drains before upgrading: everything queued goes out in clear.
        poll_fn(|cx| self.poll_flush(cx)).await?;
        let t = {
            let mut slot = lock(&shared.transport);
            match std::mem::replace(&mut *slot, Slot::Upgrading) {
                Slot::Open(t) => t,
                other => {
                    *slot = other;
                    return Err(Error::WriterClosed);
                }
            }
        };
        let mut guard = Abandoned {
            shared,
            armed: true,
        };
        // What the reader took off the socket past the last read is TLS.
        let early = {
            let mut r = lock(&shared.read);
            match r.rb.buffered() {
                0 => Bytes::new(),
                n => match r.rb.read(n) {
                    Ok(Step::Ready(b)) => b,
                    _ => Bytes::new(),
                },
            }
        };
        let timer = rt.sleep_dyn(limit);
        let result = handshake(t, early, timer).await;
        guard.armed = false;
        match result {
            Ok(t) => {
                *lock(&shared.info) = t.extra_info();
                shared
                    .can_write_eof
                    .store(t.can_write_eof(), Ordering::Release);
                *lock(&shared.transport) = Slot::Open(Box::new(t));
                let flusher = shared.lock_write().flusher.take();
                if let Some(f) = flusher {
                    f.wake();
                }
                shared.wake_reader();
                Ok(())
            }
            Err(e) => {
                shared.lose(e.clone());
                shared.finish_close();
                Err(e)
            }
        }
    }
}
