//! asyncio's TCP echo server on async-std: `echo_server_async_std [--host 127.0.0.1] [--port 8888] [--mode bytes|lines]`.
//!
//! The program is `examples/echo_server.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_async_std as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/echo_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(async_std::task::block_on(program::main(args)))
}
