//! asyncio's TCP echo server on tokio: `echo_server [--host 127.0.0.1] [--port 8888] [--mode bytes|lines]`.
//!
//! The program is `examples/echo_server.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/echo_server.rs"]
mod program;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(program::main(args).await)
}
