//! asyncio's "get HTTP headers" example on smol: `http_headers_smol URL [--cafile PEM]`.
//!
//! The program is `examples/http_headers.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_smol as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/http_headers.rs"]
mod program;

fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(smol::block_on(program::main(args)))
}
