//! The state one connection's reader, writers and flusher share.
//!
//! Three locks, always taken in this order: `read` (the [`ReadBuffer`] and
//! the reader's waker), `write` (the [`WriteBuffer`], the flusher's and drain
//! waiters' wakers, the connection error, the closed flag) and `transport`,
//! the innermost, taken for one non-blocking call. `read` and `write`, taken
//! once per line, are spin locks ([`ConnLock`]); `transport` is a
//! `std::sync::Mutex`. Only the read path holds `read` and `write` together:
//! before a read waits for the socket it sends what the connection's writers
//! queued (see [`Shared::flush_inline`]).
//!
//! Who sends queued bytes: [`WriteBuffer::flush_decision`] decides. Small
//! writes wait for the reader: when its read is about to wait for input, it
//! writes them itself, from its own task, before it reads (the rule of a
//! hand-written `BufWriter` flushed when its read buffer runs dry), so a
//! request/response exchange never crosses tasks. A write that queues 16 KiB
//! or more goes out at once from `write` itself. The connection's flusher
//! task sends whatever is left: bytes no read follows, a socket that was
//! full, the shutdown after `write_eof` and `close`.

use std::cell::RefCell;
use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use spin::mutex::{SpinMutex, SpinMutexGuard};

use crate::rt::{DynRuntime, ExtraInfo, Transport};
use crate::{Error, ReadBuffer, Step, WriteBuffer};

/// The first read asks the transport for this much.
pub(crate) const FIRST_READ: usize = 4 * 1024;
/// A connection waiting for input keeps a read buffer up to this size.
pub(crate) const KEEP_WAITING: usize = 4 * 1024;
/// Reads that fill their room double the next one's, up to this.
///
/// 32 KiB, not more: a read takes everything the peer has sent, up to its
/// size, and the first reply waits for that read's copy. With 16 KiB lines
/// and four in flight (the echo benchmark's p3), 64 KiB reads took the whole
/// window at once and client and server fell into lock-step: 16 and 32 KiB
/// reads gave 1.03-1.16x the lines/s of 64 KiB ones in three interleaved
/// runs, with the same CPU per line and no change with 50 connections (p5).
/// Past 32 KiB a read's fixed cost is small beside its copy anyway.
pub(crate) const MAX_READ: usize = 32 * 1024;
/// How many iovecs one vectored write gathers.
pub(crate) const IOVECS: usize = 64;
/// Transport calls one poll may make before it yields to other tasks.
pub(crate) const BUDGET: usize = 32;
/// Bytes one connection reads from its transport before it yields to other
/// tasks: a peer that floods cannot keep its task on the CPU (fairness).
const READ_BUDGET: usize = 64 * 1024;

/// [`Shared::write_flags`]: `drain` may return at once.
pub(crate) const DRAIN_READY: u8 = 1;
/// [`Shared::write_flags`]: bytes are queued, or a shutdown is due.
pub(crate) const FLUSH_PENDING: u8 = 2;

/// The lock around a connection's read state and its write state, the two
/// taken once per line (`read_line`, then `write`).
///
/// A spin lock: taking it is one compare-and-swap, releasing it a plain
/// store. `std::sync::Mutex` releases with an atomic swap (so that it can
/// wake a sleeping waiter), a second locked instruction per lock, and with
/// two locks per line that showed as 5-10 % of the server's CPU per 64-byte
/// line in the echo benchmark (`bench/README.md`). A spin lock fits because
/// no critical section under these two locks waits for anything: none
/// awaits or runs user code; the longest are a read's non-blocking socket
/// reads of one poll (at most 64 KiB before it yields), a `write`'s copy of
/// the caller's bytes (or its non-blocking send of a large write) and one
/// non-blocking send of what is queued. Contention is rare (another task
/// writing to the same connection, the flusher sending what the socket did
/// not take at once) and short: two waits in a whole run of the TLS echo
/// benchmark, where the flusher works most. A
/// contender yields its thread between looks (`spin::relax::Yield`), so a
/// holder that lost its CPU gets it back instead of being spun against.
pub(crate) type ConnLock<T> = SpinMutex<T, spin::relax::Yield>;

/// A held [`ConnLock`].
pub(crate) type ConnGuard<'a, T> = SpinMutexGuard<'a, T, spin::relax::Yield>;

/// Takes a lock: a `std::sync::Mutex` (poisoning ignored: every critical
/// section leaves the state consistent, and a panicking user callback never
/// runs under a lock) or a [`ConnLock`].
pub(crate) fn lock<L: Lock + ?Sized>(m: &L) -> L::Guard<'_> {
    m.take()
}

/// What [`lock`] takes.
pub(crate) trait Lock {
    type Guard<'a>
    where
        Self: 'a;
    fn take(&self) -> Self::Guard<'_>;
}

impl<T> Lock for Mutex<T> {
    type Guard<'a>
        = MutexGuard<'a, T>
    where
        T: 'a;
    #[inline]
    fn take(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> Lock for ConnLock<T> {
    type Guard<'a>
        = ConnGuard<'a, T>
    where
        T: 'a;
    #[inline]
    fn take(&self) -> ConnGuard<'_, T> {
        self.lock()
    }
}

/// Registers `cx`'s waker in `wakers` unless it is already there.
pub(crate) fn register(wakers: &mut Vec<Waker>, cx: &Context<'_>) {
    if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
        wakers.push(cx.waker().clone());
    }
}

pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

/// Where the transport is in its life.
pub(crate) enum Slot {
    /// A reader fed by hand: reads wait for `feed_data`.
    Unbound,
    Open(Box<dyn Transport>),
    /// `start_tls` holds the transport for the handshake: reads and the
    /// flusher wait.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Upgrading,
    /// Closed or aborted: reads see EOF.
    Closed,
}

pub(crate) struct ReadState {
    pub(crate) rb: ReadBuffer,
    pub(crate) waker: Option<Waker>,
    /// A read future is waiting for data (asyncio's `_waiter`).
    pub(crate) reading: bool,
    /// How much the next transport read asks for.
    pub(crate) hint: usize,
    /// Bytes read from the transport since the reading task last yielded.
    pub(crate) since_yield: usize,
    /// The dead-peer watcher (see `watch.rs`).
    pub(crate) watch: crate::watch_state::Watch,
}

pub(crate) struct WriteState {
    pub(crate) wb: WriteBuffer,
    pub(crate) flusher: Option<Waker>,
    pub(crate) drainers: Vec<Waker>,
    pub(crate) closers: Vec<Waker>,
    /// The connection's error, once lost.
    pub(crate) error: Option<Error>,
    /// The transport is gone (closed, aborted or lost).
    pub(crate) closed: bool,
    /// Live `StreamWriter` handles.
    pub(crate) handles: usize,
    pub(crate) reader_alive: bool,
    /// Called once when the connection closes (the server's registry).
    pub(crate) on_closed: Option<Box<dyn FnOnce() + Send>>,
    /// Bytes went to the transport since its last `poll_flush` (a TLS
    /// stream may hold them until flushed).
    pub(crate) unflushed: bool,
    /// An inline write found the socket full: leave the rest to the flusher
    /// until it has made progress, rather than retrying on every write.
    pub(crate) inline_blocked: bool,
    /// An inline write failed: the flusher loses the connection with this
    /// error (it cannot be done under the locks the inline write holds).
    pub(crate) inline_error: Option<io::Error>,
}

/// The write state, locked. Unlocking publishes whether `drain` may return
/// at once (see [`Shared::write_flags`]), so every change to the state is
/// seen by the lock-free fast path.
pub(crate) struct WriteGuard<'a> {
    guard: ConnGuard<'a, WriteState>,
    flags: &'a AtomicU8,
    /// The flags to publish, when the holder knows them (see
    /// [`release_known`](Self::release_known)); else they are worked out.
    known: Option<u8>,
}

impl WriteGuard<'_> {
    /// What unlocking publishes: [`DRAIN_READY`] and [`FLUSH_PENDING`].
    #[inline]
    fn current_flags(&self) -> u8 {
        let w = &*self.guard;
        let ready = w.error.is_none() && !w.closed && !w.wb.is_closing() && !w.wb.is_paused();
        // As `flush_decision() != Flush::Idle`, without the decision.
        let pending = !w.wb.is_empty() || w.wb.wants_shutdown();
        (if ready { DRAIN_READY } else { 0 }) | if pending { FLUSH_PENDING } else { 0 }
    }

    /// Unlocks, publishing `flags`, which the caller knows to be
    /// [`current_flags`](Self::current_flags) without reading the state
    /// again (a write's common path: open, bytes queued).
    #[inline]
    pub(crate) fn release_known(mut self, flags: u8) {
        debug_assert_eq!(flags, self.current_flags());
        self.known = Some(flags);
    }
}

impl Deref for WriteGuard<'_> {
    type Target = WriteState;
    fn deref(&self) -> &WriteState {
        &self.guard
    }
}

impl DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut WriteState {
        &mut self.guard
    }
}

impl Drop for WriteGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let flags = match self.known {
            Some(flags) => flags,
            None => self.current_flags(),
        };
        self.flags.store(flags, Ordering::Release);
    }
}

pub(crate) struct Shared {
    pub(crate) read: ConnLock<ReadState>,
    /// Taken through [`Shared::lock_write`] only.
    write: ConnLock<WriteState>,
    /// What the write state says without its lock, kept by [`WriteGuard`]
    /// whenever the lock is released: [`DRAIN_READY`] (`drain` would return
    /// `Ok` at once: not paused, not closing, not closed, no error), so the
    /// common `write` + `drain` pair takes the lock once, not twice; and
    /// [`FLUSH_PENDING`] (something to send, or a shutdown due), so a reader
    /// about to wait, and the end of a handler's poll, take the lock only
    /// when there is something to flush.
    pub(crate) write_flags: AtomicU8,
    /// A dead-peer watcher wake-up was deferred to the end of the own
    /// task's poll (see `watch_state`): that poll looks at the read state
    /// only then.
    pub(crate) watch_deferred: AtomicBool,
    pub(crate) transport: Mutex<Slot>,
    /// Replaced when `start_tls` swaps the transport.
    pub(crate) info: Mutex<ExtraInfo>,
    pub(crate) can_write_eof: AtomicBool,
    pub(crate) rt: Option<Arc<dyn DynRuntime>>,
}

impl Shared {
    pub(crate) fn new(
        rb: ReadBuffer,
        slot: Slot,
        rt: Option<Arc<dyn DynRuntime>>,
        handles: usize,
    ) -> Shared {
        let (info, can_write_eof) = match &slot {
            Slot::Open(t) => (t.extra_info(), t.can_write_eof()),
            _ => (ExtraInfo::default(), false),
        };
        Shared {
            read: ConnLock::new(ReadState {
                rb,
                waker: None,
                reading: false,
                hint: FIRST_READ,
                since_yield: 0,
                watch: Default::default(),
            }),
            write: ConnLock::new(WriteState {
                wb: WriteBuffer::new(),
                flusher: None,
                drainers: Vec::new(),
                closers: Vec::new(),
                error: None,
                closed: false,
                handles,
                reader_alive: true,
                on_closed: None,
                unflushed: false,
                inline_blocked: false,
                inline_error: None,
            }),
            write_flags: AtomicU8::new(DRAIN_READY),
            watch_deferred: AtomicBool::new(false),
            transport: Mutex::new(slot),
            info: Mutex::new(info),
            can_write_eof: AtomicBool::new(can_write_eof),
            rt,
        }
    }

    /// Locks the write state (see [`WriteGuard`]).
    #[inline]
    pub(crate) fn lock_write(&self) -> WriteGuard<'_> {
        WriteGuard {
            guard: lock(&self.write),
            flags: &self.write_flags,
            known: None,
        }
    }

    /// A connection over an open transport, not yet started.
    pub(crate) fn open(
        rt: &Arc<dyn DynRuntime>,
        t: Box<dyn Transport>,
        limit: usize,
        on_closed: Option<Box<dyn FnOnce() + Send>>,
    ) -> Result<Arc<Shared>, Error> {
        let rb = ReadBuffer::new(limit)?;
        let shared = Shared::new(rb, Slot::Open(t), Some(rt.clone()), 1);
        shared.lock_write().on_closed = on_closed;
        Ok(Arc::new(shared))
    }

    /// asyncio's `transport.close()`: close after sending what is queued.
    pub(crate) fn close(&self) {
        let f = {
            let mut w = self.lock_write();
            w.wb.close();
            w.flusher.take()
        };
        if let Some(f) = f {
            f.wake();
        }
    }

    // ----- reading -------------------------------------------------------

    /// Runs `op` on the read buffer, reading from the transport while it
    /// needs data. `acquired` is the calling future's claim on the "a read
    /// is waiting" flag: taken when it first waits, released when it
    /// completes (or, by the caller, when it is dropped).
    #[inline(always)]
    pub(crate) fn poll_read_op(
        &self,
        cx: &mut Context<'_>,
        acquired: &mut bool,
        op: &mut impl FnMut(&mut ReadBuffer) -> Result<Step<bytes::Bytes>, Error>,
    ) -> Poll<Result<bytes::Bytes, Error>> {
        let mut st = lock(&self.read);
        let mut ran = false;
        if !*acquired {
            if st.reading {
                return Poll::Ready(Err(Error::ConcurrentRead));
            }
            // The common case: the buffer already holds the answer.
            match op(&mut st.rb) {
                Ok(Step::Ready(b)) => return Poll::Ready(Ok(b)),
                Err(e) => return Poll::Ready(Err(e)),
                Ok(Step::NeedData) => {
                    st.reading = true;
                    *acquired = true;
                    ran = true;
                }
            }
        }
        self.poll_read_wait(st, cx, acquired, op, ran)
    }

    /// The rest of [`poll_read_op`](Self::poll_read_op): the read has
    /// claimed the reader and runs `op` again after each transport read.
    #[inline(never)]
    fn poll_read_wait(
        &self,
        mut st: ConnGuard<'_, ReadState>,
        cx: &mut Context<'_>,
        acquired: &mut bool,
        op: &mut impl FnMut(&mut ReadBuffer) -> Result<Step<bytes::Bytes>, Error>,
        mut ran: bool,
    ) -> Poll<Result<bytes::Bytes, Error>> {
        let mut lost = None;
        let mut budget = BUDGET;
        let result = loop {
            // `ran`: the caller has just run `op`, which needs data.
            let step = if std::mem::take(&mut ran) {
                None
            } else {
                match op(&mut st.rb) {
                    Ok(Step::NeedData) => None,
                    Ok(Step::Ready(b)) => Some(Ok(b)),
                    Err(e) => Some(Err(e)),
                }
            };
            if let Some(r) = step {
                st.reading = false;
                *acquired = false;
                self.read_done(&mut st);
                break Poll::Ready(r);
            }
            if budget == 0 || st.since_yield >= READ_BUDGET {
                st.since_yield = 0;
                cx.waker().wake_by_ref();
                break Poll::Pending;
            }
            budget -= 1;
            // The read is about to need the socket: what the writers
            // queued goes out first, from this task (BufWriter's rule).
            self.flush_inline(cx);
            let before = st.rb.buffered();
            let filled = self.fill(&mut st, cx);
            st.since_yield += st.rb.buffered().saturating_sub(before);
            match filled {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => {
                    st.rb.set_error(e.clone());
                    lost = Some(e);
                }
                Poll::Pending => {
                    st.since_yield = 0;
                    if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        st.waker = Some(cx.waker().clone());
                    }
                    crate::watch_state::read_waits(&mut st.watch);
                    self.watch_deferred.store(false, Ordering::Relaxed);
                    break Poll::Pending;
                }
            }
        };
        drop(st);
        if let Some(e) = lost {
            self.lose(e);
        }
        result
    }

    /// A read that waited for the socket ended: the watcher may watch again
    /// (from the end of this poll, in the connection's own task).
    fn read_done(&self, st: &mut ReadState) {
        let own = self.in_own_task();
        crate::watch_state::read_done(&mut st.watch, own);
        if own {
            self.watch_deferred.store(true, Ordering::Relaxed);
        }
    }

    /// A waiting read future was dropped: another read may start, and the
    /// bytes a `read_to_end` had set aside count as buffered again.
    pub(crate) fn abandon_read(&self) {
        let mut st = lock(&self.read);
        st.reading = false;
        st.rb.abandon();
        self.read_done(&mut st);
    }

    /// One read from the transport into the buffer's spare room.
    fn fill(&self, st: &mut ReadState, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut slot = lock(&self.transport);
        match &mut *slot {
            Slot::Unbound | Slot::Upgrading => Poll::Pending,
            Slot::Closed => {
                st.rb.feed_eof();
                Poll::Ready(Ok(()))
            }
            Slot::Open(t) => {
                let hint = st.hint;
                let res = read_into(t.as_mut(), cx, &mut st.rb, hint);
                match res {
                    Poll::Ready(Ok(full)) => {
                        if full && hint < MAX_READ {
                            st.hint = hint * 2;
                        }
                        Poll::Ready(Ok(()))
                    }
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // Waiting with nothing buffered: keep a small room
                        // for the next read (what a BufReader keeps), give a
                        // large one back.
                        st.rb.release_if_empty_above(KEEP_WAITING);
                        Poll::Pending
                    }
                }
            }
        }
    }

    /// Wakes a read waiting for data (after `feed_data`, `feed_eof`, ...).
    pub(crate) fn wake_reader(&self) {
        let w = lock(&self.read).waker.take();
        if let Some(w) = w {
            w.wake();
        }
    }

    /// The connection failed: remember the error for drain, wait_closed and
    /// every read, drop queued bytes (with a warning), wake everyone.
    pub(crate) fn lose(&self, e: Error) {
        let flusher = {
            let mut w = self.lock_write();
            if w.closed {
                return;
            }
            if w.error.is_none() {
                w.error = Some(e.clone());
            }
            let n = w.wb.clear();
            if n > 0 {
                tracing::warn!("connection lost with {n} bytes not sent: {e}");
            }
            let d = std::mem::take(&mut w.drainers);
            wake_all(d);
            w.flusher.take()
        };
        if let Some(f) = flusher {
            f.wake();
        }
        let reader = {
            let mut r = lock(&self.read);
            if r.rb.exception().is_none() {
                r.rb.set_error(e);
            }
            r.waker.take()
        };
        if let Some(r) = reader {
            r.wake();
        }
    }

    /// Drops the transport and wakes every waiter; runs once.
    pub(crate) fn finish_close(&self) {
        let old = std::mem::replace(&mut *lock(&self.transport), Slot::Closed);
        drop(old);
        let (wakers, on_closed, clean) = {
            let mut w = self.lock_write();
            if w.closed {
                return;
            }
            w.closed = true;
            let n = w.wb.clear();
            if n > 0 {
                tracing::warn!("connection closed with {n} bytes not sent");
            }
            let mut wakers = std::mem::take(&mut w.drainers);
            wakers.append(&mut w.closers);
            wakers.extend(w.flusher.take());
            (wakers, w.on_closed.take(), w.error.is_none())
        };
        if clean {
            // asyncio's connection_lost(None) feeds EOF (bpo-35065): at_eof
            // once the buffered bytes are read. Before anyone is woken, so
            // `wait_closed` never returns ahead of it.
            lock(&self.read).rb.feed_eof();
        }
        wake_all(wakers);
        self.wake_reader();
        if let Some(f) = on_closed {
            f();
        }
    }

    /// asyncio's `transport.abort()`: drop queued bytes, reset, close now.
    pub(crate) fn abort(&self) {
        {
            let mut w = self.lock_write();
            if w.closed {
                return;
            }
            w.wb.clear();
            w.wb.close();
        }
        if let Slot::Open(t) = &mut *lock(&self.transport) {
            t.abort();
        }
        self.finish_close();
    }
}

thread_local! {
    /// Where a connection with no read buffer reads into (see [`Shared::fill`]):
    /// one per thread, grown to the largest read asked for, at most [`MAX_READ`].
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// One transport read into `rb`, at most `hint` bytes. Ready(true): the
/// read filled the room it was given; EOF is fed to `rb`.
///
/// A transport that holds the bytes itself (TLS plaintext) lends them
/// ([`Transport::poll_read_with`]): one copy, into the buffer. Others are
/// read into the thread's scratch buffer and what came is appended: a copy
/// of the bytes received, where reading into the buffer's own spare room
/// would first zero that room, and a connection waiting for its peer holds
/// at most a small buffer.
#[inline]
fn read_into(
    t: &mut dyn Transport,
    cx: &mut Context<'_>,
    rb: &mut ReadBuffer,
    hint: usize,
) -> Poll<Result<bool, Error>> {
    // `feed` fails only after EOF, which a read in progress has not seen.
    let mut refused = false;
    let mut sink = |chunk: &[u8]| refused |= rb.feed(chunk).is_err();
    let read = match t.poll_read_with(cx, hint, &mut sink) {
        Some(read) => read,
        None => read_via_scratch(t, cx, hint, &mut sink),
    };
    match read {
        Poll::Ready(Ok(0)) => {
            rb.feed_eof();
            Poll::Ready(Ok(false))
        }
        Poll::Ready(Ok(_)) if refused => Poll::Ready(Err(Error::FeedAfterEof)),
        Poll::Ready(Ok(n)) => Poll::Ready(Ok(n >= hint)),
        Poll::Ready(Err(e)) => Poll::Ready(Err(Error::connection(e))),
        Poll::Pending => Poll::Pending,
    }
}

/// One `poll_read` into the thread's scratch buffer; the bytes read (at
/// most `hint`) go to `sink`, and their count is returned.
fn read_via_scratch(
    t: &mut dyn Transport,
    cx: &mut Context<'_>,
    hint: usize,
    sink: &mut impl FnMut(&[u8]),
) -> Poll<io::Result<usize>> {
    SCRATCH.with(|cell| {
        let mut local;
        // Never re-entered in practice (a transport does not read another
        // connection from inside its poll_read); if it were, a fresh buffer.
        let mut borrowed = cell.try_borrow_mut();
        let buf: &mut Vec<u8> = match borrowed.as_deref_mut() {
            Ok(buf) => buf,
            Err(_) => {
                local = Vec::new();
                &mut local
            }
        };
        if buf.len() < hint {
            buf.resize(hint, 0);
        }
        let read = std::task::ready!(t.poll_read(cx, &mut buf[..hint]));
        Poll::Ready(read.map(|n| {
            let n = n.min(hint);
            if n > 0 {
                sink(&buf[..n]);
            }
            n
        }))
    })
}

#[cfg(test)]
mod tests;
