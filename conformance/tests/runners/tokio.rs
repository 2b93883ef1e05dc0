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
}

#[path = "../suite/mod.rs"]
mod suite;
