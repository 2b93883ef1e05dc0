//! Memory follows what is kept (issue 12): a server that keeps one short
//! result out of each 100 KiB burst must not keep each burst's buffer alive.
//!
//! 2,000 bursts of 100 KiB, one 10-byte result kept from each (20 KB in all),
//! read the three ways the async layer and its users read: `feed` of 64 KiB
//! chunks (the scratch-buffer path), `spare_mut` + `commit` (the direct
//! path, with `release_if_empty` while "waiting", as the stream does), and
//! `read_exactly` of a 10-byte header and its body. Each way, the growth of
//! the resident set must stay under 16 MB; a reader whose results pinned the
//! block they were split from would hold 2,000 blocks of 64–128 KiB
//! (over 128 MB).
//!
//! Each way runs in a child process of its own, so what one freed cannot
//! hide what the next holds.

#![cfg(target_os = "linux")]

use bytes::Bytes;
use weir_proto::{ReadBuffer, Step};

const BURSTS: usize = 2_000;
const BURST: usize = 100 << 10;
const CHUNK: usize = 64 << 10;
const BOUND: usize = 16 << 20;

/// The resident set size of this process, in bytes.
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    let kib: usize = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib << 10
}

/// One burst: a 10-byte line (`#` and the burst number), then 100-byte
/// filler lines up to `BURST` bytes in all.
fn burst(i: usize) -> Vec<u8> {
    static FILLER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let filler = FILLER.get_or_init(|| {
        let mut b = Vec::with_capacity(BURST);
        while b.len() < BURST - 10 {
            let n = (BURST - 10 - b.len()).min(100);
            b.extend(std::iter::repeat_n(b'x', n - 1));
            b.push(b'\n');
        }
        b
    });
    let mut b = format!("#{i:08}\n").into_bytes();
    assert_eq!(b.len(), 10);
    b.extend_from_slice(filler);
    b
}

fn ready(s: Result<Step<Bytes>, weir_proto::Error>) -> Option<Bytes> {
    match s.unwrap() {
        Step::Ready(b) => Some(b),
        Step::NeedData => None,
    }
}

/// Reads every line of every burst, keeping the first line of each.
/// `direct`: through `spare_mut` + `commit` (and `release_if_empty` when the
/// buffer runs dry), else through `feed`.
fn lines(direct: bool, bursts: std::ops::Range<usize>, kept: &mut Vec<Bytes>) {
    let mut rb = ReadBuffer::new(64 << 10).unwrap();
    for i in bursts {
        let data = burst(i);
        let mut first = true;
        for chunk in data.chunks(CHUNK) {
            if direct {
                let room = rb.spare_mut(CHUNK);
                room[..chunk.len()].copy_from_slice(chunk);
                rb.commit(chunk.len()).unwrap();
            } else {
                rb.feed(chunk).unwrap();
            }
            while let Some(line) = ready(rb.read_line()) {
                if first {
                    assert_eq!(line.len(), 10);
                    kept.push(line);
                    first = false;
                }
            }
            if direct {
                // What the stream does before it waits for the peer.
                rb.release_if_empty();
            }
        }
        assert_eq!(rb.buffered(), 0);
    }
}

/// A 10-byte header, then the rest of the burst as one body; keeps the header.
fn exactly(bursts: std::ops::Range<usize>, kept: &mut Vec<Bytes>) {
    let mut rb = ReadBuffer::new(64 << 10).unwrap();
    for i in bursts {
        let data = burst(i);
        let mut want = 10;
        let mut header = true;
        for chunk in data.chunks(CHUNK) {
            rb.feed(chunk).unwrap();
            while let Some(b) = ready(rb.read_exactly(want)) {
                if header {
                    kept.push(b);
                    want = BURST - 10;
                } else {
                    drop(b);
                    want = 10;
                }
                header = !header;
            }
        }
        assert_eq!(rb.buffered(), 0);
    }
}

/// Runs `f` over the bursts after one warm-up pass; returns the RSS growth.
fn growth(f: impl Fn(std::ops::Range<usize>, &mut Vec<Bytes>)) -> usize {
    let mut warm = Vec::new();
    f(0..50, &mut warm);
    drop(warm);
    let mut kept = Vec::with_capacity(BURSTS);
    let before = rss();
    f(0..BURSTS, &mut kept);
    let after = rss();
    assert_eq!(kept.len(), BURSTS);
    assert_eq!(&kept[1234][..], b"#00001234\n");
    after.saturating_sub(before)
}

const CASES: [&str; 3] = [
    "read_line via feed",
    "read_line via spare_mut/commit",
    "read_exactly via feed",
];

/// Each case runs in a process of its own (this test, run again with
/// `WEIR_RETENTION_CASE` set): memory one case freed would otherwise hide
/// what the next one holds.
#[test]
fn kept_results_do_not_pin_their_bursts() {
    if let Ok(case) = std::env::var("WEIR_RETENTION_CASE") {
        let grew = match case.as_str() {
            "read_line via feed" => growth(|r, k| lines(false, r, k)),
            "read_line via spare_mut/commit" => growth(|r, k| lines(true, r, k)),
            "read_exactly via feed" => growth(exactly),
            other => panic!("unknown case {other}"),
        };
        println!("RETENTION {grew}");
        return;
    }
    let mut failed = Vec::new();
    for case in CASES {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "kept_results_do_not_pin_their_bursts",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("WEIR_RETENTION_CASE", case)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let grew: usize = stdout
            .lines()
            .find_map(|l| l.split("RETENTION ").nth(1))
            .unwrap_or_else(|| {
                panic!(
                    "{case}: no figure; child said:\n{stdout}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number after RETENTION");
        eprintln!(
            "{case}: kept {BURSTS} results of 10 bytes; RSS grew {:.2} MB",
            grew as f64 / 1e6
        );
        if grew >= BOUND {
            failed.push((case, grew));
        }
    }
    assert!(
        failed.is_empty(),
        "RSS grew 16 MB or more keeping {BURSTS} results of 10 bytes: {failed:?}"
    );
}
