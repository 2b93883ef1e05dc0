//! asyncio's "register an open socket to wait for data" example on tokio: `wait_for_data`.
//!
//! The program is `examples/wait_for_data.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/wait_for_data.rs"]
mod program;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(program::main(args).await)
}
