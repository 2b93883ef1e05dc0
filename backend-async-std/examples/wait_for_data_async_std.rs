//! asyncio's "register an open socket to wait for data" example on async-std: `wait_for_data_async_std`.
//!
//! The program is `examples/wait_for_data.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_async_std as weir;

#[path = "../../examples/cli.rs"]
mod cli;
#[path = "../../examples/wait_for_data.rs"]
mod program;

fn main() -> std::process::ExitCode {
    let args = program::args();
    cli::exit(async_std::task::block_on(program::main(args)))
}
