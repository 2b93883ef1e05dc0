//! The client half of the STARTTLS demo: reads the greeting, sends
//! `STARTTLS`, upgrades the live connection with `start_tls`, then talks
//! over TLS on the same reader and writer.
//!
//! ```text
//! cargo run -p weir-tokio --example starttls_client -- --port 8025 --cafile /tmp/weir-ca.pem --message hello
//! ```

use weir_tokio::ClientTls;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("starttls_client: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (mut host, mut port, mut cafile) = ("127.0.0.1".to_string(), 8025u16, None);
    let mut message = "Hello World!".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--host" => host = value()?,
            "--port" => port = value()?.parse()?,
            "--cafile" => cafile = Some(value()?),
            "--message" => message = value()?,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let tls = match cafile {
        Some(path) => ClientTls::from_ca_file(path)?,
        None => ClientTls::webpki_roots(),
    };
    let (reader, writer) = weir_tokio::open_connection(&host, port).await?;
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
