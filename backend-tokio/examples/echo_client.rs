//! asyncio's TCP echo client on tokio: `echo_client [--host 127.0.0.1] [--port 8888] [--message 'Hello World!']`.
//!
//! The program is `examples/echo_client.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/echo_client.rs"]
mod program;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(program::main(args).await)
}
