//! asyncio's TCP echo server on smol: `echo_server_smol [--host 127.0.0.1] [--port 8888] [--mode bytes|lines]`.
//!
//! The program is `examples/echo_server.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_smol as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/echo_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(smol::block_on(program::main(args)))
}
