//! A user program on weir-async-std's re-exports only, with anyhow for errors:
//! `from_io` over an in-memory duplex, `reader_from` / `writer_from` over a
//! child's pipes, `into_lines` returned from a function, and a refused
//! connect whose report names each cause once.

use anyhow::Context as _;
use futures_lite::{Stream, StreamExt};
use weir_async_std::{Bytes, Error, IoOptions, StreamReader};

/// The lines a reader will give, as a stream the caller owns.
fn lines_of(reader: StreamReader) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
    reader.into_lines()
}

async fn program() -> anyhow::Result<()> {
    // A socketpair, one end with options.
    let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
    let (_ar, aw) = weir_async_std::from_io(a)?;
    let (br, _bw) = IoOptions::new()
        .limit(1 << 16)
        .write_buffer_limits(Some(1 << 20), None)
        .from_io(b)?;
    aw.write(b"over a socketpair\n")?;
    anyhow::ensure!(br.read_line().await? == "over a socketpair\n");

    // A child's pipes, as asyncio's create_subprocess_exec with PIPE.
    let mut child = std::process::Command::new("cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running cat")?;
    let stdin = async_io::Async::new(child.stdin.take().context("no stdin")?)?;
    let stdout = async_io::Async::new(child.stdout.take().context("no stdout")?)?;
    let stdin = weir_async_std::writer_from(stdin)?;
    let stdout = weir_async_std::reader_from(stdout)?;
    stdin.write_lines([&b"one\n"[..], b"two\n", b"three"])?;
    stdin.write_eof()?;
    let lines: Vec<Bytes> = lines_of(stdout).try_collect().await?;
    anyhow::ensure!(lines == [&b"one\n"[..], b"two\n", b"three"], "{lines:?}");
    anyhow::ensure!(child.wait()?.success());

    // A refused connect, reported by anyhow: each cause once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let err = weir_async_std::open_connection("127.0.0.1", port)
        .await
        .context("connecting to the closed port")
        .unwrap_err();
    let report = format!("{err:#}");
    anyhow::ensure!(
        report.matches(&format!("127.0.0.1:{port}")).count() == 1,
        "{report}"
    );
    let pretty = format!("{err:?}");
    anyhow::ensure!(pretty.matches("refused").count() == 1, "{pretty}");
    Ok(())
}

#[test]
fn user_program_runs() {
    async_std::task::block_on(program()).unwrap();
}
