//! asyncio's "get HTTP headers" example on async-std: `http_headers_async_std URL [--cafile PEM]`.
//!
//! The program is `examples/http_headers.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_async_std as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/http_headers.rs"]
mod program;

fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(async_std::task::block_on(program::main(args)))
}
