//! The shared end-to-end suite, run on async-std.

mod backend {
    use std::future::Future;
    use std::time::Duration;

    pub use weir_async_std::*;

    /// The backend's name, for messages.
    pub const NAME: &str = "async-std";

    /// Runs `f` to completion on this thread; spawned tasks run on
    /// async-std's executor.
    pub fn block_on<F: Future>(f: F) -> F::Output {
        async_std::task::block_on(f)
    }

    /// Spawns a detached task.
    pub fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        drop(async_std::task::spawn(f));
    }

    /// Sleeps.
    pub async fn sleep(d: Duration) {
        async_std::task::sleep(d).await
    }

    /// `f`, or `None` after `d`.
    pub async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
        async_std::future::timeout(d, f).await.ok()
    }

    /// One end of a stream: its reader and writer.
    pub type Pair = (StreamReader, StreamWriter);

    /// Two streams joined by a Unix socketpair (async-std's), each end
    /// through `IoOptions::from_io`.
    pub fn io_pair(opts: &IoOptions) -> Result<(Pair, Pair), Error> {
        let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
        Ok((opts.from_io(a)?, opts.from_io(b)?))
    }

    /// Kills the child when dropped.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Runs `program args`, its stdin through `writer_from` and its stdout
    /// through `reader_from`, both registered with async-io (`Async`);
    /// the child is killed when the guard drops.
    pub fn spawn_piped(
        program: &str,
        args: &[&str],
    ) -> (Box<dyn std::any::Any + Send>, StreamWriter, StreamReader) {
        let mut child = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn child");
        let stdin = async_io::Async::new(child.stdin.take().unwrap()).unwrap();
        let stdout = async_io::Async::new(child.stdout.take().unwrap()).unwrap();
        let stdin = writer_from(stdin).unwrap();
        let stdout = reader_from(stdout).unwrap();
        (Box::new(Kill(child)), stdin, stdout)
    }
}

#[path = "../suite/mod.rs"]
mod suite;
