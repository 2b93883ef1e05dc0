//! A STARTTLS server (the shape of SMTP's): plain text first, then
//! `STARTTLS` upgrades the live connection with `start_tls_server`.
//!
//! ```text
//! cargo run -p weir-tokio --example starttls_server -- --port 8025 --ca-out /tmp/weir-ca.pem
//! cargo run -p weir-tokio --example starttls_client -- --port 8025 --cafile /tmp/weir-ca.pem
//! ```
//!
//! With no `--cert`/`--key`, it makes a throwaway CA and a certificate for
//! `localhost` and `127.0.0.1` at start-up and writes the CA to `--ca-out`
//! (default `weir-starttls-ca.pem` in the temp dir), for the client to trust.

use weir_stream::tls::testing::ThrowawayPki;
use weir_tokio::ServerTls;
use weir_tokio::{StreamReader, StreamWriter};

async fn session(reader: StreamReader, writer: StreamWriter, tls: ServerTls) {
    let peer = writer.extra_info().peer_addr;
    let _ = writer.write(b"220 weir STARTTLS demo\r\n");
    loop {
        let line = match reader.read_line().await {
            Ok(l) if !l.is_empty() => l,
            _ => break,
        };
        let cmd = String::from_utf8_lossy(&line).trim_end().to_string();
        let secure = writer.extra_info().tls.is_some();
        let reply = match cmd.to_ascii_uppercase().as_str() {
            "STARTTLS" if secure => "503 already secure\r\n".to_string(),
            "STARTTLS" => {
                let _ = writer.write(b"220 ready to start TLS\r\n");
                if let Err(e) = writer.start_tls_server(&tls).await {
                    eprintln!("{peer:?}: TLS handshake failed: {e}");
                    return;
                }
                continue;
            }
            "QUIT" => {
                let _ = writer.write(b"221 bye\r\n");
                break;
            }
            _ if !secure => "530 must issue STARTTLS first\r\n".to_string(),
            _ => format!("250 {cmd}\r\n"),
        };
        if writer.write(reply.as_bytes()).is_err() || writer.drain().await.is_err() {
            break;
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// A throwaway CA and certificate for localhost and 127.0.0.1; the CA goes
/// to `ca_out` for the client to trust.
fn throwaway_identity(ca_out: &std::path::Path) -> Result<ServerTls, Box<dyn std::error::Error>> {
    let pki = ThrowawayPki::new(&["localhost", "127.0.0.1"])?;
    std::fs::write(ca_out, &pki.ca_pem)?;
    Ok(pki.server()?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut host, mut port) = ("127.0.0.1".to_string(), 8025u16);
    let (mut cert, mut key) = (None, None);
    let mut ca_out = std::env::temp_dir().join("weir-starttls-ca.pem");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--host" => host = value()?,
            "--port" => port = value()?.parse()?,
            "--cert" => cert = Some(value()?),
            "--key" => key = Some(value()?),
            "--ca-out" => ca_out = value()?.into(),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let tls = match (cert, key) {
        (Some(c), Some(k)) => ServerTls::from_pem_files(c, k)?,
        (None, None) => throwaway_identity(&ca_out)?,
        _ => return Err("--cert and --key go together".into()),
    };
    let server =
        weir_tokio::start_server(move |r, w| session(r, w, tls.clone()), &host, port).await?;
    println!("Serving on {}", server.local_addrs()[0]);
    server.serve_forever().await?;
    Ok(())
}
