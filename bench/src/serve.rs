//! The accept loop every peer server shares, once per runtime: parse the
//! flags, listen, print `Serving on ADDR`, and run the peer's per-connection
//! function as a task for each client. What a peer measures is that
//! function; this part is the same for all of them.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::ListenArgs;

/// What a peer does when one connection's function fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// End the connection quietly (a reset, an over-long line), as weir's
    /// example does.
    Quiet,
    /// Also print `NAME: connection error: ...` on stderr.
    Log,
}

/// How long a peer waits after a failed accept (out of file descriptors and
/// the like) before it accepts again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

fn cannot_listen(name: &str, args: &ListenArgs, e: io::Error) -> ExitCode {
    eprintln!("{name}: cannot listen on {}:{}: {e}", args.host, args.port);
    ExitCode::FAILURE
}

fn announce(name: &str, addr: io::Result<SocketAddr>) -> Result<(), ExitCode> {
    match addr {
        Ok(addr) => {
            println!("Serving on {addr}");
            Ok(())
        }
        Err(e) => {
            eprintln!("{name}: listening socket has no address: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

fn connection_done(name: &str, on_error: OnError, result: io::Result<()>) {
    if let (OnError::Log, Err(e)) = (on_error, result) {
        eprintln!("{name}: connection error: {e}");
    }
}

fn accept_failed(name: &str, e: io::Error) {
    eprintln!("{name}: accept failed: {e}");
}

/// The tokio peers' accept loop: one `tokio::spawn`ed task per connection.
pub async fn tokio<F, Fut>(name: &'static str, on_error: OnError, conn: F) -> ExitCode
where
    F: Fn(tokio::net::TcpStream) -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let args = ListenArgs::parse();
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => return cannot_listen(name, &args, e),
    };
    if let Err(code) = announce(name, listener.local_addr()) {
        return code;
    }
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                let fut = conn(socket);
                tokio::spawn(async move { connection_done(name, on_error, fut.await) });
            }
            Err(e) => {
                accept_failed(name, e);
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// The smol peers' accept loop: one `smol::spawn`ed task per connection.
pub async fn smol<F, Fut>(name: &'static str, on_error: OnError, conn: F) -> ExitCode
where
    F: Fn(smol::net::TcpStream) -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let args = ListenArgs::parse();
    let listener = match smol::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => return cannot_listen(name, &args, e),
    };
    if let Err(code) = announce(name, listener.local_addr()) {
        return code;
    }
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let fut = conn(stream);
                smol::spawn(async move { connection_done(name, on_error, fut.await) }).detach();
            }
            Err(e) => {
                accept_failed(name, e);
                smol::Timer::after(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// The async-std peers' accept loop: one `task::spawn`ed task per connection.
pub async fn async_std<F, Fut>(name: &'static str, on_error: OnError, conn: F) -> ExitCode
where
    F: Fn(async_std::net::TcpStream) -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let args = ListenArgs::parse();
    let listener = match async_std::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => return cannot_listen(name, &args, e),
    };
    if let Err(code) = announce(name, listener.local_addr()) {
        return code;
    }
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let fut = conn(stream);
                async_std::task::spawn(async move { connection_done(name, on_error, fut.await) });
            }
            Err(e) => {
                accept_failed(name, e);
                async_std::task::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}
