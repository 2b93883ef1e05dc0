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
}

#[path = "../suite/mod.rs"]
mod suite;
