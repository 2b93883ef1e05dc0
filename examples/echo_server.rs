//! asyncio's TCP echo server, written once for every backend:
//! `[--host 127.0.0.1] [--port 8888] [--mode bytes|lines]`, printing
//! `Serving on ADDR` for each listening address.
//!
//! `bytes` (the default) echoes whatever it reads until EOF; `lines` reads
//! a line, writes it back and drains, until EOF.
//!
//! Each backend's `echo_server*` example names its crate `weir` and runs
//! [`main`] on its runtime: the program is the same on tokio, smol and
//! async-std.

use super::weir::{start_server, StreamReader, StreamWriter};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn echo_bytes(reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.read(64 * 1024).await {
            Ok(data) if !data.is_empty() => {
                if writer.write(&data).is_err() || writer.drain().await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

async fn echo_lines(reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.read_line().await {
            Ok(line) if !line.is_empty() => {
                if writer.write(&line).is_err() || writer.drain().await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// Parses the flags, serves until killed.
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = arg("--host").unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = arg("--port").unwrap_or_else(|| "8888".into()).parse()?;
    let server = match arg("--mode").as_deref() {
        None | Some("bytes") => start_server(echo_bytes, &host, port).await?,
        Some("lines") => start_server(echo_lines, &host, port).await?,
        Some(other) => return Err(format!("unknown --mode {other}: use bytes or lines").into()),
    };
    for addr in server.local_addrs() {
        println!("Serving on {addr}");
    }
    server.serve_forever().await?;
    Ok(())
}
