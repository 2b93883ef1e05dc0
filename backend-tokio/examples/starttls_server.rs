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

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;

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

/// A STARTTLS server: plain text first, then `STARTTLS` upgrades the
/// connection. Prints `Serving on ADDR` once listening.
#[derive(Debug, clap::Parser)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8025)]
    port: u16,
    /// The server's certificate chain (PEM); with `--key`. Without both, a
    /// throwaway CA and certificate are made.
    #[arg(long, value_name = "PEM", requires = "key")]
    cert: Option<std::path::PathBuf>,
    /// The server's private key (PEM); with `--cert`.
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<std::path::PathBuf>,
    /// Where to write the throwaway CA for clients to trust (default
    /// `weir-starttls-ca.pem` in the temp dir).
    #[arg(long, value_name = "PEM")]
    ca_out: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Args = clap::Parser::parse();
    cli::exit(run(args).await)
}

async fn run(args: Args) -> Result<(), String> {
    let Args {
        host,
        port,
        cert,
        key,
        ca_out,
    } = args;
    let ca_out = ca_out.unwrap_or_else(|| std::env::temp_dir().join("weir-starttls-ca.pem"));
    let tls = match (cert, key) {
        (Some(c), Some(k)) => ServerTls::from_pem_files(c, k).map_err(|e| cli::reason(&e))?,
        _ => throwaway_identity(&ca_out).map_err(|e| {
            format!(
                "cannot make a throwaway identity ({}): {}",
                ca_out.display(),
                cli::reason(&*e)
            )
        })?,
    };
    let server = weir_tokio::start_server(move |r, w| session(r, w, tls.clone()), &host, port)
        .await
        .map_err(|e| cli::listen_error(&host, port, &e))?;
    println!("Serving on {}", server.local_addrs()[0]);
    server
        .serve_forever()
        .await
        .map_err(|e| format!("serving on {host}:{port} failed: {}", cli::reason(&e)))
}
