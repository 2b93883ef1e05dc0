//! A log-linear latency histogram: 32 buckets per power of two (≤ 3 % error),
//! fixed size, cheap to record and to merge.

use std::time::Duration;

const SUB: u32 = 32;
const BUCKETS: usize = (64 - 5) * SUB as usize + SUB as usize;

/// Counts of durations in nanoseconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }

    fn index(ns: u64) -> usize {
        if ns < 2 * SUB as u64 {
            return ns as usize;
        }
        let e = 63 - ns.leading_zeros(); // ≥ 6
        let m = ns >> (e - 5); // 32..=63
        ((e - 5) * SUB) as usize + m as usize
    }

    /// The smallest value of a bucket.
    fn low(idx: usize) -> u64 {
        if idx < 2 * SUB as usize {
            return idx as u64;
        }
        let e = idx as u32 / SUB + 4;
        let m = (idx as u32 % SUB + SUB) as u128;
        u64::try_from(m << (e - 5)).unwrap_or(u64::MAX)
    }

    /// Records `n` samples of `d`.
    pub fn record_n(&mut self, d: Duration, n: u64) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[Self::index(ns)] += n;
        self.total += n;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The `q` quantile (0 < q ≤ 1): the middle of the bucket holding it.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (idx, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let lo = Self::low(idx);
                let hi = Self::low(idx + 1).max(lo + 1);
                return Some(Duration::from_nanos(lo + (hi - lo) / 2));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bound_their_values() {
        for idx in 0..BUCKETS - 1 {
            assert!(Histogram::low(idx) < Histogram::low(idx + 1), "{idx}");
        }
        for ns in (0..5000).chain([1 << 20, 123_456_789, 10_000_000_000, u64::MAX]) {
            let i = Histogram::index(ns);
            assert!(Histogram::low(i) <= ns, "{ns}");
            if i + 1 < BUCKETS {
                assert!(ns < Histogram::low(i + 1), "{ns}");
            }
        }
    }

    #[test]
    fn quantiles_are_within_three_percent() {
        let mut h = Histogram::new();
        for us in 1..=1000u64 {
            h.record_n(Duration::from_micros(us), 1);
        }
        let p99 = h.quantile(0.99).unwrap().as_nanos() as f64;
        assert!((p99 / 990_000.0 - 1.0).abs() < 0.03, "{p99}");
        let p50 = h.quantile(0.5).unwrap().as_nanos() as f64;
        assert!((p50 / 500_000.0 - 1.0).abs() < 0.03, "{p50}");
        let mut other = Histogram::new();
        other.record_n(Duration::from_secs(1), 1000);
        h.merge(&other);
        assert_eq!(h.count(), 2000);
        let top = h.quantile(0.99).unwrap().as_secs_f64();
        assert!((top - 1.0).abs() < 0.03, "{top}");
        assert_eq!(Histogram::new().quantile(0.99), None);
    }
}
