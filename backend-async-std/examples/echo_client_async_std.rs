//! asyncio's TCP echo client on async-std: `echo_client_async_std [--host 127.0.0.1] [--port 8888] [--message 'Hello World!']`.
//!
//! The program is `examples/echo_client.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_async_std as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/echo_client.rs"]
mod program;

fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(async_std::task::block_on(program::main(args)))
}
