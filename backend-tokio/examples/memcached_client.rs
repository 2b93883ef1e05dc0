//! A memcached client on weir: `memcached_client [--host 127.0.0.1]
//! [--port 11211] [--limit BYTES] set KEY VALUE | get KEY... | gets KEY... |
//! delete KEY | incr KEY N`.
//!
//! `get` prints each value found on its own line (nothing for a miss),
//! `gets` each value, a space and its CAS unique; the others print the
//! server's word (`STORED`, `DELETED`, `NOT_FOUND`) or the new number. A
//! server error line goes to stderr with exit code 1. The protocol code is
//! in `support/memcached.rs`.

#[path = "support/memcached.rs"]
mod memcached;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = memcached::run_cli(&args, &mut std::io::stdout(), &mut std::io::stderr()).await;
    std::process::exit(code);
}
