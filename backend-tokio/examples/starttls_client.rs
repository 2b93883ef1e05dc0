//! The client half of the STARTTLS demo: reads the greeting, sends
//! `STARTTLS`, upgrades the live connection with `start_tls`, then talks
//! over TLS on the same reader and writer.
//!
//! ```text
//! cargo run -p weir-tokio --example starttls_client -- --port 8025 --cafile /tmp/weir-ca.pem --message hello
//! ```

use weir_tokio::ClientTls;

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;

/// The client half of the STARTTLS demo: plain greeting, `STARTTLS`, then
/// the message over TLS on the same connection.
#[derive(Debug, clap::Parser)]
struct Args {
    /// The server's host (also the name its certificate must carry).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 8025)]
    port: u16,
    /// Trust the CA certificate(s) in this PEM file instead of Mozilla's roots.
    #[arg(long, value_name = "PEM")]
    cafile: Option<std::path::PathBuf>,
    /// What to send once the connection is secure.
    #[arg(long, default_value = "Hello World!")]
    message: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Args = clap::Parser::parse();
    let (host, port) = (args.host.clone(), args.port);
    cli::exit(run(args).await.map_err(|e| {
        let why = cli::reason(&*e);
        if why.starts_with("cannot connect to ") {
            why
        } else {
            format!("{host}:{port}: {why}")
        }
    }))
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let Args {
        host,
        port,
        cafile,
        message,
    } = args;
    let tls = match cafile {
        Some(path) => ClientTls::from_ca_file(path)?,
        None => ClientTls::webpki_roots(),
    };
    let (reader, writer) = weir_tokio::open_connection(&host, port)
        .await
        .map_err(|e| cli::connect_error(&host, port, &e))?;
    let text = |b: bytes::Bytes| String::from_utf8_lossy(&b).trim_end().to_string();
    println!("S: {}", text(reader.read_line().await?));
    writer.write(b"STARTTLS\r\n")?;
    println!("C: STARTTLS");
    println!("S: {}", text(reader.read_line().await?));
    writer.start_tls(&tls, &host).await?;
    let info = writer.extra_info().tls.unwrap_or_default();
    println!(
        "-- TLS {:?}, {:?}",
        info.protocol_version, info.cipher_suite
    );
    writer.write(format!("{message}\r\nQUIT\r\n"))?;
    println!("C: {message}");
    println!("S: {}", text(reader.read_line().await?));
    println!("S: {}", text(reader.read_line().await?));
    writer.close();
    writer.wait_closed().await?;
    Ok(())
}
