//! `Server`: asyncio's `Server`, over any [`Listener`], written once.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::contain::{log_panic, Contained};
use super::shared::{lock, register, wake_all, Shared};
use super::{StreamReader, StreamWriter};
use crate::rt::{BoxFuture, DynRuntime, ExtraInfo, Listener, Runtime, Transport};
use crate::{Error, DEFAULT_LIMIT};

/// How long the accept loop pauses after an accept error (for example, out
/// of file descriptors) before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Connections one poll of the accept loop takes before yielding.
const ACCEPT_BUDGET: usize = 64;

/// A connection handler, type-erased: what [`Server`] runs for each client.
///
/// Build one from an `async` closure with [`Server::handler`].
pub type Handler = Arc<dyn Fn(StreamReader, StreamWriter) -> BoxFuture + Send + Sync>;

/// What a [`Server`] needs besides its listeners and handler.
///
/// # Examples
///
/// ```
/// let mut cfg = weir_stream::ServerConfig::default();
/// cfg.limit = 1024;
/// assert!(cfg.start_serving);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The limit of each connection's reader (asyncio's `limit`).
    pub limit: usize,
    /// Accept connections at once (asyncio's `start_serving`, default true).
    pub start_serving: bool,
    /// Serve TLS (asyncio's `ssl=`): each connection's handshake runs before
    /// its handler; a failed one is logged and closes that connection only.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::ServerTls>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            limit: DEFAULT_LIMIT,
            start_serving: true,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

struct State {
    serving: bool,
    closed: bool,
    accepting: bool,
    accept_waker: Option<Waker>,
    conns: HashMap<u64, Weak<Shared>>,
    /// Connections still in their TLS handshake (see `handshaking.rs`).
    #[cfg(feature = "tls")]
    handshaking: HashMap<u64, Arc<crate::handshaking::Pending>>,
    next_id: u64,
    waiters: Vec<Waker>,
}

struct Inner {
    rt: Arc<dyn DynRuntime>,
    handler: Handler,
    limit: usize,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::ServerTls>,
    infos: Vec<ExtraInfo>,
    listeners: Mutex<Vec<Box<dyn Listener>>>,
    state: Mutex<State>,
}

/// A listening server: asyncio's `Server`.
///
/// Each accepted connection runs the handler as its own task with a
/// [`StreamReader`] and a [`StreamWriter`]; a panicking handler is logged
/// (`tracing::error!`) and its connection closed, never fatal. An accept
/// error is logged and retried after a short pause; it never stops the
/// server. Dropping the `Server` closes it (asyncio's `async with server`).
///
/// Call order: [`start_serving`](Self::start_serving) or
/// [`serve_forever`](Self::serve_forever) (unless created serving), then
/// [`close`](Self::close), optionally [`close_clients`](Self::close_clients)
/// or [`abort_clients`](Self::abort_clients), then
/// [`wait_closed`](Self::wait_closed).
///
/// # Examples
///
/// ```no_run
/// # async fn demo(server: weir_stream::Server) {
/// server.close();
/// server.close_clients();
/// server.wait_closed().await;
/// # }
/// ```
pub struct Server {
    inner: Arc<Inner>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.inner.state);
        f.debug_struct("Server")
            .field("local", &self.inner.infos)
            .field("serving", &(st.serving && !st.closed))
            .field("closed", &st.closed)
            .field("connections", &st.count())
            .finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

impl Server {
    /// Wraps an `async` connection handler as a [`Handler`].
    ///
    /// # Examples
    ///
    /// ```
    /// let h = weir_stream::Server::handler(|_reader, writer| async move {
    ///     let _ = writer.write(b"hello\n");
    /// });
    /// # let _ = h;
    /// ```
    pub fn handler<H, F>(h: H) -> Handler
    where
        H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        Arc::new(move |r, w| Box::pin(h(r, w)) as BoxFuture)
    }

    /// A server over bound `listeners`, serving at once unless
    /// `config.start_serving` is false. Must be called within `rt`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `config.limit` is 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<R: weir_stream::rt::Runtime>(rt: &R, l: Box<dyn weir_stream::rt::Listener>) -> Result<(), weir_stream::Error> {
    /// use weir_stream::{Server, ServerConfig};
    /// let h = Server::handler(|_r, w| async move { w.close(); });
    /// let server = Server::new(rt, vec![l], h, ServerConfig::default())?;
    /// # Ok(()) }
    /// ```
    pub fn new<R: Runtime>(
        rt: &R,
        listeners: Vec<Box<dyn Listener>>,
        handler: Handler,
        config: ServerConfig,
    ) -> Result<Server, Error> {
        if config.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        let infos = listeners.iter().map(|l| l.local_info()).collect();
        let server = Server {
            inner: Arc::new(Inner {
                rt: Arc::new(rt.clone()),
                handler,
                limit: config.limit,
                #[cfg(feature = "tls")]
                tls: config.tls,
                infos,
                listeners: Mutex::new(listeners),
                state: Mutex::new(State {
                    serving: false,
                    closed: false,
                    accepting: false,
                    accept_waker: None,
                    conns: HashMap::new(),
                    #[cfg(feature = "tls")]
                    handshaking: HashMap::new(),
                    next_id: 0,
                    waiters: Vec::new(),
                }),
            }),
        };
        if config.start_serving {
            server.start_serving();
        }
        Ok(server)
    }

    /// Where the server listens: one entry per listening socket (asyncio's
    /// `server.sockets`, as addresses); empty once the server is closed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// let port = s.local_info()[0].local_addr.unwrap().port();
    /// # }
    /// ```
    pub fn local_info(&self) -> &[ExtraInfo] {
        if lock(&self.inner.state).closed {
            return &[];
        }
        &self.inner.infos
    }

    /// The socket addresses the server listens on (none for a Unix server);
    /// empty once the server is closed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// println!("Serving on {}", s.local_addrs()[0]);
    /// # }
    /// ```
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.local_info()
            .iter()
            .filter_map(|i| i.local_addr)
            .collect()
    }

    /// Starts accepting connections (asyncio's `start_serving`); does
    /// nothing if serving or closed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// s.start_serving();
    /// assert!(s.is_serving());
    /// # }
    /// ```
    pub fn start_serving(&self) {
        let spawn = {
            let mut st = lock(&self.inner.state);
            if st.closed {
                return;
            }
            st.serving = true;
            !std::mem::replace(&mut st.accepting, true)
        };
        if spawn {
            let inner = self.inner.clone();
            let mut backoff: Option<BoxFuture> = None;
            self.inner
                .rt
                .spawn_dyn(Box::pin(std::future::poll_fn(move |cx| {
                    inner.poll_accept(cx, &mut backoff)
                })));
        }
    }

    /// True while accepting connections (asyncio's `is_serving`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// s.close();
    /// assert!(!s.is_serving());
    /// # }
    /// ```
    pub fn is_serving(&self) -> bool {
        let st = lock(&self.inner.state);
        st.serving && !st.closed
    }

    /// Serves until the server is closed (asyncio's `serve_forever`).
    /// Dropping the future before then closes the server, as cancelling
    /// asyncio's `serve_forever` does.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the server is already closed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(s: weir_stream::Server) -> Result<(), weir_stream::Error> {
    /// s.serve_forever().await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve_forever(&self) -> Result<(), Error> {
        if lock(&self.inner.state).closed {
            return Err(Error::InvalidArgument(
                "serve_forever: the server is closed",
            ));
        }
        self.start_serving();
        /// Closes the server if `serve_forever` is cancelled.
        struct CloseOnDrop<'a>(&'a Server);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let guard = CloseOnDrop(self);
        std::future::poll_fn(|cx| {
            let mut st = lock(&guard.0.inner.state);
            if st.closed {
                return Poll::Ready(Ok(()));
            }
            register(&mut st.waiters, cx);
            Poll::Pending
        })
        .await
    }

    /// Stops listening and closes the listening sockets (asyncio's
    /// `close`); connections already accepted stay open.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// s.close();
    /// # }
    /// ```
    pub fn close(&self) {
        let wakers = {
            let mut st = lock(&self.inner.state);
            if st.closed {
                return;
            }
            st.closed = true;
            st.serving = false;
            let mut w = std::mem::take(&mut st.waiters);
            w.extend(st.accept_waker.take());
            w
        };
        let listeners = std::mem::take(&mut *lock(&self.inner.listeners));
        drop(listeners);
        wake_all(wakers);
    }

    /// Closes every connection gracefully, after its queued bytes
    /// (asyncio 3.13's `close_clients`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// s.close();
    /// s.close_clients();
    /// # }
    /// ```
    pub fn close_clients(&self) {
        #[cfg(feature = "tls")]
        self.inner.stop_handshakes(crate::handshaking::Stop::Close);
        for c in self.inner.live() {
            c.close();
        }
    }

    /// Resets every connection at once, dropping queued bytes (asyncio
    /// 3.13's `abort_clients`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// s.abort_clients();
    /// # }
    /// ```
    pub fn abort_clients(&self) {
        #[cfg(feature = "tls")]
        self.inner.stop_handshakes(crate::handshaking::Stop::Abort);
        for c in self.inner.live() {
            c.abort();
        }
    }

    /// Open connections, counting those still in their TLS handshake.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(s: &weir_stream::Server) {
    /// println!("{} clients", s.connection_count());
    /// # }
    /// ```
    pub fn connection_count(&self) -> usize {
        lock(&self.inner.state).count()
    }

    /// Waits until the server is closed and every connection has closed
    /// (asyncio 3.12's `wait_closed`). Idle clients keep it waiting: use
    /// [`close_clients`](Self::close_clients) or a timeout.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(s: weir_stream::Server) {
    /// s.close();
    /// s.wait_closed().await;
    /// # }
    /// ```
    pub async fn wait_closed(&self) {
        std::future::poll_fn(|cx| self.inner.poll_closed(cx)).await
    }

    /// [`wait_closed`](Self::wait_closed) bounded by `timeout`.
    ///
    /// # Errors
    ///
    /// A `TimedOut` connection error if connections are still open after
    /// `timeout`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(s: weir_stream::Server) {
    /// s.close();
    /// if s.wait_closed_timeout(std::time::Duration::from_secs(5)).await.is_err() {
    ///     s.abort_clients();
    /// }
    /// # }
    /// ```
    pub async fn wait_closed_timeout(&self, timeout: Duration) -> Result<(), Error> {
        let mut timer = self.inner.rt.sleep_dyn(timeout);
        std::future::poll_fn(|cx| {
            if self.inner.poll_closed(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Error::connection(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "server wait_closed: {} connections still open after {timeout:?}",
                        self.connection_count()
                    ),
                ))));
            }
            Poll::Pending
        })
        .await
    }
}

impl State {
    /// Connections, handshaking ones included.
    fn count(&self) -> usize {
        #[cfg(feature = "tls")]
        return self.conns.len() + self.handshaking.len();
        #[cfg(not(feature = "tls"))]
        self.conns.len()
    }
}

impl Inner {
    /// Stops every connection still in its handshake.
    #[cfg(feature = "tls")]
    fn stop_handshakes(&self, how: crate::handshaking::Stop) {
        let pending: Vec<_> = lock(&self.state).handshaking.values().cloned().collect();
        for p in pending {
            p.stop(how);
        }
    }

    fn live(&self) -> Vec<Arc<Shared>> {
        let st = lock(&self.state);
        st.conns.values().filter_map(Weak::upgrade).collect()
    }

    fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = lock(&self.state);
        if st.closed && st.count() == 0 {
            return Poll::Ready(());
        }
        register(&mut st.waiters, cx);
        Poll::Pending
    }

    fn poll_accept(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        backoff: &mut Option<BoxFuture>,
    ) -> Poll<()> {
        loop {
            {
                let mut st = lock(&self.state);
                if st.closed {
                    st.accepting = false;
                    return Poll::Ready(());
                }
                if !st
                    .accept_waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    st.accept_waker = Some(cx.waker().clone());
                }
                if !st.serving {
                    return Poll::Pending;
                }
            }
            if let Some(timer) = backoff {
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                *backoff = None;
            }
            let mut accepted = Vec::new();
            let mut failed = None;
            {
                let mut ls = lock(&self.listeners);
                'all: for l in ls.iter_mut() {
                    while accepted.len() < ACCEPT_BUDGET {
                        match l.poll_accept(cx) {
                            Poll::Ready(Ok(t)) => accepted.push(t),
                            Poll::Ready(Err(e)) => {
                                failed = Some((e, l.local_info()));
                                break 'all;
                            }
                            Poll::Pending => break,
                        }
                    }
                }
            }
            let full = accepted.len() >= ACCEPT_BUDGET;
            for t in accepted {
                self.spawn_connection(t);
            }
            if let Some((e, info)) = failed {
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::Interrupted
                ) {
                    // The client gave up before we accepted: nothing to wait for.
                    tracing::debug!("accept: {e}");
                    continue;
                }
                tracing::warn!(
                    "accept failed on {:?}: {e}; retrying in {ACCEPT_BACKOFF:?}",
                    info.local_addr
                        .map(|a| a.to_string())
                        .or(info.local_path.map(|p| p.display().to_string()))
                );
                *backoff = Some(self.rt.sleep_dyn(ACCEPT_BACKOFF));
                continue;
            }
            if full {
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        }
    }

    fn spawn_connection(self: &Arc<Self>, t: Box<dyn Transport>) {
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.clone() {
            // The handshake runs as a task of its own, bounded by its timeout,
            // so a slow or hostile client never holds up the accept loop.
            // It belongs to the server from now on: counted, and stopped by
            // close_clients / abort_clients while it handshakes.
            let pending = crate::handshaking::Pending::new();
            let Some(id) = self.next_id() else {
                return;
            };
            lock(&self.state).handshaking.insert(id, pending.clone());
            let inner = self.clone();
            let peer = t.extra_info().peer_addr;
            let timer = self.rt.sleep_dyn(tls.timeouts().handshake);
            self.rt.spawn_dyn(Box::pin(async move {
                match crate::tls::accept_stoppable(t, &tls, timer, &pending).await {
                    Ok(t) => inner.run_connection(id, Box::new(t), Some(&pending)),
                    Err(e) => {
                        tracing::warn!("tls handshake with {peer:?} failed: {e}");
                        inner.remove(id);
                    }
                }
            }));
            return;
        }
        let Some(id) = self.next_id() else {
            return;
        };
        self.run_connection(id, t, None);
    }

    /// A new connection's id; `None` once the server is closed.
    fn next_id(&self) -> Option<u64> {
        let mut st = lock(&self.state);
        if st.closed {
            return None;
        }
        st.next_id += 1;
        Some(st.next_id)
    }

    fn run_connection(
        self: &Arc<Self>,
        id: u64,
        t: Box<dyn Transport>,
        #[cfg(feature = "tls")] pending: Option<&crate::handshaking::Pending>,
        #[cfg(not(feature = "tls"))] _pending: Option<&()>,
    ) {
        let weak = Arc::downgrade(self);
        let on_closed = Box::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.remove(id);
            }
        });
        let shared = match Shared::open(&self.rt, t, self.limit, Some(on_closed)) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot set up a connection: {e}");
                self.remove(id);
                return;
            }
        };
        {
            let mut st = lock(&self.state);
            #[cfg(feature = "tls")]
            st.handshaking.remove(&id);
            st.conns.insert(id, Arc::downgrade(&shared));
        }
        #[cfg(feature = "tls")]
        if let Some(p) = pending {
            p.promote(&shared);
        }
        let conn = shared.clone();
        let (r, w) = crate::shutdown::start(&self.rt, shared);
        let handler = self.handler.clone();
        let peer = w.extra_info();
        let fut = catch_unwind(AssertUnwindSafe(move || handler(r, w)));
        match fut {
            Ok(fut) => self.rt.spawn_dyn(Box::pin(Contained {
                fut: Some(fut),
                peer,
                conn: Some(conn),
            })),
            Err(p) => log_panic(&peer, &*p),
        }
    }

    fn remove(&self, id: u64) {
        let wakers = {
            let mut st = lock(&self.state);
            st.conns.remove(&id);
            #[cfg(feature = "tls")]
            st.handshaking.remove(&id);
            if st.closed && st.count() == 0 {
                std::mem::take(&mut st.waiters)
            } else {
                Vec::new()
            }
        };
        wake_all(wakers);
    }
}
