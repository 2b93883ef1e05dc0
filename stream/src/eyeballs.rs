//! Connecting to one of several resolved addresses, for every backend.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::rt::{BoxFuture, Runtime};
use crate::Error;
use weir_proto::eyeballs::{Action, AttemptId, ConnectError, Planner};

/// Which address family to connect or listen with (asyncio's `family`).
///
/// # Examples
///
/// ```
/// use weir_stream::Family;
/// let v6: std::net::SocketAddr = "[::1]:80".parse().unwrap();
/// assert!(Family::Any.matches(&v6) && Family::V6.matches(&v6) && !Family::V4.matches(&v6));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// IPv4 and IPv6 (asyncio's `AF_UNSPEC`, the default).
    #[default]
    Any,
    /// IPv4 only (`AF_INET`).
    V4,
    /// IPv6 only (`AF_INET6`).
    V6,
}

impl Family {
    /// Whether `addr` belongs to this family.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_stream::Family;
    /// assert!(Family::V4.matches(&"127.0.0.1:1".parse().unwrap()));
    /// ```
    pub fn matches(&self, addr: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }
}

/// Connects to one of `addrs`, racing them as RFC 8305 says: asyncio's
/// `happy_eyeballs_delay` and `interleave`, driven from
/// [`Planner`](weir_proto::eyeballs::Planner). Without a delay the addresses are
/// tried one after another. The first attempt to connect wins; every other
/// attempt is dropped (cancelled, its socket closed).
///
/// Runtime-agnostic: it needs only `connect(addr)` futures and the
/// runtime's clock and timer.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for an empty address list; otherwise, when
/// every attempt failed, a connection error naming each address and why.
///
/// # Examples
///
/// ```no_run
/// # async fn demo<R: weir_stream::rt::Runtime>(rt: R) -> Result<(), weir_stream::Error> {
/// use std::time::Duration;
/// let addrs = vec!["[::1]:80".parse().unwrap(), "127.0.0.1:80".parse().unwrap()];
/// let winner = weir_stream::connect_happy(&rt, addrs, Some(Duration::from_millis(250)), None,
///     |addr| async move { std::net::TcpStream::connect(addr) }).await?;
/// # Ok(()) }
/// ```
pub async fn connect_happy<R, T, C, F>(
    rt: &R,
    addrs: Vec<SocketAddr>,
    delay: Option<Duration>,
    interleave: Option<usize>,
    mut connect: C,
) -> Result<T, Error>
where
    R: Runtime,
    C: FnMut(SocketAddr) -> F,
    F: Future<Output = io::Result<T>>,
{
    let mut planner = Planner::new(addrs, delay, interleave, rt.now())?;
    let mut running: Vec<(AttemptId, Pin<Box<F>>)> = Vec::new();
    let mut connected: Vec<(AttemptId, T)> = Vec::new();
    let mut timer: Option<(Instant, BoxFuture)> = None;
    std::future::poll_fn(move |cx| loop {
        let mut i = 0;
        while i < running.len() {
            match running[i].1.as_mut().poll(cx) {
                Poll::Pending => i += 1,
                Poll::Ready(res) => {
                    let (id, _) = running.swap_remove(i);
                    match res {
                        Ok(t) => {
                            planner.on_connected(id, rt.now());
                            connected.push((id, t));
                        }
                        Err(e) => planner.on_failed(id, e, rt.now()),
                    }
                }
            }
        }
        let now = rt.now();
        match planner.next_action(now) {
            Action::Start { id, addr } => running.push((id, Box::pin(connect(addr)))),
            Action::Wait { until } => {
                let Some(until) = until else {
                    return Poll::Pending;
                };
                if timer.as_ref().is_none_or(|(at, _)| *at != until) {
                    timer = Some((until, rt.sleep(until.saturating_duration_since(now))));
                }
                if let Some((_, t)) = &mut timer {
                    if t.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                timer = None;
            }
            Action::Connected { winner, .. } => {
                // Every other attempt is dropped with the closure's state.
                running.clear();
                let Some(pos) = connected.iter().position(|(id, _)| *id == winner) else {
                    return Poll::Ready(Err(Error::InvalidArgument(
                        "happy eyeballs: the planner chose a winner that did not connect",
                    )));
                };
                let (_, t) = connected.swap_remove(pos);
                connected.clear();
                return Poll::Ready(Ok(t));
            }
            Action::Failed(errors) => {
                // Keeps its type: `downcast_ref::<ConnectError>()` on the
                // I/O error gives every address and its error.
                let e = io::Error::from(ConnectError::new(errors));
                return Poll::Ready(Err(Error::connection(e)));
            }
        }
    })
    .await
}
