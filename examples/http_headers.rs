//! asyncio's "get HTTP headers" example, written once for every backend:
//! `URL` gets a HEAD request, and each header line of the answer is printed
//! as `HTTP header> ...` (http only).
//!
//! Each backend's `http_headers*` example names its crate `weir` and runs
//! [`main`] on its runtime.

/// Fetches the URL given as the first argument.
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://example.com/".into());
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs for now (https arrives with TLS)")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse()?),
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');

    let (reader, writer) = super::weir::open_connection(host, port).await?;
    let query = format!("HEAD {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    writer.write(query.as_bytes())?;
    loop {
        let line = reader.read_line().await?;
        if line.is_empty() {
            break;
        }
        // latin-1, as the asyncio example decodes it
        let line: String = line.iter().map(|&b| b as char).collect();
        let line = line.trim_end();
        if !line.is_empty() {
            println!("HTTP header> {line}");
        }
    }
    // Ignore the body, close the socket
    writer.close();
    Ok(())
}
