//! What the examples share as command-line tools: the program's name, how
//! an error is said (one sentence on stderr, never `Debug`), and the exit
//! code. Flags themselves are parsed by each example with `clap`, which
//! prints `--help` and exits 0, and rejects a bad flag with exit code 2.
//!
//! Included with `#[path]` by every example that needs it.

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::process::ExitCode;

/// The name the program was started by (`echo_server`, `echo_server_smol`,
/// ...), for the start of its error messages.
pub fn name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "example".into())
}

/// Ends the program: exit code 0 on success; otherwise `NAME: ERROR` on
/// stderr, one line, and exit code 1.
pub fn exit(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", name());
            ExitCode::FAILURE
        }
    }
}

/// An error as the rest of a sentence: its message and each cause in its
/// `source()` chain, joined by `: ` (weir's errors never repeat a cause),
/// as `address already in use` rather than `Address already in use (os
/// error 98)`. A weir connection error reads as what the system said.
pub fn reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = match e.downcast_ref::<super::weir::Error>() {
        Some(super::weir::Error::Connection(io)) => io.to_string(),
        _ => e.to_string(),
    };
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    sentence(&text)
}

/// Why listening on `host:port` failed, as `cannot listen on ADDR: WHY`
/// (`cannot listen on 127.0.0.1:8888: address already in use`).
pub fn listen_error(host: &str, port: u16, e: &(dyn std::error::Error + 'static)) -> String {
    let why = reason(e);
    // weir says `bind ADDR: WHY`; with one address, say it once.
    match why.strip_prefix("bind ").and_then(|r| r.split_once(": ")) {
        Some((addr, rest)) if !rest.contains("bind ") => {
            format!("cannot listen on {addr}: {rest}")
        }
        _ => format!("cannot listen on {host}:{port}: {why}"),
    }
}

/// Why connecting to `host:port` failed, as `cannot connect to ADDR: WHY`
/// (`cannot connect to 127.0.0.1:1: connection refused`).
pub fn connect_error(host: &str, port: u16, e: &(dyn std::error::Error + 'static)) -> String {
    let why = reason(e);
    // weir says `connect to ADDR failed: WHY` for each address it tried;
    // with one address, say it once.
    match why
        .strip_prefix("connect to ")
        .and_then(|r| r.split_once(" failed: "))
    {
        Some((addr, rest)) if !rest.contains("connect to ") => {
            format!("cannot connect to {addr}: {rest}")
        }
        _ => format!("cannot connect to {host}:{port}: {why}"),
    }
}

/// `text` without ` (os error N)`, and with the first word and each word
/// after `: ` in lower case, unless it is an acronym (`TLS`, `HTTP`).
fn sentence(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" (os error ") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match rest.find(')') {
            Some(j) => rest = &rest[j + 1..],
            None => break,
        }
    }
    out.push_str(rest);
    out.split(": ")
        .map(|part| {
            let mut chars = part.chars();
            match (chars.next(), chars.next()) {
                (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
                    a.to_lowercase().chain(part.chars().skip(1)).collect()
                }
                _ => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(": ")
}
