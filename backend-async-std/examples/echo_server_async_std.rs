//! asyncio's TCP echo server on async-std: `echo_server_async_std [--host 127.0.0.1] [--port 8888] [--mode bytes|lines]`.
//!
//! The program is `examples/echo_server.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_async_std as weir;

#[path = "../../examples/echo_server.rs"]
mod program;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    async_std::task::block_on(program::main())
}
