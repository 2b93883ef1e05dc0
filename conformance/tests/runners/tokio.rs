//! The shared end-to-end suite, run on tokio.

mod backend {
    use std::future::Future;
    use std::time::Duration;

    pub use weir_tokio::*;

    /// The backend's name, for messages.
    pub const NAME: &str = "tokio";

    /// Runs `f` to completion on a fresh multi-threaded runtime.
    pub fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(f)
    }

    /// Spawns a detached task.
    pub fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        drop(tokio::spawn(f));
    }

    /// Sleeps.
    pub async fn sleep(d: Duration) {
        tokio::time::sleep(d).await
    }

    /// `f`, or `None` after `d`.
    pub async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
        tokio::time::timeout(d, f).await.ok()
    }

    /// One end of a stream: its reader and writer.
    pub type Pair = (StreamReader, StreamWriter);

    /// Two streams joined by an in-memory duplex (`tokio::io::duplex`),
    /// each end through `IoOptions::from_io`.
    pub fn io_pair(opts: &IoOptions) -> Result<(Pair, Pair), Error> {
        let (a, b) = tokio::io::duplex(64 * 1024);
        Ok((opts.from_io(a)?, opts.from_io(b)?))
    }

    /// Runs `program args`, its stdin through `writer_from` and its stdout
    /// through `reader_from` (asyncio's `create_subprocess_exec` with PIPE);
    /// the child is killed when the guard drops.
    pub fn spawn_piped(
        program: &str,
        args: &[&str],
    ) -> (Box<dyn std::any::Any + Send>, StreamWriter, StreamReader) {
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn child");
        let stdin = writer_from(child.stdin.take().unwrap()).unwrap();
        let stdout = reader_from(child.stdout.take().unwrap()).unwrap();
        (Box::new(child), stdin, stdout)
    }
}

#[path = "../suite/mod.rs"]
mod suite;
