//! A child process's pipes as asyncio streams, as asyncio's
//! `create_subprocess_exec(..., stdin=PIPE, stdout=PIPE)`:
//! `subprocess [--count 3] [--message 'line'] [-- PROGRAM [ARG...]]`.
//!
//! Runs PROGRAM (default `cat`), writes `--count` lines to its stdin through
//! [`weir_tokio::writer_from`], reads its stdout line by line through
//! [`weir_tokio::reader_from`] and `read_line`, then `write_eof` closes the
//! child's stdin, the rest of its output is read to EOF, and the exit status
//! is reported. For example:
//!
//! ```text
//! subprocess --count 2 -- python3 -c 'import sys; [print(l.strip().upper(), flush=True) for l in sys.stdin]'
//! ```
//!
//! The asyncio program this mirrors:
//!
//! ```python
//! proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
//! for i in range(3):
//!     proc.stdin.write(f"line {i}\n".encode())
//! await proc.stdin.drain()
//! for i in range(3):
//!     print("Received:", await proc.stdout.readline())
//! proc.stdin.write_eof()   # asyncio: proc.stdin.close()
//! rest = await proc.stdout.read()
//! await proc.wait()
//! ```

use std::process::{ExitCode, Stdio};

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;

/// Talks to a child process over its stdin and stdout.
#[derive(Debug, clap::Parser)]
struct Args {
    /// How many lines to send.
    #[arg(long, default_value_t = 3)]
    count: usize,
    /// What each line says (followed by its number).
    #[arg(long, default_value = "line")]
    message: String,
    /// The program and its arguments (default: `cat`).
    #[arg(last = true)]
    command: Vec<String>,
}

async fn run(args: Args) -> Result<(), String> {
    let (program, rest) = match args.command.split_first() {
        Some((p, rest)) => (p.clone(), rest.to_vec()),
        None => ("cat".to_string(), Vec::new()),
    };
    let mut child = tokio::process::Command::new(&program)
        .args(&rest)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {}", cli::reason(&e)))?;
    let fail = |what: &str, e: weir::Error| format!("{what} {program}: {}", cli::reason(&e));
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let writer = weir::writer_from(stdin).map_err(|e| fail("cannot write to", e))?;
    let reader = weir::reader_from(stdout).map_err(|e| fail("cannot read from", e))?;

    for i in 0..args.count {
        let line = format!("{} {i}\n", args.message);
        print!("Send: {line}");
        writer
            .write(line.as_bytes())
            .map_err(|e| fail("cannot write to", e))?;
    }
    writer
        .drain()
        .await
        .map_err(|e| fail("cannot write to", e))?;
    for _ in 0..args.count {
        let line = reader
            .read_line()
            .await
            .map_err(|e| fail("cannot read from", e))?;
        if line.is_empty() {
            break;
        }
        println!("Received: {:?}", String::from_utf8_lossy(&line));
    }
    // Closing the child's stdin is its EOF.
    writer
        .write_eof()
        .map_err(|e| fail("cannot close stdin of", e))?;
    let rest = reader
        .read_to_end()
        .await
        .map_err(|e| fail("cannot read from", e))?;
    if !rest.is_empty() {
        println!("Received after EOF: {:?}", String::from_utf8_lossy(&rest));
    }
    writer.close();
    writer
        .wait_closed()
        .await
        .map_err(|e| fail("cannot close stdin of", e))?;
    let status = child
        .wait()
        .await
        .map_err(|e| format!("cannot wait for {program}: {}", cli::reason(&e)))?;
    println!("{program} exited with {status}");
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} failed: {status}"))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit(run(clap::Parser::parse()).await)
}
