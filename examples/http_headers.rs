//! asyncio's "get HTTP headers" example, written once for every backend:
//! `http_headers URL [--cafile PEM]` sends a HEAD request and prints each
//! header line of the answer as `HTTP header> ...`. `https://` URLs speak
//! TLS, trusting Mozilla's roots or the CA in `--cafile`.
//!
//! It stops at the blank line that ends the head (what a HEAD answer is),
//! rather than reading to EOF as the asyncio example does: that also spares
//! it servers that drop TLS without close_notify, which weir reports as
//! truncation.
//!
//! Each backend's `http_headers*` example names its crate `weir` and runs
//! [`main`] on its runtime.

use super::weir::ClientTls;

/// Fetches the URL given on the command line.
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut url = None;
    let mut cafile = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--cafile" => cafile = Some(args.next().ok_or("--cafile needs a PEM file")?),
            _ => url = Some(a),
        }
    }
    let url = url.unwrap_or_else(|| "http://example.com/".into());
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("{url}: the URL must start with http:// or https://").into());
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse()?),
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');

    let mut options = super::weir::ConnectOptions::new();
    if tls {
        options = options.tls(match &cafile {
            Some(path) => ClientTls::from_ca_file(path)?,
            None => ClientTls::webpki_roots(),
        });
    }
    let (reader, writer) = options.connect(host, port).await?;
    let query = format!("HEAD {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    writer.write(query.as_bytes())?;
    loop {
        let line = reader.read_line().await?;
        // latin-1, as the asyncio example decodes it
        let line: String = line.iter().map(|&b| b as char).collect();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        println!("HTTP header> {line}");
    }
    // Ignore the body, close the socket
    writer.close();
    let _ = writer.wait_closed().await;
    Ok(())
}
