//! TLS echo throughput on loopback: weir-tokio's TLS server (rustls driven by
//! weir-stream's one TLS transport) against a hand-written tokio-rustls echo
//! server, with the same tokio-rustls client, certificates and data, measured
//! side by side in one run.
//!
//! ```text
//! cargo bench -p weir-tokio --bench tls_echo
//! ```
//!
//! Each case sends `MIB` MiB per connection in 16 KiB writes while reading
//! the echo back, and reports MiB/s (median of `ROUNDS` interleaved rounds).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use weir_stream::tls::testing::ThrowawayPki;

const MIB: usize = 32;
const ROUNDS: usize = 5;
const CHUNK: usize = 16 * 1024;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// weir: read up to 64 KiB, write it back, drain.
async fn weir_server(p: &ThrowawayPki) -> (weir_tokio::Server, SocketAddr) {
    let tls = p.server().unwrap();
    let server = weir_tokio::ServerOptions::new()
        .tls(tls)
        .start(
            |r: weir_tokio::StreamReader, w: weir_tokio::StreamWriter| async move {
                while let Ok(d) = r.read(64 * 1024).await {
                    if d.is_empty() || w.write_bytes(d).is_err() || w.drain().await.is_err() {
                        break;
                    }
                }
                w.close();
                let _ = w.wait_closed().await;
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    (server, addr)
}

/// Hand-written: tokio-rustls acceptor, a 64 KiB buffer, read + write_all + flush.
async fn hand_server(p: &ThrowawayPki) -> SocketAddr {
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(p.chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_slice(p.key_pem.as_bytes()).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            // tokio-rustls holds records until flushed.
                            if tls.write_all(&buf[..n]).await.is_err() || tls.flush().await.is_err()
                            {
                                break;
                            }
                        }
                    }
                }
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

fn connector(p: &ThrowawayPki) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(p.ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

/// `conns` clients each push `MIB` MiB and read it back; returns MiB/s.
async fn run(addr: SocketAddr, conns: usize, tls: &tokio_rustls::TlsConnector, label: &str) -> f64 {
    let total = MIB * 1024 * 1024;
    let mut streams = Vec::new();
    for _ in 0..conns {
        let sock = TcpStream::connect(addr).await.unwrap();
        sock.set_nodelay(true).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        streams.push(tls.connect(name, sock).await.unwrap());
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    let progress: Arc<Vec<std::sync::atomic::AtomicUsize>> =
        Arc::new((0..conns).map(|_| Default::default()).collect());
    for (i, s) in streams.into_iter().enumerate() {
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            let (mut r, mut w) = tokio::io::split(s);
            let writer = tokio::spawn(async move {
                let chunk = vec![0x5au8; CHUNK];
                let mut sent = 0;
                while sent < total {
                    w.write_all(&chunk).await.unwrap();
                    sent += CHUNK;
                }
                // tokio-rustls may keep the last records until a flush.
                w.flush().await.unwrap();
                w
            });
            let mut buf = vec![0u8; 64 * 1024];
            let mut got = 0;
            while got < total {
                let n = r.read(&mut buf).await.unwrap();
                assert!(n > 0, "server closed early");
                assert!(buf[..n].iter().all(|&b| b == 0x5a), "corrupt echo");
                got += n;
                progress[i].store(got, std::sync::atomic::Ordering::Relaxed);
            }
            let mut w = writer.await.unwrap();
            let _ = w.shutdown().await;
        }));
    }
    for t in tasks {
        if tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .is_err()
        {
            let got: Vec<usize> = progress
                .iter()
                .map(|p| p.load(std::sync::atomic::Ordering::Relaxed))
                .collect();
            panic!("{label}: {conns} connections stalled; bytes echoed per connection: {got:?} of {total}");
        }
    }
    (MIB * conns) as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    // `cargo test` runs benches in test mode with --bench absent: do little then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let p = ThrowawayPki::new(&["localhost"]).unwrap();
        let (_weir, weir_addr) = weir_server(&p).await;
        let hand_addr = hand_server(&p).await;
        let tls = connector(&p);
        println!("TLS echo, {MIB} MiB per connection, 16 KiB writes, median of {ROUNDS} rounds");
        println!("| connections | weir-tokio MiB/s | tokio-rustls MiB/s | ratio |");
        println!("|---|---|---|---|");
        for conns in [1, 8] {
            let (mut w, mut h) = (Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                w.push(run(weir_addr, conns, &tls, "weir-tokio").await);
                h.push(run(hand_addr, conns, &tls, "tokio-rustls").await);
            }
            let (w, h) = (median(w), median(h));
            println!("| {conns} | {w:.0} | {h:.0} | {:.2}x |", w / h);
        }
    });
}
