//! The shared end-to-end suite, run on smol.

mod backend {
    use std::future::Future;
    use std::time::Duration;

    pub use weir_smol::*;

    /// The backend's name, for messages.
    pub const NAME: &str = "smol";

    /// Runs `f` to completion on this thread; spawned tasks run on smol's
    /// global executor.
    pub fn block_on<F: Future>(f: F) -> F::Output {
        smol::block_on(f)
    }

    /// Spawns a detached task.
    pub fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        smol::spawn(f).detach();
    }

    /// Sleeps.
    pub async fn sleep(d: Duration) {
        smol::Timer::after(d).await;
    }

    /// `f`, or `None` after `d`.
    pub async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
        futures_lite::future::or(async { Some(f.await) }, async {
            smol::Timer::after(d).await;
            None
        })
        .await
    }

    /// One end of a stream: its reader and writer.
    pub type Pair = (StreamReader, StreamWriter);

    /// Two streams joined by a Unix socketpair, each end through
    /// `IoOptions::from_io`.
    pub fn io_pair(opts: &IoOptions) -> Result<(Pair, Pair), Error> {
        let (a, b) = smol::Async::<std::os::unix::net::UnixStream>::pair()?;
        Ok((opts.from_io(a)?, opts.from_io(b)?))
    }

    /// Runs `program args`, its stdin through `writer_from` and its stdout
    /// through `reader_from` (asyncio's `create_subprocess_exec` with PIPE);
    /// the child is killed when the guard drops.
    pub fn spawn_piped(
        program: &str,
        args: &[&str],
    ) -> (Box<dyn std::any::Any + Send>, StreamWriter, StreamReader) {
        let mut child = smol::process::Command::new(program)
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
