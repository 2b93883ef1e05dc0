//! A seeded generator of random, valid scenarios for the differential test.

use crate::run::Machine;
use crate::scenario::{ConnError, Scenario, Step};

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// True with probability `pct` percent.
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }
}

/// Separators drawn from the same small alphabet as the data, so they match often.
const SEPS: &[&[u8]] = &[
    b"\n",
    b"\n",
    b"\r\n",
    b"x",
    b"\r\n\r\n",
    b"ax",
    b"xa",
    b"a\r",
    b"aaa",
    b"\n\r",
    b"x\n",
    b"aaaaaaaa",
];

/// True for a read that finishes at once whatever the buffer holds.
fn immediate(step: &Step) -> bool {
    match step {
        Step::Read(n) => *n == 0,
        Step::ReadExactly(n) => *n <= 0,
        Step::ReadUntil(s) => s.is_empty(),
        Step::ReadUntilAny(l) => l.is_empty() || l.iter().any(Vec::is_empty),
        _ => false,
    }
}

struct Gen {
    rng: Rng,
    limit: u64,
    /// The limit as a size for random lengths, capped so huge limits stay quick.
    small: u64,
}

impl Gen {
    fn data(&mut self) -> Vec<u8> {
        let l = self.small;
        let len = match self.rng.range(0, 99) {
            0..=59 => self.rng.range(1, l + 2),
            60..=84 => self.rng.range(l + 2, 3 * l + 4),
            85..=94 => 0,
            _ => self.rng.range(3 * l, 5 * l + 10),
        };
        (0..len)
            .map(|_| match self.rng.range(0, 99) {
                0..=39 => b'a',
                40..=59 => b'\n',
                60..=74 => b'\r',
                75..=94 => b'x',
                _ => self.rng.pick(&[0u8, 0xff, b'"', b'\\', 0xe9]),
            })
            .collect()
    }

    fn read(&mut self) -> Step {
        let l = self.small;
        match self.rng.range(0, 99) {
            0..=21 => Step::Read(match self.rng.range(0, 9) {
                0..=2 => -1,
                3 => -(self.rng.range(2, 9) as i64),
                4 => 0,
                _ => self.rng.range(1, 2 * l + 2) as i64,
            }),
            22..=44 => Step::Readline,
            45..=64 => Step::ReadExactly(match self.rng.range(0, 19) {
                0 => 0,
                1 => -1,
                _ => self.rng.range(1, 2 * l + 3) as i64,
            }),
            65..=84 => {
                if self.rng.chance(2) {
                    Step::ReadUntil(Vec::new())
                } else {
                    Step::ReadUntil(self.rng.pick(SEPS).to_vec())
                }
            }
            _ => {
                let n = self.rng.range(0, 3);
                let mut list: Vec<Vec<u8>> = Vec::new();
                for _ in 0..n {
                    list.push(self.rng.pick(SEPS).to_vec());
                }
                if n == 0 && self.rng.chance(50) {
                    list.push(b"\n".to_vec());
                }
                if self.rng.chance(3) {
                    list.push(Vec::new());
                }
                Step::ReadUntilAny(list)
            }
        }
    }

    fn query(&mut self) -> Step {
        self.rng.pick(&[Step::AtEof, Step::Buffered, Step::Paused])
    }

    fn scenario(&mut self, name: String) -> Scenario {
        self.limit = if self.rng.chance(85) {
            self.rng.range(1, 20)
        } else {
            self.rng.pick(&[24, 32, 64, 100, 65536])
        };
        self.small = self.limit.min(40);
        let n = self.rng.range(4, 28);
        let mut steps: Vec<Step> = Vec::new();
        let mut m = Machine::new(self.limit);
        let (mut eof, mut error) = (false, false);
        while steps.len() < n as usize {
            let step = match self.rng.range(0, 99) {
                0..=34 if !eof && !error => self.data_step(),
                35..=39 => {
                    eof = true;
                    Step::Eof
                }
                40..=41 => {
                    error = true;
                    Step::Error(self.rng.pick(&ConnError::ALL))
                }
                42..=81 => {
                    let r = self.read();
                    if m.has_pending() && !self.would_wait(&steps, &m, &r) {
                        self.query()
                    } else {
                        r
                    }
                }
                _ => self.query(),
            };
            m.step(steps.len(), &step);
            steps.push(step);
        }
        if self.rng.chance(50) {
            for _ in 0..self.rng.range(1, 3) {
                steps.push(self.query());
            }
        }
        match Scenario::new(name, self.limit, steps) {
            Ok(s) => s,
            Err(e) => unreachable!("the generator broke a rule of the format: {e}"),
        }
    }

    fn data_step(&mut self) -> Step {
        Step::Feed(self.data())
    }

    /// Would `read`, started while another read waits, itself have to wait
    /// (so CPython, too, answers RuntimeError)? The format lets files start a
    /// concurrent read only then.
    fn would_wait(&self, steps: &[Step], m: &Machine, read: &Step) -> bool {
        if immediate(read) {
            return false;
        }
        if m.pending_is_to_end() {
            // CPython's read(-1) has moved every byte out of the buffer.
            return true;
        }
        let mut replay = Machine::new(self.limit);
        for (i, s) in steps.iter().enumerate() {
            replay.step(i, s);
        }
        if let Step::Read(n) = read {
            if *n < 0 {
                // CPython's read(-1) is a loop of read(limit): it takes what is
                // buffered before it waits, so it waits at once only if empty.
                return replay.rb.buffered() == 0;
            }
        }
        replay.probe_waits(read)
    }
}

/// `count` random scenarios from `seed`: the same seed always gives the same
/// scenarios.
///
/// Limits are mostly 1..=20 (sometimes larger), data is drawn from a small
/// alphabet (`a`, `\n`, `\r`, `x`, a few others) so separators are frequent,
/// chunks are sized around the limit so the overrun and backpressure
/// thresholds are crossed, queries are sprinkled in, `eof` or `error` come
/// sometimes. Files' rules hold: nothing is fed after `eof` or `error`, and a
/// read is started while another waits only where it would itself wait.
///
/// # Examples
///
/// ```
/// use weir_conformance::{generate, parse_file, to_jsonl};
/// let a = generate(7, 20);
/// assert_eq!(a, generate(7, 20));
/// assert_eq!(parse_file(&to_jsonl(&a)).unwrap(), a);
/// ```
pub fn generate(seed: u64, count: usize) -> Vec<Scenario> {
    let mut g = Gen {
        rng: Rng(seed ^ SALT),
        limit: 1,
        small: 1,
    };
    (0..count)
        .map(|k| g.scenario(format!("random-{seed}-{k}")))
        .collect()
}

/// A fixed salt so that seed 0 does not start SplitMix64 at zero.
const SALT: u64 = 0x5eed_0f5e_ed0f_5eed;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_file, run, to_jsonl};

    #[test]
    fn deterministic_and_round_trips_through_the_file_format() {
        let a = generate(42, 300);
        assert_eq!(a, generate(42, 300));
        assert_ne!(a, generate(43, 300));
        assert_eq!(parse_file(&to_jsonl(&a)).unwrap(), a);
    }

    #[test]
    fn covers_the_interesting_outcomes() {
        let text: String = generate(9, 400).iter().map(|s| run(s).to_json()).collect();
        for needle in [
            "LimitOverrunError",
            "IncompleteReadError",
            "ValueError",
            "RuntimeError",
            "ConnectionResetError",
            "\"pending\": true",
            "\"value\": true",
        ] {
            assert!(text.contains(needle), "no {needle} in 400 random scenarios");
        }
    }
}
