//! asyncio's TCP echo client: `echo_client [--host 127.0.0.1] [--port 8888] [--message 'Hello World!']`.

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = arg("--host").unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = arg("--port").unwrap_or_else(|| "8888".into()).parse()?;
    let message = arg("--message").unwrap_or_else(|| "Hello World!".into());

    let (reader, writer) = weir_tokio::open_connection(&host, port).await?;
    println!("Send: {message:?}");
    writer.write(message.as_bytes())?;

    let data = reader.read(100).await?;
    println!("Received: {:?}", String::from_utf8_lossy(&data));

    println!("Close the connection");
    writer.close();
    writer.wait_closed().await?;
    Ok(())
}
