//! A synchronous line client over `std::net::TcpStream`, built on
//! `weir_proto::blocking`: sends each message as a line and prints each reply
//! line, with asyncio's read semantics and no async runtime.
//!
//! ```text
//! cargo run -p weir-tokio --example echo_server -- --mode lines &
//! cargo run -p weir-proto --example sync_line_client -- --port 8888 hello world
//! ```

use weir_proto::blocking::{self, BlockingReader, BlockingWriter};
use weir_proto::Error;

/// Sends every message as one line, then reads one reply line per message.
/// Returns the replies without their line endings.
pub fn exchange(
    reader: &mut BlockingReader<std::net::TcpStream>,
    writer: &mut BlockingWriter<std::net::TcpStream>,
    messages: &[String],
) -> Result<Vec<String>, Error> {
    for m in messages {
        writer.write(m.as_bytes())?;
        writer.write(b"\n")?;
    }
    writer.drain()?;
    let mut replies = Vec::with_capacity(messages.len());
    for _ in messages {
        let line = reader.read_line()?;
        if line.is_empty() {
            return Err(Error::connection(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection before answering every line",
            )));
        }
        replies.push(String::from_utf8_lossy(&line).trim_end().to_string());
    }
    Ok(replies)
}

/// A synchronous line client: sends each message as a line and prints each
/// reply line.
#[derive(Debug, clap::Parser)]
#[allow(dead_code)] // the test includes this file for `exchange` alone
struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 8888)]
    port: u16,
    /// The lines to send (default: "Hello World!").
    messages: Vec<String>,
}

#[allow(dead_code)] // the test includes this file for `exchange` alone
fn main() -> std::process::ExitCode {
    let Args {
        host,
        port,
        mut messages,
    } = clap::Parser::parse();
    if messages.is_empty() {
        messages.push("Hello World!".to_string());
    }
    let result = blocking::open_connection((host.as_str(), port)).and_then(|(mut r, mut w)| {
        let replies = exchange(&mut r, &mut w, &messages)?;
        w.close()?;
        Ok(replies)
    });
    match result {
        Ok(replies) => {
            replies.iter().for_each(|r| println!("{r}"));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sync_line_client: {host}:{port}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
