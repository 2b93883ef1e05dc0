//! [`TlsTransport`]: a rustls connection driven over any [`Transport`].

use std::io::{self, IoSlice, Read, Write};
use std::task::{ready, Context, Poll, Waker};

use bytes::{Buf, Bytes};
use rustls::Connection;

use crate::info::TlsInfo;
use crate::rt::{ExtraInfo, Transport};

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
/// Build one with [`connect`](super::connect) or [`accept`](super::accept) (which also run the handshake),
/// or with [`connect_after`](super::connect_after)/[`accept_after`](super::accept_after) for STARTTLS, handing over the
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
    /// How long closing may take (the config's `shutdown_timeout`).
    shutdown_timeout: Option<std::time::Duration>,
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

pub(crate) fn tls_error(e: rustls::Error) -> io::Error {
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
    pub(crate) fn new(
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
            shutdown_timeout: None,
        }
    }

    /// Sets how long closing may take before the connection is aborted.
    pub(crate) fn with_shutdown_timeout(mut self, d: std::time::Duration) -> Self {
        self.shutdown_timeout = Some(d);
        self
    }

    /// The negotiated TLS details.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let t: weir_stream::tls::TlsTransport = todo!();
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
    pub(crate) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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

/// rustls's error for a TCP EOF without close_notify, said in weir's words.
fn truncation(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "tls: the peer closed the connection without close_notify (truncation)",
        )
    } else {
        e
    }
}

impl TlsTransport {
    /// [`Transport::poll_read_with`]: rustls's plaintext chunks go to
    /// `sink` as they lie in rustls's buffer, up to `max` bytes in all.
    fn poll_lend(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Poll<io::Result<usize>> {
        if max == 0 {
            return Poll::Ready(Ok(0));
        }
        loop {
            let mut total = 0;
            let mut closed = false;
            while total < max {
                let n = match self.conn.reader().into_first_chunk() {
                    // Empty: close_notify came and everything was read.
                    Ok([]) => {
                        closed = true;
                        break;
                    }
                    Ok(chunk) => {
                        let n = chunk.len().min(max - total);
                        sink(&chunk[..n]);
                        n
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    // An error after data is for the next read.
                    Err(_) if total > 0 => break,
                    Err(e) => return Poll::Ready(Err(truncation(e))),
                };
                io::BufRead::consume(&mut self.conn.reader(), n);
                total += n;
            }
            if total > 0 || closed {
                return Poll::Ready(Ok(total));
            }
            self.write_tls_from_reader(cx);
            ready!(self.read_tls_once(cx))?;
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
                Err(e) => return Poll::Ready(Err(truncation(e))),
            }
            self.write_tls_from_reader(cx);
            ready!(self.read_tls_once(cx))?;
        }
    }

    fn poll_read_with(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Option<Poll<io::Result<usize>>> {
        Some(self.poll_lend(cx, max, sink))
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

    fn shutdown_timeout(&self) -> Option<std::time::Duration> {
        self.shutdown_timeout
    }

    fn poll_peer_closed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.read_ahead.is_empty() || self.inner_eof {
            return Poll::Ready(Ok(()));
        }
        // Plaintext rustls holds, or an alert, is for the next read.
        match self.conn.process_new_packets() {
            Ok(s) if s.plaintext_bytes_to_read() == 0 && !s.peer_has_closed() => {}
            _ => return Poll::Ready(Ok(())),
        }
        self.inner.poll_peer_closed(cx)
    }
}
