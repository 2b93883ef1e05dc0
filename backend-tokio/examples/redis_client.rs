//! A Redis client on weir: `redis_client [--host 127.0.0.1] [--port 6379]
//! [--limit BYTES] COMMAND [ARG...]`, or several commands pipelined with
//! `--pipeline 'SET a 1;INCR a;GET a'` (written in one go, then every reply
//! read).
//!
//! Replies print as `redis-cli -e` prints them when stdout is not a
//! terminal: `OK`, the value, the integer, an empty line for nil, one line
//! per array element; an error reply goes to stderr as `(error) ` and its
//! text, and the exit code is 1. `tests/redis.rs` checks this byte for byte
//! against `redis-cli -e` (7.0), whose only difference is that it writes the
//! `(error) ` prefix on a terminal alone (and without `-e` prints error
//! replies on stdout and exits 0).
//! The RESP2 code is in `support/resp.rs`.

#[path = "support/resp.rs"]
mod resp;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = resp::run_cli(&args, &mut std::io::stdout(), &mut std::io::stderr()).await;
    std::process::exit(code);
}
