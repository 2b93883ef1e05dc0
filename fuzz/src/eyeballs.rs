//! Target `eyeballs`: the happy-eyeballs planner (`weir_proto::eyeballs`)
//! driven by arbitrary address lists and events, in virtual time.
//!
//! The input decodes to one to eight addresses (IPv4 and IPv6, duplicates
//! allowed), a delay (none, zero, small, or too large to add to an instant),
//! an interleave count, and a sequence of events: ask for the next action,
//! let time pass (or hand the planner an earlier instant), report an attempt
//! connected or failed (known ids, unknown ids, twice, late), or ask
//! `next_deadline`. The harness tracks what it was told and reported, and
//! checks that the schedule is valid:
//!
//! - `order()` holds the same addresses, the first one first;
//! - attempts start in order, once each, at `order()[id]`, only while no
//!   attempt has won, and only when the previous one has failed or the delay
//!   has passed since it started;
//! - `Wait { until }` only when nothing is due, with `until` the delay
//!   deadline of the running previous attempt, in the future;
//! - at most one winner, ever: the first attempt reported connected while
//!   running; `Connected { cancel }` lists exactly the attempts still running
//!   or connected late, in order, never the winner;
//! - `Failed` only when every attempt started and failed, with every error in
//!   order; nothing starts after a final action;
//! - `state()`, `winner()` and `next_deadline()` agree with the above.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use weir_proto::eyeballs::{Action, AttemptId, AttemptState, Planner};

use crate::input::Input;

/// At most this many events per input.
const MAX_EVENTS: usize = 200;

/// What the harness knows of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    NotStarted,
    Running,
    Failed(io::ErrorKind),
    Won,
    /// Listed in a `Connected { cancel }`.
    Cancelled,
    /// Reported connected after another attempt won: must be cancelled next.
    LateConnected,
}

/// Runs one fuzz input; panics if the planner breaks a rule.
///
/// # Examples
///
/// ```
/// weir_fuzz::eyeballs::run(b"\x02\x00\x01\x01\x02\x03\x00\x00\x02\x00\x00");
/// ```
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let n = 1 + input.below(8);
    let addrs: Vec<SocketAddr> = (0..n)
        .map(|_| {
            let host = input.below(4) as u8;
            let port = 80 + input.below(2) as u16;
            if input.flip() {
                SocketAddr::new(
                    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, host.into()).into(),
                    port,
                )
            } else {
                SocketAddr::new(Ipv4Addr::new(192, 0, 2, host).into(), port)
            }
        })
        .collect();
    let delay = match input.below(6) {
        0 => None,
        1 => Some(Duration::ZERO),
        2 => Some(Duration::from_millis(1)),
        3 => Some(Duration::from_millis(250)),
        4 => Some(Duration::MAX),
        _ => Some(Duration::from_micros(u64::from(input.u16()))),
    };
    let interleave = match input.below(4) {
        0 => None,
        k => Some(k - 1),
    };
    // Instants far from the clock's origin, so "earlier" instants exist.
    let t0 = Instant::now() + Duration::from_secs(3600);
    let mut p = Planner::new(addrs.clone(), delay, interleave, t0).expect("non-empty list");

    let order = p.order().to_vec();
    let mut a = addrs.clone();
    let mut b = order.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "order() is not a reordering of {addrs:?}: {order:?}");
    assert_eq!(order[0], addrs[0], "the first address must go first");

    let mut seen = vec![Seen::NotStarted; n];
    let mut starts: Vec<Option<Duration>> = vec![None; n];
    let mut next = 0usize;
    let mut winner: Option<usize> = None;
    let mut failed_final = false;
    let mut now = Duration::ZERO; // the harness's clock, as t0 + now
    let mut pnow = Duration::ZERO; // the latest instant the planner has been given
    let mut log: Vec<String> = vec![format!(
        "addrs {addrs:?} delay {delay:?} interleave {interleave:?}"
    )];

    let mut events = 0;
    while !input.is_empty() && events < MAX_EVENTS {
        events += 1;
        match input.below(8) {
            0..=2 => {
                let action = p.next_action(t0 + now);
                pnow = pnow.max(now);
                log.push(format!("{now:?}: {action:?}"));
                let due = start_due(next, n, winner, &seen, &starts, delay, now);
                let all_failed = seen.iter().all(|s| matches!(s, Seen::Failed(_)));
                match action {
                    Action::Start { id, addr } => {
                        check(due && !failed_final, "a start that is not due", &log);
                        check(id.0 == next, "attempts must start in order", &log);
                        check(addr == order[id.0], "the address must be order()[id]", &log);
                        seen[id.0] = Seen::Running;
                        starts[id.0] = Some(now);
                        next += 1;
                    }
                    Action::Wait { until } => {
                        check(!due, "Wait while a start is due", &log);
                        check(
                            winner.is_none() && !all_failed,
                            "Wait after the race ended",
                            &log,
                        );
                        let deadline = deadline(next, n, &seen, &starts, delay);
                        check(
                            until == deadline.map(|d| t0 + d),
                            "Wait { until } is not the delay deadline",
                            &log,
                        );
                        if let Some(d) = deadline {
                            check(d > now, "Wait until an instant already passed", &log);
                        }
                    }
                    Action::Connected { winner: w, cancel } => {
                        check(
                            Some(w.0) == winner,
                            "Connected names the wrong winner",
                            &log,
                        );
                        let want: Vec<AttemptId> = (0..n)
                            .filter(|&i| matches!(seen[i], Seen::Running | Seen::LateConnected))
                            .map(AttemptId)
                            .collect();
                        check(
                            cancel == want,
                            "cancel must list the running and late attempts",
                            &log,
                        );
                        for id in cancel {
                            seen[id.0] = Seen::Cancelled;
                        }
                    }
                    Action::Failed(errors) => {
                        check(
                            winner.is_none() && all_failed,
                            "Failed before every attempt failed",
                            &log,
                        );
                        check(errors.len() == n, "Failed must carry every error", &log);
                        for (i, (addr, err)) in errors.iter().enumerate() {
                            check(*addr == order[i], "errors must be in attempt order", &log);
                            check(
                                seen[i] == Seen::Failed(err.kind()),
                                "error kind differs from the report",
                                &log,
                            );
                        }
                        failed_final = true;
                    }
                }
            }
            3 => {
                let step = match input.below(6) {
                    0 => Duration::ZERO,
                    1 => Duration::from_millis(1),
                    2 => delay
                        .filter(|d| *d < Duration::from_secs(3600))
                        .unwrap_or_default(),
                    3 => Duration::from_micros(u64::from(input.u16())),
                    4 => Duration::from_secs(1),
                    _ => Duration::from_nanos(1),
                };
                now += step;
                log.push(format!("time +{step:?} = {now:?}"));
            }
            4 => {
                let id = input.below(n + 2);
                let earlier = input.flip();
                let at = if earlier {
                    now.saturating_sub(Duration::from_millis(5))
                } else {
                    now
                };
                log.push(format!("on_connected({id}) at {at:?}"));
                p.on_connected(AttemptId(id), t0 + at);
                pnow = pnow.max(at);
                if id < n {
                    match (seen[id], winner) {
                        (Seen::Running, None) => {
                            seen[id] = Seen::Won;
                            winner = Some(id);
                        }
                        (Seen::Running | Seen::Cancelled, Some(_)) => {
                            seen[id] = Seen::LateConnected
                        }
                        _ => {}
                    }
                }
            }
            5 | 6 => {
                let id = input.below(n + 2);
                let kind = [
                    io::ErrorKind::ConnectionRefused,
                    io::ErrorKind::TimedOut,
                    io::ErrorKind::HostUnreachable,
                ][input.below(3)];
                log.push(format!("on_failed({id}, {kind:?}) at {now:?}"));
                p.on_failed(AttemptId(id), kind.into(), t0 + now);
                pnow = pnow.max(now);
                if id < n && seen[id] == Seen::Running {
                    seen[id] = Seen::Failed(kind);
                }
            }
            _ => {
                let t = p.next_deadline();
                log.push(format!(
                    "next_deadline() = {:?}",
                    t.map(|t| t.saturating_duration_since(t0))
                ));
                let deadline = deadline(next, n, &seen, &starts, delay);
                // next_deadline answers for the latest instant the planner saw.
                let due = start_due(next, n, winner, &seen, &starts, delay, pnow);
                let all_failed = seen.iter().all(|s| matches!(s, Seen::Failed(_)));
                if let Some(t) = t {
                    check(t >= t0, "next_deadline before the start", &log);
                }
                if !due && winner.is_none() && !all_failed {
                    check(
                        t == deadline.map(|d| t0 + d),
                        "next_deadline is not the delay deadline while waiting",
                        &log,
                    );
                } else if due
                    || (winner.is_some()
                        && seen
                            .iter()
                            .any(|s| matches!(s, Seen::Running | Seen::LateConnected)))
                {
                    check(
                        t == Some(t0 + pnow),
                        "next_deadline must be the latest instant when an action is due",
                        &log,
                    );
                }
            }
        }
        // Questions agree with what the harness was told.
        check(p.winner() == winner.map(AttemptId), "winner()", &log);
        for (i, s) in seen.iter().enumerate() {
            let want = match s {
                Seen::NotStarted => AttemptState::NotStarted,
                Seen::Running => AttemptState::Running,
                Seen::Failed(_) => AttemptState::Failed,
                Seen::Won => AttemptState::Connected,
                Seen::Cancelled | Seen::LateConnected => AttemptState::Cancelled,
            };
            check(
                p.state(AttemptId(i)) == Some(want),
                &format!("state({i}) is not {want:?}"),
                &log,
            );
        }
        check(
            p.state(AttemptId(n)).is_none(),
            "state() of an unknown id",
            &log,
        );
    }
}

/// Whether the next attempt must start now: none has won, one is left, and
/// it is the first, or the previous one failed, or the delay has passed.
fn start_due(
    next: usize,
    n: usize,
    winner: Option<usize>,
    seen: &[Seen],
    starts: &[Option<Duration>],
    delay: Option<Duration>,
    now: Duration,
) -> bool {
    if winner.is_some() || next >= n {
        return false;
    }
    if next == 0 || matches!(seen[next - 1], Seen::Failed(_)) {
        return true;
    }
    deadline(next, n, seen, starts, delay).is_some_and(|d| now >= d)
}

/// The instant (as an offset) at which the next attempt starts if the
/// running previous one has not finished by then; `None` when no delay
/// applies (none given, none left, the previous one not running, or too
/// far to represent).
fn deadline(
    next: usize,
    n: usize,
    seen: &[Seen],
    starts: &[Option<Duration>],
    delay: Option<Duration>,
) -> Option<Duration> {
    if next >= n || next == 0 || seen[next - 1] != Seen::Running {
        return None;
    }
    let start = starts[next - 1]?;
    // The planner works on instants: a deadline past what an Instant can
    // hold means "never". An hour from t0 is far inside that range.
    let d = delay?;
    if d > Duration::from_secs(100 * 365 * 24 * 3600) {
        return None;
    }
    Some(start + d)
}

fn check(ok: bool, what: &str, log: &[String]) {
    if !ok {
        panic!("eyeballs: {what}\n  events:\n    {}", log.join("\n    "));
    }
}
