//! Happy eyeballs (RFC 8305): which address to try next, and when.
//!
//! asyncio's `create_connection(host, port, happy_eyeballs_delay=,
//! interleave=)` resolves the host, reorders the addresses by family
//! (`_interleave_addrinfos`) and races connection attempts with staggered
//! start times (`staggered.staggered_race`). [`Planner`] is that logic as a
//! pure state machine: it opens no socket, reads no clock and spawns nothing.
//! A backend resolves the host, builds a planner, then loops:
//!
//! ```text
//!            ┌──────────── next_action(now) ◀─────────────┐
//!            ▼                                            │
//!   Start { id, addr } ──▶ begin connecting addr ─────────┤ (ask again at once)
//!   Wait { until }     ──▶ sleep until `until`, or until  │
//!                          an attempt finishes: ──────────┤
//!                            on_connected(id, now)        │
//!                            on_failed(id, err, now) ─────┘
//!   Connected { winner, cancel } ──▶ keep winner, drop every attempt in cancel
//!   Failed(errors)               ──▶ ConnectError::new(errors) into io::Error
//! ```
//!
//! The schedule is asyncio's: attempt 0 starts at once; attempt k + 1
//! starts when `delay` has passed since attempt k started, or as soon as
//! attempt k fails, whichever comes first. Without a delay, attempts run one
//! after another. The first attempt to connect wins; every other running
//! attempt is cancelled, and exactly one attempt wins even when two connect
//! in the same instant (the later report is listed for cancellation). When
//! every attempt has failed, the planner returns every error in attempt order.
//!
//! Time is an argument. `now` only has to be roughly monotonic: an instant
//! earlier than one already seen is read as the latest instant seen, so time
//! never runs backwards inside the planner.
//!
//! RFC 8305 recommends a delay of 250 ms (floor 10 ms); like asyncio, the
//! planner takes whatever the caller gives, zero included (all attempts at
//! once).
//!
//! # Examples
//!
//! Driving the planner by hand: the IPv6 address never answers, so after
//! the delay the IPv4 address is tried, connects, and wins.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use weir_proto::eyeballs::{Action, AttemptId, Planner};
//!
//! let t0 = Instant::now(); // a backend's clock; the planner never reads one
//! let v6 = "[2001:db8::1]:443".parse()?;
//! let v4 = "192.0.2.1:443".parse()?;
//! let delay = Duration::from_millis(250);
//! let mut p = Planner::new(vec![v6, v4], Some(delay), None, t0)?;
//!
//! assert!(matches!(p.next_action(t0), Action::Start { id: AttemptId(0), addr } if addr == v6));
//! assert!(matches!(p.next_action(t0), Action::Wait { until: Some(t) } if t == t0 + delay));
//!
//! let t1 = t0 + delay; // the timer fired
//! assert!(matches!(p.next_action(t1), Action::Start { id: AttemptId(1), addr } if addr == v4));
//! assert!(matches!(p.next_action(t1), Action::Wait { until: None }));
//!
//! p.on_connected(AttemptId(1), t1 + Duration::from_millis(20));
//! let Action::Connected { winner, cancel } = p.next_action(t1 + Duration::from_millis(20)) else {
//!     unreachable!()
//! };
//! assert_eq!((winner, cancel), (AttemptId(1), vec![AttemptId(0)]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::Error;

/// One connection attempt: its index in [`Planner::order`].
///
/// asyncio's `staggered_race` names attempts by the same index
/// (`winner_index`).
///
/// # Examples
///
/// ```
/// use weir_proto::eyeballs::{AttemptId, Planner};
/// let p = Planner::new(vec!["127.0.0.1:80".parse()?], None, None, std::time::Instant::now())?;
/// assert_eq!(p.addr(AttemptId(0)), Some(p.order()[0]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptId(pub usize);

/// What the driver must do next; returned by [`Planner::next_action`].
///
/// # Examples
///
/// ```
/// use weir_proto::eyeballs::{Action, Planner};
/// let now = std::time::Instant::now();
/// let mut p = Planner::new(vec!["127.0.0.1:80".parse()?], None, None, now)?;
/// assert!(matches!(p.next_action(now), Action::Start { .. }));
/// assert!(matches!(p.next_action(now), Action::Wait { until: None }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum Action {
    /// Start connecting attempt `id` to `addr` now.
    Start {
        /// The attempt to report back with `on_connected` / `on_failed`.
        id: AttemptId,
        /// The address to connect to.
        addr: SocketAddr,
    },
    /// Nothing to start now: wait until `until` (None = until an attempt finishes).
    Wait {
        /// When to call `next_action` again if no attempt finishes first.
        until: Option<Instant>,
    },
    /// Done: `winner` connected; the driver must cancel (drop) every other attempt in `cancel`.
    ///
    /// Asked again, the planner repeats `Connected` with the attempts that
    /// need cancelling since (an attempt reported connected after the
    /// winner), usually none.
    Connected {
        /// The attempt whose connection to keep.
        winner: AttemptId,
        /// Attempts to drop (and, if connected, close), in attempt order.
        cancel: Vec<AttemptId>,
    },
    /// Every attempt failed: the errors in attempt order. [`ConnectError`]
    /// turns them into one error the way asyncio does.
    ///
    /// Asked again, the planner repeats `Failed` with copies of the errors
    /// (same kind, OS error code and message).
    Failed(Vec<(SocketAddr, io::Error)>),
}

/// Where one attempt stands; returned by [`Planner::state`].
///
/// # Examples
///
/// ```
/// use weir_proto::eyeballs::{AttemptId, AttemptState, Planner};
/// let now = std::time::Instant::now();
/// let mut p = Planner::new(vec!["127.0.0.1:80".parse()?], None, None, now)?;
/// assert_eq!(p.state(AttemptId(0)), Some(AttemptState::NotStarted));
/// p.next_action(now);
/// assert_eq!(p.state(AttemptId(0)), Some(AttemptState::Running));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptState {
    /// Not started yet (and never will be once there is a winner).
    NotStarted,
    /// Started; no result reported yet.
    Running,
    /// Reported failed before the race ended.
    Failed,
    /// The winner.
    Connected,
    /// Listed, or about to be listed, in a `Connected { cancel }`.
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    NotStarted,
    Running,
    Failed,
    Won,
    /// Must be listed in the next `Connected { cancel }`.
    CancelPending,
    Cancelled,
}

/// The happy-eyeballs connection planner: asyncio's `staggered_race` over
/// `_interleave_addrinfos`, as a sans-IO state machine.
///
/// Methods fall in four groups, as in quinn-proto's `Connection`:
/// - getters: [`order`](Self::order), [`addr`](Self::addr),
///   [`state`](Self::state), [`winner`](Self::winner);
/// - inputs: [`on_connected`](Self::on_connected),
///   [`on_failed`](Self::on_failed);
/// - the output: [`next_action`](Self::next_action), called until it returns
///   `Wait` (or a final `Connected` / `Failed`);
/// - the timer: [`next_deadline`](Self::next_deadline).
///
/// Call order: `new`, then loop { `next_action` until `Wait`; sleep until
/// the deadline or a result; `on_connected` / `on_failed` }.
///
/// Misuse never panics. Results for unknown ids, for attempts never started,
/// or for attempts that already have a result are ignored, with one
/// exception: an attempt that connects after the race is won (or after it
/// was cancelled) is listed in the next `Connected { cancel }`, so its
/// socket gets closed.
///
/// # Examples
///
/// Without a delay, one attempt at a time, as asyncio without
/// `happy_eyeballs_delay`:
///
/// ```
/// use std::io;
/// use weir_proto::eyeballs::{Action, AttemptId, Planner};
/// let now = std::time::Instant::now();
/// let (a, b) = ("192.0.2.1:80".parse()?, "192.0.2.2:80".parse()?);
/// let mut p = Planner::new(vec![a, b], None, None, now)?;
/// assert!(matches!(p.next_action(now), Action::Start { id: AttemptId(0), .. }));
/// assert!(matches!(p.next_action(now), Action::Wait { until: None }));
/// p.on_failed(AttemptId(0), io::ErrorKind::ConnectionRefused.into(), now);
/// assert!(matches!(p.next_action(now), Action::Start { id: AttemptId(1), .. }));
/// p.on_failed(AttemptId(1), io::ErrorKind::TimedOut.into(), now);
/// let Action::Failed(errors) = p.next_action(now) else { unreachable!() };
/// assert_eq!((errors[0].0, errors[1].0), (a, b));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Planner {
    order: Vec<SocketAddr>,
    delay: Option<Duration>,
    slots: Vec<Slot>,
    starts: Vec<Option<Instant>>,
    errors: Vec<Option<io::Error>>,
    /// Index of the next attempt to start.
    next: usize,
    winner: Option<AttemptId>,
    /// Whether the final action has been returned once.
    finished: bool,
    /// Copies of the errors handed out by the first `Failed`.
    failed_copies: Vec<(SocketAddr, io::Error)>,
    /// The latest instant seen.
    now: Instant,
}

impl Planner {
    /// Plans the attempts for `addrs`, given in resolver order.
    ///
    /// `delay` is asyncio's `happy_eyeballs_delay`: `None` tries one address
    /// after another. `interleave` is asyncio's `interleave`: `None` means 1
    /// when `delay` is set and 0 (keep the resolver's order) when not; see
    /// [`interleave`] for the reordering. `now` is the planner's start time.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `addrs` is empty (asyncio:
    /// `OSError('getaddrinfo() returned empty list')`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use weir_proto::eyeballs::Planner;
    /// let addrs = vec!["[::1]:80".parse()?, "[::2]:80".parse()?, "127.0.0.1:80".parse()?];
    /// let p = Planner::new(addrs.clone(), Some(Duration::from_millis(250)), None, Instant::now())?;
    /// assert_eq!(p.order(), [addrs[0], addrs[2], addrs[1]]);
    /// assert!(Planner::new(vec![], None, None, Instant::now()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        addrs: Vec<SocketAddr>,
        delay: Option<Duration>,
        interleave: Option<usize>,
        now: Instant,
    ) -> Result<Planner, Error> {
        if addrs.is_empty() {
            return Err(Error::InvalidArgument(
                "no addresses to connect to (the resolver returned an empty list); check the host name",
            ));
        }
        let count = interleave.unwrap_or(if delay.is_some() { 1 } else { 0 });
        let order = if count == 0 {
            addrs
        } else {
            self::interleave(&addrs, count)
        };
        let n = order.len();
        Ok(Planner {
            order,
            delay,
            slots: vec![Slot::NotStarted; n],
            starts: vec![None; n],
            errors: (0..n).map(|_| None).collect(),
            next: 0,
            winner: None,
            finished: false,
            failed_copies: Vec::new(),
            now,
        })
    }

    /// The addresses in the order they will be tried (after interleaving).
    ///
    /// # Errors
    ///
    /// None: a getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::eyeballs::Planner;
    /// let addrs = vec!["[::1]:80".parse()?, "[::2]:80".parse()?, "127.0.0.1:80".parse()?];
    /// let p = Planner::new(addrs.clone(), None, None, std::time::Instant::now())?;
    /// assert_eq!(p.order(), addrs); // no delay, no interleave: resolver order
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn order(&self) -> &[SocketAddr] {
        &self.order
    }

    /// The address of attempt `id`, or `None` for an unknown id.
    ///
    /// # Errors
    ///
    /// None: a getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::eyeballs::{AttemptId, Planner};
    /// let p = Planner::new(vec!["127.0.0.1:80".parse()?], None, None, std::time::Instant::now())?;
    /// assert_eq!(p.addr(AttemptId(0)), Some("127.0.0.1:80".parse()?));
    /// assert_eq!(p.addr(AttemptId(7)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn addr(&self, id: AttemptId) -> Option<SocketAddr> {
        self.order.get(id.0).copied()
    }

    /// Where attempt `id` stands, or `None` for an unknown id.
    ///
    /// # Errors
    ///
    /// None: a getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::eyeballs::{AttemptId, AttemptState, Planner};
    /// let now = std::time::Instant::now();
    /// let mut p = Planner::new(vec!["127.0.0.1:80".parse()?], None, None, now)?;
    /// p.next_action(now);
    /// p.on_connected(AttemptId(0), now);
    /// assert_eq!(p.state(AttemptId(0)), Some(AttemptState::Connected));
    /// assert_eq!(p.state(AttemptId(1)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self, id: AttemptId) -> Option<AttemptState> {
        Some(match self.slots.get(id.0)? {
            Slot::NotStarted => AttemptState::NotStarted,
            Slot::Running => AttemptState::Running,
            Slot::Failed => AttemptState::Failed,
            Slot::Won => AttemptState::Connected,
            Slot::CancelPending | Slot::Cancelled => AttemptState::Cancelled,
        })
    }

    /// The winning attempt, once one has connected (staggered_race's
    /// `winner_index`).
    ///
    /// # Errors
    ///
    /// None: a getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::eyeballs::{AttemptId, Planner};
    /// let now = std::time::Instant::now();
    /// let mut p = Planner::new(vec!["127.0.0.1:80".parse()?], None, None, now)?;
    /// assert_eq!(p.winner(), None);
    /// p.next_action(now);
    /// p.on_connected(AttemptId(0), now);
    /// assert_eq!(p.winner(), Some(AttemptId(0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn winner(&self) -> Option<AttemptId> {
        self.winner
    }

    /// What to do next at time `now`; call it again until it returns
    /// [`Action::Wait`] or a final action (`Connected`, `Failed`).
    ///
    /// Each call returns at most one `Start`; the attempt counts as started
    /// at `now`. After the final action, it returns the final action again
    /// (see [`Action`]). `Wait` is only returned while an attempt runs, so a
    /// driver that waits for its running attempts never stalls.
    ///
    /// # Errors
    ///
    /// None: failures come back as [`Action::Failed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use weir_proto::eyeballs::{Action, Planner};
    /// let now = Instant::now();
    /// let addrs = vec!["192.0.2.1:80".parse()?, "192.0.2.2:80".parse()?];
    /// let mut p = Planner::new(addrs, Some(Duration::ZERO), None, now)?;
    /// // a zero delay starts every attempt at once
    /// assert!(matches!(p.next_action(now), Action::Start { .. }));
    /// assert!(matches!(p.next_action(now), Action::Start { .. }));
    /// assert!(matches!(p.next_action(now), Action::Wait { until: None }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_action(&mut self, now: Instant) -> Action {
        let now = self.tick(now);
        if let Some(winner) = self.winner {
            self.finished = true;
            let mut cancel = Vec::new();
            for (i, slot) in self.slots.iter_mut().enumerate() {
                if matches!(slot, Slot::Running | Slot::CancelPending) {
                    *slot = Slot::Cancelled;
                    cancel.push(AttemptId(i));
                }
            }
            return Action::Connected { winner, cancel };
        }
        if self.slots.iter().all(|s| *s == Slot::Failed) {
            return Action::Failed(self.take_errors());
        }
        if self.start_due(now) {
            let id = self.next;
            self.next += 1;
            self.slots[id] = Slot::Running;
            self.starts[id] = Some(now);
            return Action::Start {
                id: AttemptId(id),
                addr: self.order[id],
            };
        }
        Action::Wait {
            until: self.delay_deadline(),
        }
    }

    /// Reports that attempt `id` connected at `now`.
    ///
    /// The first attempt to connect wins; the next [`next_action`](Self::next_action)
    /// returns [`Action::Connected`]. An attempt that connects after the
    /// race is won (even in the same instant) is listed for cancellation
    /// instead. Unknown ids, attempts never started, and attempts that
    /// already failed or won are ignored.
    ///
    /// # Errors
    ///
    /// None: misuse is ignored, as described above.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir_proto::eyeballs::{Action, AttemptId, Planner};
    /// let now = std::time::Instant::now();
    /// let addrs = vec!["192.0.2.1:80".parse()?, "192.0.2.2:80".parse()?];
    /// let mut p = Planner::new(addrs, Some(Duration::ZERO), None, now)?;
    /// p.next_action(now);
    /// p.next_action(now);
    /// p.on_connected(AttemptId(1), now);
    /// p.on_connected(AttemptId(0), now); // too late: cancelled, not a second winner
    /// let Action::Connected { winner, cancel } = p.next_action(now) else { unreachable!() };
    /// assert_eq!((winner, cancel), (AttemptId(1), vec![AttemptId(0)]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_connected(&mut self, id: AttemptId, now: Instant) {
        self.tick(now);
        let Some(slot) = self.slots.get_mut(id.0) else {
            return;
        };
        match (*slot, self.winner) {
            (Slot::Running, None) => {
                *slot = Slot::Won;
                self.winner = Some(id);
            }
            (Slot::Running | Slot::Cancelled, Some(_)) => *slot = Slot::CancelPending,
            _ => {}
        }
    }

    /// Reports that attempt `id` failed at `now` with `err`.
    ///
    /// If `id` is the attempt started last, the next attempt becomes due at
    /// once (asyncio's "previous attempt failed" signal); the error is kept
    /// for [`Action::Failed`]. A running attempt that fails after the winner
    /// connected but before `Connected` was returned counts as failed and is
    /// not listed for cancellation. Unknown ids, attempts never started, and
    /// attempts that already have a result or were cancelled are ignored.
    ///
    /// # Errors
    ///
    /// None: misuse is ignored, as described above.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{io, time::Duration};
    /// use weir_proto::eyeballs::{Action, AttemptId, Planner};
    /// let now = std::time::Instant::now();
    /// let addrs = vec!["192.0.2.1:80".parse()?, "192.0.2.2:80".parse()?];
    /// let mut p = Planner::new(addrs, Some(Duration::from_secs(1)), None, now)?;
    /// p.next_action(now);
    /// p.on_failed(AttemptId(0), io::ErrorKind::ConnectionRefused.into(), now);
    /// // the next attempt starts at once, not a second later
    /// assert!(matches!(p.next_action(now), Action::Start { id: AttemptId(1), .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_failed(&mut self, id: AttemptId, err: io::Error, now: Instant) {
        self.tick(now);
        if let Some(slot @ Slot::Running) = self.slots.get_mut(id.0) {
            *slot = Slot::Failed;
            self.errors[id.0] = Some(err);
        }
    }

    /// The instant at which [`next_action`](Self::next_action) should be
    /// called again if no attempt finishes first; the same as `Wait`'s
    /// `until`.
    ///
    /// `None` means no deadline: wait for an attempt to finish (or the race
    /// is over). An instant at or before the latest `now` given means an
    /// action is due already (for example right after `new`, or after the
    /// last started attempt failed).
    ///
    /// # Errors
    ///
    /// None: a getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use weir_proto::eyeballs::Planner;
    /// let now = Instant::now();
    /// let addrs = vec!["192.0.2.1:80".parse()?, "192.0.2.2:80".parse()?];
    /// let mut p = Planner::new(addrs, Some(Duration::from_millis(300)), None, now)?;
    /// assert_eq!(p.next_deadline(), Some(now)); // the first attempt is due
    /// p.next_action(now);
    /// assert_eq!(p.next_deadline(), Some(now + Duration::from_millis(300)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.finished {
            // Only a late connection to list for cancellation is still due.
            let late = self.slots.contains(&Slot::CancelPending);
            return late.then_some(self.now);
        }
        let due_now = self.winner.is_some()
            || self.slots.iter().all(|s| *s == Slot::Failed)
            || self.start_due(self.now);
        if due_now {
            Some(self.now)
        } else {
            self.delay_deadline()
        }
    }

    /// The old name of [`next_deadline`](Self::next_deadline): it returns
    /// an instant, not a `Poll`.
    #[deprecated(since = "0.2.0", note = "renamed to next_deadline: it returns no Poll")]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline()
    }

    /// Records `now`, ignoring an instant earlier than the latest seen.
    fn tick(&mut self, now: Instant) -> Instant {
        if now > self.now {
            self.now = now;
        }
        self.now
    }

    /// Whether the next attempt may start at `now`.
    fn start_due(&self, now: Instant) -> bool {
        if self.winner.is_some() || self.next >= self.order.len() {
            return false;
        }
        let Some(prev) = self.next.checked_sub(1) else {
            return true;
        };
        self.slots[prev] == Slot::Failed || self.delay_deadline().is_some_and(|t| now >= t)
    }

    /// When the delay since the last start runs out, if a next attempt waits for it.
    fn delay_deadline(&self) -> Option<Instant> {
        if self.winner.is_some() || self.next >= self.order.len() {
            return None;
        }
        let prev = self.next.checked_sub(1)?;
        if self.slots[prev] != Slot::Running {
            return None;
        }
        // An instant past the platform's range means "never": wait for a result.
        self.starts[prev]?.checked_add(self.delay?)
    }

    /// The errors for `Failed`: the originals the first time, copies after.
    fn take_errors(&mut self) -> Vec<(SocketAddr, io::Error)> {
        if self.finished {
            return self
                .failed_copies
                .iter()
                .map(|(a, e)| (*a, copy_io_error(e)))
                .collect();
        }
        self.finished = true;
        let mut out = Vec::with_capacity(self.order.len());
        for (addr, err) in self.order.iter().zip(self.errors.iter_mut()) {
            let err = err
                .take()
                .unwrap_or_else(|| io::Error::other("connection attempt failed"));
            self.failed_copies.push((*addr, copy_io_error(&err)));
            out.push((*addr, err));
        }
        out
    }
}

/// A copy of an I/O error: the same OS error code, or the same kind and message.
fn copy_io_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// Reorders addresses by family: asyncio's `_interleave_addrinfos`.
///
/// Addresses are grouped by family (IPv4, IPv6) in order of first
/// appearance, keeping the resolver's order inside each group. The first
/// `count - 1` addresses of the first family come first, then the families
/// alternate, one address each, until both run out. `count` of 0 or 1 both
/// alternate from the start ([`Planner::new`] skips this function for 0,
/// as asyncio does).
///
/// # Errors
///
/// None: any list, empty included, is accepted.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use weir_proto::eyeballs::interleave;
/// let a: Vec<SocketAddr> = ["[::1]:80", "[::2]:80", "10.0.0.1:80", "10.0.0.2:80"]
///     .iter().map(|s| s.parse().unwrap()).collect();
/// assert_eq!(interleave(&a, 1), [a[0], a[2], a[1], a[3]]);
/// assert_eq!(interleave(&a, 2), [a[0], a[1], a[2], a[3]]);
/// ```
pub fn interleave(addrs: &[SocketAddr], count: usize) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return Vec::new();
    };
    let first_is_v4 = first.is_ipv4();
    let (firsts, others): (Vec<SocketAddr>, Vec<SocketAddr>) =
        addrs.iter().partition(|a| a.is_ipv4() == first_is_v4);
    let head = count.saturating_sub(1).min(firsts.len());
    let mut out = Vec::with_capacity(addrs.len());
    out.extend_from_slice(&firsts[..head]);
    let (mut a, mut b) = (firsts[head..].iter(), others.iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return out,
            (x, y) => out.extend(x.into_iter().chain(y).copied()),
        }
    }
}

/// Every failed attempt as one error: the error asyncio's `create_connection`
/// raises when all attempts fail.
///
/// asyncio raises the single error if there is one, or if all have the same
/// message; otherwise `OSError('Multiple exceptions: ...')`. `ConnectError`
/// keeps every `(address, error)` pair and says so in its message, naming
/// each address. Its [`kind`](Self::kind) is the errors' common kind, or
/// `Other` if they differ. Convert it with `io::Error::from`; the list stays
/// reachable through `get_ref()` and `downcast_ref::<ConnectError>()`.
///
/// # Errors
///
/// It is the error.
///
/// # Examples
///
/// ```
/// use std::io;
/// use weir_proto::eyeballs::ConnectError;
/// let e = ConnectError::new(vec![
///     ("[::1]:80".parse()?, io::ErrorKind::ConnectionRefused.into()),
///     ("127.0.0.1:80".parse()?, io::ErrorKind::TimedOut.into()),
/// ]);
/// assert_eq!(e.kind(), io::ErrorKind::Other);
/// assert!(e.to_string().starts_with("all 2 connection attempts failed: [::1]:80: "));
/// let io_err = io::Error::from(e);
/// let back = io_err.get_ref().and_then(|e| e.downcast_ref::<ConnectError>()).unwrap();
/// assert_eq!(back.errors().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ConnectError {
    errors: Vec<(SocketAddr, io::Error)>,
}

impl ConnectError {
    /// Wraps the errors of [`Action::Failed`], in attempt order.
    ///
    /// # Errors
    ///
    /// None: a constructor.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use weir_proto::eyeballs::ConnectError;
    /// let e = ConnectError::new(vec![("127.0.0.1:80".parse()?, io::ErrorKind::ConnectionRefused.into())]);
    /// assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    /// assert!(e.to_string().starts_with("connect to 127.0.0.1:80 failed: "));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(errors: Vec<(SocketAddr, io::Error)>) -> ConnectError {
        ConnectError { errors }
    }

    /// Every address and its error, in attempt order.
    ///
    /// # Errors
    ///
    /// None: a getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::eyeballs::ConnectError;
    /// assert!(ConnectError::new(vec![]).errors().is_empty());
    /// ```
    pub fn errors(&self) -> &[(SocketAddr, io::Error)] {
        &self.errors
    }

    /// Gives the list back.
    ///
    /// # Errors
    ///
    /// None: a conversion.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::eyeballs::ConnectError;
    /// assert!(ConnectError::new(vec![]).into_errors().is_empty());
    /// ```
    pub fn into_errors(self) -> Vec<(SocketAddr, io::Error)> {
        self.errors
    }

    /// The errors' common kind, or `Other` when they differ (or the list is empty).
    ///
    /// # Errors
    ///
    /// None: a getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use weir_proto::eyeballs::ConnectError;
    /// let e = ConnectError::new(vec![
    ///     ("127.0.0.1:80".parse()?, io::ErrorKind::TimedOut.into()),
    ///     ("127.0.0.2:80".parse()?, io::ErrorKind::TimedOut.into()),
    /// ]);
    /// assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        let mut kinds = self.errors.iter().map(|(_, e)| e.kind());
        match kinds.next() {
            Some(k) if kinds.all(|x| x == k) => k,
            _ => io::ErrorKind::Other,
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((_, first)) = self.errors.first() else {
            return f.write_str("no connection attempt was made; the address list was empty");
        };
        let model = first.to_string();
        if self.errors.iter().all(|(_, e)| e.to_string() == model) {
            f.write_str("connect to ")?;
            for (i, (addr, _)) in self.errors.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{addr}")?;
            }
            return write!(f, " failed: {model}");
        }
        write!(f, "all {} connection attempts failed: ", self.errors.len())?;
        for (i, (addr, e)) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{addr}: {e}")?;
        }
        Ok(())
    }
}

/// No `source()`: the message names every address and its error already
/// (reporters such as anyhow would print the first one twice); the errors
/// themselves are in [`errors`](ConnectError::errors).
impl std::error::Error for ConnectError {}

impl From<ConnectError> for io::Error {
    fn from(e: ConnectError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(n: u8) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, n], 80))
    }
    fn v6(n: u16) -> SocketAddr {
        SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, n], 80))
    }

    #[test]
    fn interleave_matches_asyncio() {
        let a = [v6(1), v6(2), v6(3), v4(1), v4(2)];
        assert_eq!(interleave(&a, 1), [v6(1), v4(1), v6(2), v4(2), v6(3)]);
        assert_eq!(interleave(&a, 0), interleave(&a, 1));
        assert_eq!(interleave(&a, 3), [v6(1), v6(2), v6(3), v4(1), v4(2)]);
        // count beyond the first family: the whole family, then the other
        assert_eq!(interleave(&a, 9), [v6(1), v6(2), v6(3), v4(1), v4(2)]);
        // grouped by first appearance, even when families are mixed
        let b = [v4(1), v6(1), v4(2), v4(3), v6(2)];
        assert_eq!(interleave(&b, 1), [v4(1), v6(1), v4(2), v6(2), v4(3)]);
        assert!(interleave(&[], 1).is_empty());
        assert_eq!(interleave(&[v4(1), v4(2)], 1), [v4(1), v4(2)]);
    }

    #[test]
    fn interleave_defaults_follow_the_delay() {
        let now = Instant::now();
        let a = vec![v6(1), v6(2), v4(1)];
        let with = Planner::new(a.clone(), Some(Duration::from_millis(1)), None, now).unwrap();
        assert_eq!(with.order(), [v6(1), v4(1), v6(2)]);
        let without = Planner::new(a.clone(), None, None, now).unwrap();
        assert_eq!(without.order(), a);
        let forced = Planner::new(a.clone(), None, Some(1), now).unwrap();
        assert_eq!(forced.order(), [v6(1), v4(1), v6(2)]);
        let off = Planner::new(a.clone(), Some(Duration::ZERO), Some(0), now).unwrap();
        assert_eq!(off.order(), a);
    }

    #[test]
    fn empty_address_list_is_a_caller_error() {
        let err = Planner::new(vec![], None, None, Instant::now()).unwrap_err();
        assert_eq!(err.io_kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("no addresses"), "{err}");
    }

    #[test]
    fn time_going_backwards_reads_as_the_latest_instant() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let d = Duration::from_millis(100);
        let mut p = Planner::new(vec![v4(1), v4(2)], Some(d), None, t0).unwrap();
        assert!(matches!(p.next_action(t0), Action::Start { .. }));
        let early = t0 - Duration::from_secs(5);
        assert!(matches!(p.next_action(early), Action::Wait { until: Some(t) } if t == t0 + d));
        let Action::Start { id, .. } = p.next_action(t0 + d) else {
            panic!("second attempt due after the delay")
        };
        assert_eq!(id, AttemptId(1));
        assert_eq!(p.starts[1], Some(t0 + d));
    }

    #[test]
    fn a_huge_delay_waits_for_a_result() {
        let now = Instant::now();
        let mut p = Planner::new(vec![v4(1), v4(2)], Some(Duration::MAX), None, now).unwrap();
        p.next_action(now);
        assert!(matches!(p.next_action(now), Action::Wait { until: None }));
        assert_eq!(p.next_deadline(), None);
        p.on_failed(AttemptId(0), io::ErrorKind::TimedOut.into(), now);
        assert!(matches!(
            p.next_action(now),
            Action::Start {
                id: AttemptId(1),
                ..
            }
        ));
    }

    #[test]
    fn copies_keep_os_codes_and_messages() {
        let os = copy_io_error(&io::Error::from_raw_os_error(111));
        assert_eq!(os.raw_os_error(), Some(111));
        let custom = copy_io_error(&io::Error::new(io::ErrorKind::TimedOut, "slow"));
        assert_eq!(
            (custom.kind(), custom.to_string()),
            (io::ErrorKind::TimedOut, "slow".into())
        );
    }
}
