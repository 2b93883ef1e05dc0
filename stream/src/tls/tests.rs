//! TLS over in-memory transports: no sockets, certificates made by rcgen.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use super::config::provider;
use super::*;
use crate::rt::{BoxFuture, ExtraInfo, Runtime, Transport};
use crate::Error;

// ----- an in-memory duplex pipe --------------------------------------------

#[derive(Default)]
struct Dir {
    buf: VecDeque<u8>,
    closed: bool,
    waker: Option<Waker>,
}

struct End {
    rx: Arc<Mutex<Dir>>,
    tx: Arc<Mutex<Dir>>,
    name: &'static str,
}

fn pipe() -> (End, End) {
    let a = Arc::new(Mutex::new(Dir::default()));
    let b = Arc::new(Mutex::new(Dir::default()));
    (
        End {
            rx: a.clone(),
            tx: b.clone(),
            name: "client",
        },
        End {
            rx: b,
            tx: a,
            name: "server",
        },
    )
}

impl End {
    fn close_tx(&self) {
        let mut tx = self.tx.lock().unwrap();
        tx.closed = true;
        if let Some(w) = tx.waker.take() {
            w.wake();
        }
    }
    fn pending_bytes(&self) -> usize {
        self.rx.lock().unwrap().buf.len()
    }
}

impl Drop for End {
    fn drop(&mut self) {
        self.close_tx();
    }
}

impl Transport for End {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut rx = self.rx.lock().unwrap();
        if rx.buf.is_empty() {
            if rx.closed {
                return Poll::Ready(Ok(0));
            }
            rx.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(rx.buf.len());
        for (dst, src) in buf.iter_mut().zip(rx.buf.drain(..n)) {
            *dst = src;
        }
        Poll::Ready(Ok(n))
    }
    fn poll_write_vectored(
        &mut self,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut tx = self.tx.lock().unwrap();
        if tx.closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let mut n = 0;
        for b in bufs {
            tx.buf.extend(b.iter());
            n += b.len();
        }
        if let Some(w) = tx.waker.take() {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }
    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close_tx();
        Poll::Ready(Ok(()))
    }
    fn can_write_eof(&self) -> bool {
        true
    }
    fn extra_info(&self) -> ExtraInfo {
        let _ = self.name;
        ExtraInfo::default()
    }
}

// ----- a runtime over tokio --------------------------------------------------

#[derive(Clone, Debug)]
struct Tokio;

impl Runtime for Tokio {
    fn spawn(&self, fut: BoxFuture) {
        tokio::spawn(fut);
    }
    fn sleep(&self, d: Duration) -> BoxFuture {
        Box::pin(tokio::time::sleep(d))
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

// ----- certificates ------------------------------------------------------------

/// A CA (with a name of its own) and a server certificate for `names`.
fn pki(names: &[&str]) -> super::testing::ThrowawayPki {
    super::testing::ThrowawayPki::new(names).unwrap()
}

fn tls_pair(names: &[&str]) -> (ClientTls, ServerTls) {
    let p = pki(names);
    (p.client().unwrap(), p.server().unwrap())
}

async fn read_some(t: &mut dyn Transport) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; 4096];
    let n = poll_fn(|cx| t.poll_read(cx, &mut buf)).await?;
    Ok(buf[..n].to_vec())
}

async fn write_all(t: &mut dyn Transport, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        let n = poll_fn(|cx| t.poll_write_vectored(cx, &[IoSlice::new(data)])).await?;
        data = &data[n..];
    }
    poll_fn(|cx| t.poll_flush(cx)).await
}

/// Connects a client and a server over a pipe.
async fn handshake_pair(
    client: &ClientTls,
    server: &ServerTls,
    host: &str,
) -> (Result<TlsTransport, Error>, Result<TlsTransport, Error>) {
    let (c, s) = pipe();
    let server = server.clone();
    let srv = tokio::spawn(async move { accept(&Tokio, Box::new(s), &server).await });
    let cli = connect(&Tokio, Box::new(c), client, host).await;
    (cli, srv.await.unwrap())
}

/// A client and a server for "localhost", handshake done.
async fn connected() -> (TlsTransport, TlsTransport) {
    let (client, server) = tls_pair(&["localhost"]);
    let (c, s) = handshake_pair(&client, &server, "localhost").await;
    (c.unwrap(), s.unwrap())
}

// ----- tests -----------------------------------------------------------------

#[test]
fn handshake_and_data_both_ways_with_tls_info() {
    rt().block_on(async {
        let (client, server) = tls_pair(&["localhost"]);
        let client = client.alpn([b"weir"]);
        let server = server.alpn([b"weir"]);
        let (c, s) = handshake_pair(&client, &server, "localhost").await;
        let (mut c, mut s) = (c.unwrap(), s.unwrap());
        write_all(&mut c, b"hello over tls\n").await.unwrap();
        assert_eq!(read_some(&mut s).await.unwrap(), b"hello over tls\n");
        write_all(&mut s, b"and back\n").await.unwrap();
        assert_eq!(read_some(&mut c).await.unwrap(), b"and back\n");

        let ci = c.extra_info().tls.unwrap();
        assert_eq!(ci.protocol_version, Some(rustls::ProtocolVersion::TLSv1_3));
        assert!(ci.cipher_suite.is_some());
        assert_eq!(ci.peer_certificates.len(), 1);
        assert_eq!(ci.alpn_protocol.as_deref(), Some(&b"weir"[..]));
        assert_eq!(ci.server_name.as_deref(), Some("localhost"));
        let si = s.tls_info();
        assert_eq!(
            si.server_name.as_deref(),
            Some("localhost"),
            "SNI seen by the server"
        );
        assert!(si.peer_certificates.is_empty(), "no client certificate");
        assert!(c.can_write_eof() && s.can_write_eof());
    });
}

#[test]
fn wrong_hostname_is_a_clear_error() {
    rt().block_on(async {
        let (client, server) = tls_pair(&["localhost"]);
        let (c, _s) = handshake_pair(&client, &server, "other.example").await;
        let msg = c.unwrap_err().to_string();
        assert!(msg.contains("does not name this host"), "{msg}");
    });
}

#[test]
fn the_name_given_is_the_name_checked_and_sent() {
    rt().block_on(async {
        let (client, server) = tls_pair(&["service.internal"]);
        let (c, s) = handshake_pair(&client, &server, "service.internal").await;
        let (c, s) = (c.unwrap(), s.unwrap());
        assert_eq!(
            c.extra_info().tls.unwrap().server_name.as_deref(),
            Some("service.internal")
        );
        assert_eq!(
            s.tls_info().server_name.as_deref(),
            Some("service.internal"),
            "SNI"
        );
        // The same ClientTls, another name: checked per connection.
        let (c, _s) = handshake_pair(&client, &server, "127.0.0.1").await;
        let msg = c.unwrap_err().to_string();
        assert!(msg.contains("does not name this host"), "{msg}");
    });
}

#[test]
fn an_invalid_name_is_refused_before_any_byte_is_sent() {
    rt().block_on(async {
        let client = ClientTls::webpki_roots();
        for name in ["", "bad name!", "a..b"] {
            let (c, mut peer) = pipe();
            let err = connect(&Tokio, Box::new(c), &client, name)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{name:?}: {err}");
            assert!(err.to_string().contains("server_hostname"), "{err}");
            // Nothing was written: the peer sees EOF (the client end is gone).
            assert_eq!(read_some(&mut peer).await.unwrap(), b"", "{name:?}");
        }
    });
}

#[test]
fn untrusted_ca_is_a_clear_error() {
    rt().block_on(async {
        let (_, server) = tls_pair(&["localhost"]);
        let (other_client, _) = tls_pair(&["localhost"]);
        let (c, _s) = handshake_pair(&other_client, &server, "localhost").await;
        let msg = c.unwrap_err().to_string();
        assert!(msg.contains("not trusted"), "{msg}");
    });
}

#[test]
fn handshake_timeout_fires_against_a_silent_peer() {
    rt().block_on(async {
        let (client, _) = tls_pair(&["localhost"]);
        let client = client.handshake_timeout(Duration::from_millis(100));
        let (c, silent) = pipe();
        let err = connect(&Tokio, Box::new(c), &client, "localhost")
            .await
            .unwrap_err();
        assert_eq!(err.io_kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(silent.pending_bytes() > 0, "the ClientHello was sent");
    });
}

#[test]
fn plaintext_peer_fails_cleanly() {
    rt().block_on(async {
        let (_, server) = tls_pair(&["localhost"]);
        let (mut c, s) = pipe();
        write_all(&mut c, b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        let err = accept(&Tokio, Box::new(s), &server).await.unwrap_err();
        assert_eq!(err.io_kind(), io::ErrorKind::InvalidData, "{err}");
        assert!(err.to_string().contains("speaking TLS"), "{err}");
        // And a client against a plaintext server that answers garbage.
        let (client, _) = tls_pair(&["localhost"]);
        let (c, mut s) = pipe();
        let t = tokio::spawn(async move {
            let _hello = read_some(&mut s).await;
            write_all(&mut s, b"220 smtp.example ESMTP ready\r\n")
                .await
                .unwrap();
            s
        });
        let err = connect(&Tokio, Box::new(c), &client, "localhost")
            .await
            .unwrap_err();
        assert_eq!(err.io_kind(), io::ErrorKind::InvalidData, "{err}");
        drop(t.await);
    });
}

#[test]
fn peer_closing_mid_handshake_is_eof() {
    rt().block_on(async {
        let (client, _) = tls_pair(&["localhost"]);
        let (c, s) = pipe();
        drop(s);
        let err = connect(&Tokio, Box::new(c), &client, "localhost")
            .await
            .unwrap_err();
        assert_eq!(err.io_kind(), io::ErrorKind::UnexpectedEof, "{err}");
    });
}

#[test]
fn tls13_half_close_keeps_the_other_direction() {
    rt().block_on(async {
        let (mut c, mut s) = connected().await;
        write_all(&mut c, b"request").await.unwrap();
        poll_fn(|cx| c.poll_shutdown(cx)).await.unwrap();
        assert_eq!(read_some(&mut s).await.unwrap(), b"request");
        assert_eq!(
            read_some(&mut s).await.unwrap(),
            b"",
            "close_notify reads as a clean EOF"
        );
        write_all(&mut s, b"response after our EOF").await.unwrap();
        poll_fn(|cx| s.poll_shutdown(cx)).await.unwrap();
        assert_eq!(read_some(&mut c).await.unwrap(), b"response after our EOF");
        assert_eq!(read_some(&mut c).await.unwrap(), b"");
    });
}

#[test]
fn closing_without_close_notify_is_truncation() {
    rt().block_on(async {
        let (mut c, mut s) = connected().await;
        write_all(&mut c, b"partial").await.unwrap();
        drop(c); // the socket closes with no close_notify
        assert_eq!(read_some(&mut s).await.unwrap(), b"partial");
        let err = read_some(&mut s).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("truncation"), "{err}");
    });
}

/// One `poll_read_with` call: what it lent, at most `max` bytes.
async fn read_lent(t: &mut TlsTransport, max: usize) -> io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let n = poll_fn(|cx| {
        t.poll_read_with(cx, max, &mut |chunk| got.extend_from_slice(chunk))
            .expect("TLS lends its plaintext")
    })
    .await?;
    assert_eq!(n, got.len(), "the count returned is what the sink got");
    assert!(n <= max, "{n} bytes lent, {max} asked");
    Ok(got)
}

#[test]
fn plaintext_is_lent_across_records_within_the_limit_then_eof() {
    rt().block_on(async {
        let (mut c, mut s) = connected().await;
        // Several TLS records (16 KiB of plaintext at most each).
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let writer = tokio::spawn(async move {
            write_all(&mut c, &data).await.unwrap();
            poll_fn(|cx| c.poll_shutdown(cx)).await.unwrap();
            data
        });
        let mut got = Vec::new();
        let mut calls = 0;
        loop {
            let chunk = read_lent(&mut s, 10_000).await.unwrap();
            if chunk.is_empty() {
                break; // close_notify: a clean EOF
            }
            got.extend_from_slice(&chunk);
            calls += 1;
            assert!(calls < 1_000, "no progress");
        }
        let data = writer.await.unwrap();
        assert_eq!(got, data);
        assert!(
            calls >= 10,
            "100,000 bytes in {calls} reads of at most 10,000"
        );
    });
}

#[test]
fn lent_plaintext_then_truncation() {
    rt().block_on(async {
        let (mut c, mut s) = connected().await;
        write_all(&mut c, b"partial").await.unwrap();
        drop(c); // no close_notify
        assert_eq!(read_lent(&mut s, 4096).await.unwrap(), b"partial");
        let err = read_lent(&mut s, 4096).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("truncation"), "{err}");
    });
}

#[test]
fn tls12_cannot_write_eof() {
    rt().block_on(async {
        let p = pki(&["localhost"]);
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(p.ca_pem.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        let cfg = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = ClientTls::new(Arc::new(cfg));
        let server = p.server().unwrap();
        let (c, s) = handshake_pair(&client, &server, "localhost").await;
        let (c, s) = (c.unwrap(), s.unwrap());
        assert_eq!(
            c.tls_info().protocol_version,
            Some(rustls::ProtocolVersion::TLSv1_2)
        );
        assert!(!c.can_write_eof() && !s.can_write_eof());
    });
}

#[test]
fn starttls_read_ahead_is_handed_to_tls() {
    rt().block_on(async {
        let (client, server) = tls_pair(&["localhost"]);
        let (mut c, mut s) = pipe();
        // The client sends STARTTLS and, in the same flight, its ClientHello.
        write_all(&mut c, b"STARTTLS\r\n").await.unwrap();
        let cli =
            tokio::spawn(async move { connect(&Tokio, Box::new(c), &client, "localhost").await });
        while s.pending_bytes() <= 10 {
            tokio::task::yield_now().await;
        }
        // The server's reader takes everything off the socket at once...
        let mut rb = crate::ReadBuffer::default();
        let got = read_some(&mut s).await.unwrap();
        rb.feed(&got).unwrap();
        let Ok(crate::Step::Ready(line)) = rb.read_line() else {
            panic!()
        };
        assert_eq!(&line[..], b"STARTTLS\r\n");
        // ...so the ClientHello sits in its buffer: hand it over.
        assert!(rb.buffered() > 0, "the test must exercise a read-ahead");
        let Ok(crate::Step::Ready(early)) = rb.read(usize::MAX) else {
            panic!()
        };
        let mut srv = accept_after(&Tokio, Box::new(s), early, &server)
            .await
            .unwrap();
        let mut cli = cli.await.unwrap().unwrap();
        write_all(&mut cli, b"EHLO secure\r\n").await.unwrap();
        assert_eq!(read_some(&mut srv).await.unwrap(), b"EHLO secure\r\n");
    });
}

#[test]
fn bad_configuration_is_reported() {
    assert!(ClientTls::from_ca_pem(
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
    )
    .is_err());
    let p = pki(&["localhost"]);
    let other = pki(&["localhost"]);
    let err = ServerTls::from_pem(p.chain_pem.as_bytes(), other.key_pem.as_bytes());
    assert!(err.is_err(), "a key that does not match the certificate");
}

#[test]
fn timeouts_report_what_was_set() {
    let (client, server) = tls_pair(&["localhost"]);
    assert_eq!(client.timeouts(), TlsTimeouts::default());
    assert_eq!(server.timeouts(), TlsTimeouts::default());
    let (h, s) = (Duration::from_millis(1500), Duration::from_millis(250));
    let want = TlsTimeouts {
        handshake: h,
        shutdown: s,
    };
    let client = client.handshake_timeout(h).shutdown_timeout(s);
    let server = server.shutdown_timeout(s).handshake_timeout(h);
    assert_eq!((client.timeouts(), server.timeouts()), (want, want));
}
