//! asyncio's "get HTTP headers" example on tokio: `http_headers URL [--cafile PEM]`.
//!
//! The program is `examples/http_headers.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/http_headers.rs"]
mod program;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(program::main(args).await)
}
