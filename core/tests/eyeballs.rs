//! The happy-eyeballs planner in virtual time.
//!
//! A scripted network says, for each address, whether a connect succeeds,
//! fails, or never answers, and after how long. The harness drives a
//! `Planner` as a backend would: start what it asks, then advance a virtual
//! clock to the planner's deadline or the next scripted event, whichever
//! comes first, and report the events. No sockets, no sleeping.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use weir_proto::eyeballs::{Action, AttemptId, AttemptState, ConnectError, Planner};

/// What the network does with a connect to one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Connects this many ms after the attempt starts.
    Connect(u64),
    /// Fails this many ms after the attempt starts.
    Fail(u64),
    /// Never answers.
    Silent,
}

fn v4(n: u8) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, n], 443))
}

fn v6(n: u16) -> SocketAddr {
    SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, n], 443))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The error the scripted network returns for `addr`: its message names the address.
fn scripted_error(addr: SocketAddr) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionRefused,
        format!("refused by {addr}"),
    )
}

/// How a run ended.
#[derive(Debug)]
enum End {
    Connected {
        winner: AttemptId,
        cancel: Vec<AttemptId>,
    },
    Failed(Vec<(SocketAddr, io::Error)>),
    /// The planner waits for results that the script never delivers.
    Hung,
}

/// One driven race: what started when, what ended when, and how it ended.
#[derive(Debug)]
struct Run {
    end: End,
    /// Virtual time (since the planner's creation) at the end.
    at: Duration,
    /// Start time per started attempt, indexed by id.
    starts: Vec<Duration>,
    /// Failure time of each attempt whose failure was delivered.
    failed_at: HashMap<AttemptId, Duration>,
    /// The largest number of attempts running at once.
    max_running: usize,
}

/// The scripted network and the virtual clock.
struct Harness {
    base: Instant,
    now: Duration,
    script: HashMap<SocketAddr, Outcome>,
    /// Events not yet delivered: (time, start sequence, id, outcome).
    pending: Vec<(Duration, usize, AttemptId, Outcome)>,
    /// Deliver events of the same instant latest-started first.
    reverse_ties: bool,
}

impl Harness {
    fn new(script: &[(SocketAddr, Outcome)]) -> Harness {
        Harness {
            base: Instant::now(),
            now: Duration::ZERO,
            script: script.iter().copied().collect(),
            pending: Vec::new(),
            reverse_ties: false,
        }
    }

    fn instant(&self) -> Instant {
        self.base + self.now
    }

    fn planner_for(
        &self,
        addrs: &[SocketAddr],
        delay: Option<Duration>,
        interleave: Option<usize>,
    ) -> Planner {
        Planner::new(addrs.to_vec(), delay, interleave, self.instant()).unwrap()
    }

    /// Delivers every event due at the current time, in tie order.
    fn deliver_due(&mut self, p: &mut Planner, run: &mut Run, running: &mut usize) {
        let now = self.now;
        let mut due: Vec<_> = self
            .pending
            .iter()
            .filter(|e| e.0 == now)
            .copied()
            .collect();
        self.pending.retain(|e| e.0 != now);
        due.sort_by_key(|e| e.1);
        if self.reverse_ties {
            due.reverse();
        }
        for (_, _, id, outcome) in due {
            *running -= 1;
            match outcome {
                Outcome::Connect(_) => p.on_connected(id, self.instant()),
                Outcome::Fail(_) => {
                    run.failed_at.insert(id, now);
                    p.on_failed(id, scripted_error(p.addr(id).unwrap()), self.instant());
                }
                Outcome::Silent => unreachable!("silent attempts schedule no event"),
            }
        }
    }

    /// Drives `p` until it connects, fails, or waits forever.
    fn drive(&mut self, p: &mut Planner) -> Run {
        let mut run = Run {
            end: End::Hung,
            at: Duration::ZERO,
            starts: Vec::new(),
            failed_at: HashMap::new(),
            max_running: 0,
        };
        let mut running = 0;
        for _ in 0..10_000 {
            let until = loop {
                match p.next_action(self.instant()) {
                    Action::Start { id, addr } => {
                        assert_eq!(id.0, run.starts.len(), "attempts start in order, once each");
                        assert_eq!(addr, p.order()[id.0], "attempt {id:?} has its address");
                        run.starts.push(self.now);
                        running += 1;
                        run.max_running = run.max_running.max(running);
                        let outcome = self.script[&addr];
                        let after = match outcome {
                            Outcome::Connect(t) | Outcome::Fail(t) => ms(t),
                            Outcome::Silent => continue,
                        };
                        self.pending.push((self.now + after, id.0, id, outcome));
                    }
                    Action::Wait { until } => {
                        assert!(running > 0, "the planner waits only while an attempt runs");
                        assert_eq!(until, p.next_deadline(), "next_deadline agrees with Wait");
                        if let Some(t) = until {
                            assert!(t > self.instant(), "a Wait deadline is in the future");
                        }
                        break until;
                    }
                    Action::Connected { winner, cancel } => {
                        run.end = End::Connected { winner, cancel };
                        run.at = self.now;
                        return run;
                    }
                    Action::Failed(errors) => {
                        run.end = End::Failed(errors);
                        run.at = self.now;
                        return run;
                    }
                }
            };
            let next_event = self.pending.iter().map(|e| e.0).min();
            let deadline = until.map(|t| t.duration_since(self.base));
            let next = match (next_event, deadline) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => {
                        run.at = self.now;
                        return run;
                    }
                },
            };
            assert!(next >= self.now, "virtual time never runs backwards");
            self.now = next;
            self.deliver_due(p, &mut run, &mut running);
        }
        panic!("the race did not end within 10000 steps");
    }
}

fn connected(run: &Run) -> (AttemptId, Vec<AttemptId>) {
    match &run.end {
        End::Connected { winner, cancel } => (*winner, cancel.clone()),
        other => panic!("expected a connection, got {other:?}"),
    }
}

#[test]
fn interleave_v6_v6_v4_v4() {
    let addrs = [v6(1), v6(2), v4(1), v4(2)];
    let h = Harness::new(&[]);
    let one = h.planner_for(&addrs, Some(ms(250)), Some(1));
    assert_eq!(one.order(), [v6(1), v4(1), v6(2), v4(2)]);
    let two = h.planner_for(&addrs, Some(ms(250)), Some(2));
    assert_eq!(two.order(), [v6(1), v6(2), v4(1), v4(2)]);
    // the default with a delay is 1; without a delay, the resolver's order
    assert_eq!(
        h.planner_for(&addrs, Some(ms(250)), None).order(),
        one.order()
    );
    assert_eq!(h.planner_for(&addrs, None, None).order(), addrs);
}

#[test]
fn attempts_start_in_the_interleaved_order() {
    let addrs = [v6(1), v6(2), v4(1), v4(2)];
    let mut h = Harness::new(&addrs.map(|a| (a, Outcome::Silent)));
    let mut p = h.planner_for(&addrs, Some(ms(100)), Some(1));
    let run = h.drive(&mut p);
    assert!(matches!(run.end, End::Hung));
    assert_eq!(run.starts, [ms(0), ms(100), ms(200), ms(300)]);
    let states: Vec<_> = (0..4).map(|i| p.state(AttemptId(i)).unwrap()).collect();
    assert_eq!(states, [AttemptState::Running; 4]);
    assert_eq!(p.order(), [v6(1), v4(1), v6(2), v4(2)]);
}

#[test]
fn silent_first_address_loses_to_the_second_within_the_delay() {
    let mut h = Harness::new(&[(v6(1), Outcome::Silent), (v4(1), Outcome::Connect(30))]);
    let mut p = h.planner_for(&[v6(1), v4(1)], Some(ms(250)), None);
    let run = h.drive(&mut p);
    assert_eq!(run.starts, [ms(0), ms(250)]);
    assert_eq!(connected(&run), (AttemptId(1), vec![AttemptId(0)]));
    assert_eq!(run.at, ms(280));
    assert_eq!(p.state(AttemptId(0)), Some(AttemptState::Cancelled));
    assert_eq!(p.state(AttemptId(1)), Some(AttemptState::Connected));
}

#[test]
fn a_fast_failure_starts_the_next_attempt_before_the_delay() {
    let mut h = Harness::new(&[(v6(1), Outcome::Fail(10)), (v4(1), Outcome::Connect(30))]);
    let mut p = h.planner_for(&[v6(1), v4(1)], Some(ms(250)), None);
    let run = h.drive(&mut p);
    assert_eq!(run.starts, [ms(0), ms(10)]);
    assert_eq!(connected(&run), (AttemptId(1), vec![]));
    assert_eq!(run.at, ms(40));
}

#[test]
fn only_the_latest_attempt_failing_advances_the_schedule() {
    // attempt 0 fails after attempt 1 started: asyncio waits on the
    // immediately preceding attempt only, so attempt 2 keeps its timer
    let addrs = [v4(1), v4(2), v4(3)];
    let mut h = Harness::new(&[
        (v4(1), Outcome::Fail(150)),
        (v4(2), Outcome::Silent),
        (v4(3), Outcome::Connect(5)),
    ]);
    let mut p = h.planner_for(&addrs, Some(ms(100)), None);
    let run = h.drive(&mut p);
    assert_eq!(run.starts, [ms(0), ms(100), ms(200)]);
    assert_eq!(connected(&run), (AttemptId(2), vec![AttemptId(1)]));
}

#[test]
fn an_earlier_attempt_can_still_win() {
    let mut h = Harness::new(&[
        (v6(1), Outcome::Connect(120)),
        (v4(1), Outcome::Connect(500)),
    ]);
    let mut p = h.planner_for(&[v6(1), v4(1)], Some(ms(100)), None);
    let run = h.drive(&mut p);
    assert_eq!(run.starts, [ms(0), ms(100)]);
    assert_eq!(connected(&run), (AttemptId(0), vec![AttemptId(1)]));
    assert_eq!(run.at, ms(120));
}

#[test]
fn all_fail_with_every_error_in_attempt_order() {
    let addrs = [v6(1), v6(2), v4(1)];
    let mut h = Harness::new(&[
        (v6(1), Outcome::Fail(40)),
        (v6(2), Outcome::Fail(5)),
        (v4(1), Outcome::Fail(300)),
    ]);
    let mut p = h.planner_for(&addrs, Some(ms(250)), None);
    assert_eq!(p.order(), [v6(1), v4(1), v6(2)]);
    let run = h.drive(&mut p);
    assert_eq!(run.starts, [ms(0), ms(40), ms(290)]);
    let End::Failed(errors) = run.end else {
        panic!("expected Failed, got {:?}", run.end)
    };
    let got: Vec<_> = errors.iter().map(|(a, e)| (*a, e.to_string())).collect();
    let want: Vec<_> = p
        .order()
        .iter()
        .map(|a| (*a, format!("refused by {a}")))
        .collect();
    assert_eq!(got, want);
    assert_eq!(run.at, ms(340));

    // one error naming every address, like asyncio's "Multiple exceptions"
    let err = io::Error::from(ConnectError::new(errors));
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    let msg = err.to_string();
    assert!(
        msg.starts_with("all 3 connection attempts failed: "),
        "{msg}"
    );
    for a in addrs {
        assert!(msg.contains(&format!("{a}: refused by {a}")), "{msg}");
    }

    // asked again: the same errors, copied
    let Action::Failed(again) = p.next_action(h.instant()) else {
        panic!("Failed is final")
    };
    let again: Vec<_> = again.iter().map(|(a, e)| (*a, e.to_string())).collect();
    assert_eq!(again, want);
    assert_eq!(p.next_deadline(), None);
}

#[test]
fn identical_errors_read_as_one_like_asyncio() {
    let refused = || io::Error::from(io::ErrorKind::ConnectionRefused);
    let e = ConnectError::new(vec![(v6(1), refused()), (v4(1), refused())]);
    let msg = e.to_string();
    assert_eq!(
        msg,
        format!("connect to {}, {} failed: {}", v6(1), v4(1), refused())
    );
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    assert_eq!(e.errors().len(), 2);
}

#[test]
fn two_successes_at_the_same_instant_make_one_winner() {
    // attempt 0 connects at 150; attempt 1 starts at 100 and connects at 150
    for reverse_ties in [false, true] {
        let mut h = Harness::new(&[
            (v6(1), Outcome::Connect(150)),
            (v4(1), Outcome::Connect(50)),
        ]);
        h.reverse_ties = reverse_ties;
        let mut p = h.planner_for(&[v6(1), v4(1)], Some(ms(100)), None);
        let run = h.drive(&mut p);
        assert_eq!(run.at, ms(150));
        let (winner, cancel) = connected(&run);
        // the first reported wins; the other, connected too, is cancelled
        let (w, c) = if reverse_ties { (1, 0) } else { (0, 1) };
        assert_eq!((winner, cancel), (AttemptId(w), vec![AttemptId(c)]));
        assert_eq!(p.winner(), Some(AttemptId(w)));
        assert_eq!(p.state(AttemptId(c)), Some(AttemptState::Cancelled));
    }
}

#[test]
fn without_a_delay_attempts_run_one_at_a_time() {
    let addrs = [v6(1), v4(1), v6(2)];
    let mut h = Harness::new(&[
        (v6(1), Outcome::Fail(1000)),
        (v4(1), Outcome::Fail(2000)),
        (v6(2), Outcome::Connect(10)),
    ]);
    let mut p = h.planner_for(&addrs, None, None);
    assert_eq!(p.order(), addrs);
    let run = h.drive(&mut p);
    assert_eq!(run.starts, [ms(0), ms(1000), ms(3000)]);
    assert_eq!(run.max_running, 1);
    assert_eq!(connected(&run), (AttemptId(2), vec![]));
}

#[test]
fn without_a_delay_a_silent_address_blocks_like_asyncio() {
    let mut h = Harness::new(&[(v4(1), Outcome::Silent), (v4(2), Outcome::Connect(1))]);
    let mut p = h.planner_for(&[v4(1), v4(2)], None, None);
    let run = h.drive(&mut p);
    assert!(matches!(run.end, End::Hung));
    assert_eq!(run.starts, [ms(0)]);
    assert_eq!(p.next_deadline(), None);
}

#[test]
fn a_zero_delay_starts_everything_at_once() {
    let mut h = Harness::new(&[(v4(1), Outcome::Silent), (v6(1), Outcome::Connect(7))]);
    let mut p = h.planner_for(&[v4(1), v6(1)], Some(Duration::ZERO), None);
    let run = h.drive(&mut p);
    assert_eq!(run.starts, [ms(0), ms(0)]);
    assert_eq!(run.max_running, 2);
    assert_eq!(connected(&run), (AttemptId(1), vec![AttemptId(0)]));
    assert_eq!(run.at, ms(7));
}

#[test]
fn misuse_is_ignored_as_documented() {
    let t = Instant::now();
    let d = ms(100);
    let addrs = vec![v4(1), v4(2), v4(3), v4(4)];
    let mut p = Planner::new(addrs, Some(d), None, t).unwrap();
    // results for unknown ids and attempts never started change nothing
    p.on_connected(AttemptId(99), t);
    p.on_failed(AttemptId(99), scripted_error(v4(1)), t);
    p.on_connected(AttemptId(2), t);
    p.on_failed(AttemptId(1), scripted_error(v4(2)), t);
    assert_eq!(p.winner(), None);
    assert!(matches!(
        p.next_action(t),
        Action::Start {
            id: AttemptId(0),
            ..
        }
    ));
    // a second failure report for the same attempt is ignored
    p.on_failed(AttemptId(0), scripted_error(v4(1)), t);
    p.on_failed(AttemptId(0), io::ErrorKind::TimedOut.into(), t);
    assert!(matches!(
        p.next_action(t),
        Action::Start {
            id: AttemptId(1),
            ..
        }
    ));
    assert!(matches!(p.next_action(t), Action::Wait { until: Some(u) } if u == t + d));
    // time going backwards: read as the latest instant
    assert!(matches!(p.next_action(t - ms(50)), Action::Wait { until: Some(u) } if u == t + d));
    assert!(matches!(
        p.next_action(t + d),
        Action::Start {
            id: AttemptId(2),
            ..
        }
    ));
    let t2 = t + d + d;
    assert!(matches!(
        p.next_action(t2),
        Action::Start {
            id: AttemptId(3),
            ..
        }
    ));
    // a failed attempt cannot win afterwards
    p.on_connected(AttemptId(0), t2);
    assert_eq!(p.winner(), None);
    p.on_connected(AttemptId(2), t2);
    p.on_connected(AttemptId(2), t2); // the winner again: ignored
                                      // failed after the win, before Connected was returned: failed, not cancelled
    p.on_failed(AttemptId(3), io::ErrorKind::TimedOut.into(), t2);
    assert_eq!(p.state(AttemptId(3)), Some(AttemptState::Failed));
    let Action::Connected { winner, cancel } = p.next_action(t2) else {
        panic!("expected the winner")
    };
    assert_eq!((winner, cancel), (AttemptId(2), vec![AttemptId(1)]));
    assert_eq!(p.next_deadline(), None);
    // a failure of a cancelled attempt is ignored: it stays cancelled
    p.on_failed(AttemptId(1), io::ErrorKind::TimedOut.into(), t2);
    assert_eq!(p.state(AttemptId(1)), Some(AttemptState::Cancelled));
    // asked again: the same winner, nothing more to cancel
    let Action::Connected { winner, cancel } = p.next_action(t2) else {
        panic!("Connected is final")
    };
    assert_eq!((winner, cancel), (AttemptId(2), vec![]));
    // a cancelled attempt that connects anyway is listed again, once
    p.on_connected(AttemptId(1), t2);
    assert_eq!(p.next_deadline(), Some(t2));
    let Action::Connected { cancel, .. } = p.next_action(t) else {
        panic!("Connected is final")
    };
    assert_eq!(cancel, [AttemptId(1)]);
    let Action::Connected { cancel, .. } = p.next_action(t) else {
        panic!("Connected is final")
    };
    assert!(cancel.is_empty());
    assert_eq!(p.state(AttemptId(0)), Some(AttemptState::Failed));
}

#[test]
fn an_earlier_now_reads_as_the_latest_instant_seen() {
    let t = Instant::now();
    let d = ms(100);
    let mut p = Planner::new(vec![v4(1), v4(2), v4(3)], Some(d), None, t).unwrap();
    assert!(matches!(
        p.next_action(t),
        Action::Start {
            id: AttemptId(0),
            ..
        }
    ));
    p.on_failed(AttemptId(0), scripted_error(v4(1)), t + ms(30));
    // the driver passes a stale instant: attempt 1 counts as started at t + 30
    assert!(matches!(
        p.next_action(t),
        Action::Start {
            id: AttemptId(1),
            ..
        }
    ));
    let want = t + ms(30) + d;
    assert!(matches!(p.next_action(t), Action::Wait { until: Some(u) } if u == want));
    assert_eq!(p.next_deadline(), Some(want));
    assert!(matches!(p.next_action(want - ms(1)), Action::Wait { .. }));
    assert!(matches!(
        p.next_action(want),
        Action::Start {
            id: AttemptId(2),
            ..
        }
    ));
}

#[test]
fn next_deadline_before_any_action_and_after_a_failure() {
    let t = Instant::now();
    let mut p = Planner::new(vec![v4(1), v4(2)], Some(ms(100)), None, t).unwrap();
    assert_eq!(p.next_deadline(), Some(t));
    p.next_action(t);
    assert_eq!(p.next_deadline(), Some(t + ms(100)));
    p.on_failed(AttemptId(0), scripted_error(v4(1)), t + ms(30));
    assert_eq!(
        p.next_deadline(),
        Some(t + ms(30)),
        "the next start is due at once"
    );
    p.next_action(t + ms(30));
    assert_eq!(p.next_deadline(), None, "nothing left to start");
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        (0u64..400).prop_map(Outcome::Connect),
        (0u64..400).prop_map(Outcome::Fail),
        Just(Outcome::Silent),
    ]
}

fn address(i: usize, ipv6: bool) -> SocketAddr {
    if ipv6 {
        v6(i as u16 + 1)
    } else {
        v4(i as u8 + 1)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_races_keep_every_invariant(
        plan in prop::collection::vec((any::<bool>(), outcome()), 1..7),
        delay in prop::option::of(0u64..300),
        interleave in prop::option::of(0usize..4),
        reverse_ties in any::<bool>(),
    ) {
        let script: Vec<(SocketAddr, Outcome)> =
            plan.iter().enumerate().map(|(i, (six, o))| (address(i, *six), *o)).collect();
        let addrs: Vec<SocketAddr> = script.iter().map(|(a, _)| *a).collect();
        let mut h = Harness::new(&script);
        h.reverse_ties = reverse_ties;
        let delay = delay.map(ms);
        let mut p = h.planner_for(&addrs, delay, interleave);
        let run = h.drive(&mut p);

        // the order is a permutation of the resolver's list
        let mut sorted_order = p.order().to_vec();
        sorted_order.sort();
        let mut sorted_addrs = addrs.clone();
        sorted_addrs.sort();
        prop_assert_eq!(sorted_order, sorted_addrs);

        let outcome_of = |id: usize| h.script[&p.order()[id]];
        let end_of = |id: usize| match outcome_of(id) {
            Outcome::Connect(t) | Outcome::Fail(t) => Some(run.starts[id] + ms(t)),
            Outcome::Silent => None,
        };
        let fail_time = |id: usize| match outcome_of(id) {
            Outcome::Fail(_) => end_of(id),
            _ => None,
        };
        // when attempt k + 1 becomes due: k's delay runs out or k fails
        let due_after = |k: usize| {
            let by_delay = delay.map(|d| run.starts[k] + d);
            match (by_delay, fail_time(k)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };

        // starts never earlier (nor later) than the schedule allows
        prop_assert_eq!(run.starts.first(), Some(&Duration::ZERO));
        for k in 1..run.starts.len() {
            prop_assert_eq!(Some(run.starts[k]), due_after(k - 1), "start of attempt {}", k);
        }
        if delay.is_none() {
            prop_assert_eq!(run.max_running, 1);
        }
        // a failure is delivered exactly when scripted, and only for started attempts
        for (id, at) in &run.failed_at {
            prop_assert_eq!(Some(*at), fail_time(id.0));
        }

        let started = run.starts.len();
        let n = p.order().len();
        match &run.end {
            End::Connected { winner, cancel } => {
                let w = winner.0;
                prop_assert!(w < started);
                prop_assert!(matches!(outcome_of(w), Outcome::Connect(_)));
                prop_assert_eq!(end_of(w), Some(run.at));
                prop_assert_eq!(p.winner(), Some(*winner));
                // nobody connected earlier than the winner
                for id in 0..started {
                    if let Outcome::Connect(_) = outcome_of(id) {
                        prop_assert!(end_of(id).unwrap() >= run.at, "attempt {} connected first", id);
                    }
                }
                // of several connecting in the same instant, the first reported wins
                let tied = (0..started)
                    .filter(|&id| matches!(outcome_of(id), Outcome::Connect(_)))
                    .filter(|&id| end_of(id) == Some(run.at));
                let first = if reverse_ties { tied.max() } else { tied.min() };
                prop_assert_eq!(first, Some(w));
                // the next attempt was not yet due when the race ended
                if started < n {
                    if let Some(due) = due_after(started - 1) {
                        prop_assert!(due >= run.at);
                    }
                }
                // cancel: exactly the started attempts that had not failed by the end
                let want: Vec<AttemptId> = (0..started)
                    .filter(|&id| id != w && !run.failed_at.contains_key(&AttemptId(id)))
                    .map(AttemptId)
                    .collect();
                prop_assert_eq!(cancel, &want);
                // every started attempt ended connected, failed or cancelled
                for id in 0..n {
                    let state = p.state(AttemptId(id)).unwrap();
                    let expected = if id == w {
                        AttemptState::Connected
                    } else if id >= started {
                        AttemptState::NotStarted
                    } else if run.failed_at.contains_key(&AttemptId(id)) {
                        AttemptState::Failed
                    } else {
                        AttemptState::Cancelled
                    };
                    prop_assert_eq!(state, expected, "attempt {}", id);
                }
                // events after the end: late connections are listed for
                // cancellation once; late failures are ignored; the winner stays
                let mut late: Vec<AttemptId> = Vec::new();
                let after = h.instant();
                for (_, _, id, outcome) in std::mem::take(&mut h.pending) {
                    match outcome {
                        Outcome::Connect(_) => {
                            p.on_connected(id, after);
                            late.push(id);
                        }
                        _ => p.on_failed(id, scripted_error(p.addr(id).unwrap()), after),
                    }
                }
                late.sort();
                late.dedup();
                let Action::Connected { winner: again, cancel } = p.next_action(after) else {
                    return Err(TestCaseError::fail("Connected must be final"));
                };
                prop_assert_eq!(again, *winner);
                prop_assert_eq!(cancel, late);
                let Action::Connected { cancel, .. } = p.next_action(after) else {
                    return Err(TestCaseError::fail("Connected must be final"));
                };
                prop_assert!(cancel.is_empty());
            }
            End::Failed(errors) => {
                prop_assert_eq!(started, n);
                prop_assert_eq!(run.failed_at.len(), n);
                let got: Vec<_> = errors.iter().map(|(a, e)| (*a, e.to_string())).collect();
                let want: Vec<_> =
                    p.order().iter().map(|a| (*a, format!("refused by {a}"))).collect();
                prop_assert_eq!(got, want);
                prop_assert_eq!(p.winner(), None);
            }
            End::Hung => {
                // only when every running attempt is silent and nothing else is due
                prop_assert_eq!(p.next_deadline(), None);
                prop_assert!(h.pending.is_empty());
                let running: Vec<usize> = (0..started)
                    .filter(|&id| p.state(AttemptId(id)) == Some(AttemptState::Running))
                    .collect();
                prop_assert!(!running.is_empty());
                for id in running {
                    prop_assert_eq!(outcome_of(id), Outcome::Silent);
                }
                if started < n {
                    prop_assert!(delay.is_none(), "with a delay every attempt starts");
                }
            }
        }
    }
}
