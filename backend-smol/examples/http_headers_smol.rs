//! asyncio's "get HTTP headers" example on smol: `http_headers_smol URL`.
//!
//! The program is `examples/http_headers.rs` at the repository root, the same on
//! every backend; this file only picks the runtime.

use weir_smol as weir;

#[path = "../../examples/http_headers.rs"]
mod program;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    smol::block_on(program::main())
}
