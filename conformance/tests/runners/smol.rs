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
}

#[path = "../suite/mod.rs"]
mod suite;
