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
//! Without a URL it prints its usage (it fetches no default site).
//!
//! Each backend's `http_headers*` example names its crate `weir`, includes
//! `cli.rs` as `cli`, and runs [`main`] on its runtime.

use super::cli::{connect_error, reason};
use super::weir::ClientTls;

/// asyncio's "get HTTP headers" example: sends `HEAD` for the URL and prints
/// each header line of the answer as `HTTP header> ...`.
#[derive(Debug, clap::Parser)]
#[command(arg_required_else_help = true)]
pub struct Args {
    /// The URL to ask, `http://HOST[:PORT]/PATH` or `https://...`.
    url: String,
    /// Trust the CA certificate(s) in this PEM file for `https://` instead of
    /// Mozilla's roots.
    #[arg(long, value_name = "PEM")]
    cafile: Option<std::path::PathBuf>,
}

/// The command line, or the process ends (usage on `--help` or with no URL,
/// exit code 2 on a bad flag).
pub fn args() -> Args {
    clap::Parser::parse()
}

/// Fetches the URL's headers; an error says what could not be done.
pub async fn main(args: Args) -> Result<(), String> {
    let Args { url, cafile } = args;
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!(
            "{url}: the URL must start with http:// or https://"
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            let port = p
                .parse()
                .map_err(|_| format!("{url}: {p:?} is not a port number"))?;
            (h, port)
        }
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');

    let mut options = super::weir::ConnectOptions::new();
    if tls {
        options = options.tls(match &cafile {
            Some(path) => ClientTls::from_ca_file(path).map_err(|e| reason(&e))?,
            None => ClientTls::webpki_roots(),
        });
    }
    let fail = |what: &str, e: super::weir::Error| format!("{url}: {what}: {}", reason(&e));
    let (reader, writer) = options
        .connect(host, port)
        .await
        .map_err(|e| format!("{url}: {}", connect_error(host, port, &e)))?;
    let query = format!("HEAD {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    writer
        .write(query.as_bytes())
        .map_err(|e| fail("cannot send the request", e))?;
    loop {
        let line = reader
            .read_line()
            .await
            .map_err(|e| fail("cannot read the answer", e))?;
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
