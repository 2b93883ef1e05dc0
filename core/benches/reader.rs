//! Throughput of `ReadBuffer` beside its peers, in memory.
//!
//! Three groups (see `core/benches/README.md` for the targets and results):
//! - `lines`: 64 MiB of 10–200 byte lines, weir's `read_line` fed in 64 KiB
//!   chunks, beside a bare memchr loop, the same loop splitting each line off
//!   a `BytesMut` (the floor for owned `Bytes`) or copying it out, tokio's `BufReader::read_until` and
//!   `read_line`, and tokio-util's `LinesCodec`;
//! - `records`: 64 MiB of HTTP-head-like records, weir's
//!   `read_until(b"\r\n\r\n")` beside a `memmem::Finder` scan, and the
//!   same scan splitting each record off a `BytesMut` fed in 64 KiB chunks;
//! - `byte_at_a_time`: one 256 KiB and one 1 MiB line fed a byte at a time to
//!   `read_until(b"\r\n\r\n")`: the 1 MiB time must be about 4× the 256 KiB
//!   time (linear), not 16× (quadratic).
//!
//! Run: `cargo bench -p weir-proto --bench reader`.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput};
use memchr::memmem;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::codec::{Decoder, LinesCodec};
use weir_proto::{ReadBuffer, Separators, Step};

const TOTAL: usize = 64 << 20;
const CHUNK: usize = 64 << 10;

/// SplitMix64: a small deterministic generator, so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// A printable ASCII byte that is not `\n` or `\r`.
    fn printable(&mut self) -> u8 {
        b' ' + (self.next() % 95) as u8
    }
}

/// About 64 MiB of lines, each 10–200 bytes long including its `\n`; returns
/// the data and the number of lines.
fn lines_data() -> (Vec<u8>, u64) {
    let mut rng = Rng(0x5745_4952_4c49_4e45);
    let mut data = Vec::with_capacity(TOTAL + 256);
    let mut lines = 0;
    while data.len() < TOTAL {
        let len = rng.range(10, 200);
        for _ in 0..len - 1 {
            data.push(rng.printable());
        }
        data.push(b'\n');
        lines += 1;
    }
    (data, lines)
}

/// About 64 MiB of HTTP-head-like records: a request line and 2–10 header
/// lines, each ending `\r\n`, then an empty line; returns the data and the
/// number of records.
fn records_data() -> (Vec<u8>, u64) {
    let mut rng = Rng(0x5745_4952_4845_4144);
    let mut data = Vec::with_capacity(TOTAL + 4096);
    let mut records = 0;
    while data.len() < TOTAL {
        data.extend_from_slice(b"GET /");
        for _ in 0..rng.range(1, 40) {
            data.push(b'a' + (rng.next() % 26) as u8);
        }
        data.extend_from_slice(b" HTTP/1.1\r\n");
        for _ in 0..rng.range(2, 10) {
            for _ in 0..rng.range(3, 16) {
                data.push(b'A' + (rng.next() % 26) as u8);
            }
            data.extend_from_slice(b": ");
            for _ in 0..rng.range(1, 60) {
                data.push(rng.printable());
            }
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b"\r\n");
        records += 1;
    }
    (data, records)
}

/// Every line through weir's `read_line`, fed in 64 KiB chunks; returns the count.
fn weir_read_line(data: &[u8]) -> u64 {
    let mut rb = ReadBuffer::new(64 << 10).unwrap();
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        rb.feed(chunk).unwrap();
        while let Step::Ready(line) = rb.read_line().unwrap() {
            black_box(line);
            n += 1;
        }
    }
    n
}

/// Every line split off a `BytesMut` with `split_to(..).freeze()` right after
/// memchr finds it: the floor for any reader that returns owned `Bytes`
/// without copying (one reference-count increment and decrement per line).
fn bytesmut_split_floor(data: &[u8]) -> u64 {
    let mut buf = BytesMut::new();
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        buf.extend_from_slice(chunk);
        while let Some(i) = memchr::memchr(b'\n', &buf) {
            black_box(buf.split_to(i + 1).freeze());
            n += 1;
        }
    }
    n
}

/// The same loop, each line copied out (`Bytes::copy_from_slice`, one
/// allocation) and the buffer advanced past it: nothing shares the buffer.
fn bytesmut_copy_floor(data: &[u8]) -> u64 {
    let mut buf = BytesMut::new();
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        buf.extend_from_slice(chunk);
        while let Some(i) = memchr::memchr(b'\n', &buf) {
            black_box(Bytes::copy_from_slice(&buf[..i + 1]));
            buf.advance(i + 1);
            n += 1;
        }
    }
    n
}

/// Every line's `(start, end)` with a bare memchr loop: the ceiling for a line reader.
fn memchr_lines(data: &[u8]) -> u64 {
    let mut start = 0;
    let mut n = 0;
    while let Some(i) = memchr::memchr(b'\n', &data[start..]) {
        let end = start + i + 1;
        black_box((start, end));
        start = end;
        n += 1;
    }
    n
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Every line through tokio's `BufReader::read_until` into one reused `Vec`.
fn tokio_read_until(rt: &tokio::runtime::Runtime, data: &[u8]) -> u64 {
    rt.block_on(async {
        let mut r = BufReader::with_capacity(CHUNK, data);
        let mut line = Vec::with_capacity(256);
        let mut n = 0;
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line).await.unwrap() == 0 {
                return n;
            }
            black_box(&line);
            n += 1;
        }
    })
}

/// Every line through tokio's `BufReader::read_line` into one reused `String`.
fn tokio_read_line(rt: &tokio::runtime::Runtime, data: &[u8]) -> u64 {
    rt.block_on(async {
        let mut r = BufReader::with_capacity(CHUNK, data);
        let mut line = String::with_capacity(256);
        let mut n = 0;
        loop {
            line.clear();
            if r.read_line(&mut line).await.unwrap() == 0 {
                return n;
            }
            black_box(&line);
            n += 1;
        }
    })
}

/// Every line through tokio-util's `LinesCodec`, fed in 64 KiB chunks.
fn lines_codec(data: &[u8]) -> u64 {
    let mut codec = LinesCodec::new_with_max_length(64 << 10);
    let mut buf = BytesMut::with_capacity(2 * CHUNK);
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        buf.extend_from_slice(chunk);
        while let Some(line) = codec.decode(&mut buf).unwrap() {
            black_box(line);
            n += 1;
        }
    }
    n
}

/// Every record through weir's `read_until(b"\r\n\r\n")`, fed in 64 KiB chunks.
fn weir_read_until(data: &[u8], sep: &Separators) -> u64 {
    let mut rb = ReadBuffer::new(64 << 10).unwrap();
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        rb.feed(chunk).unwrap();
        while let Step::Ready(rec) = rb.read_until(sep).unwrap() {
            black_box(rec);
            n += 1;
        }
    }
    n
}

/// Every record's `(start, end)` with one `memmem::Finder`.
fn memmem_records(data: &[u8], finder: &memmem::Finder<'_>) -> u64 {
    let mut start = 0;
    let mut n = 0;
    while let Some(i) = finder.find(&data[start..]) {
        let end = start + i + 4;
        black_box((start, end));
        start = end;
        n += 1;
    }
    n
}

/// Every record split off a `BytesMut` fed in 64 KiB chunks, right after one
/// `memmem::Finder` finds its end: the owned-`Bytes` floor for records, fed
/// (and so copied) as weir is.
fn memmem_split_floor(data: &[u8], finder: &memmem::Finder<'_>) -> u64 {
    let mut buf = BytesMut::new();
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        buf.extend_from_slice(chunk);
        while let Some(i) = finder.find(&buf) {
            black_box(buf.split_to(i + 4).freeze());
            n += 1;
        }
    }
    n
}

/// One line of `len` bytes ending `\r\n\r\n`, fed one byte at a time; `read_until`
/// is asked after every byte.
fn byte_at_a_time(line: &[u8], sep: &Separators) -> usize {
    let mut rb = ReadBuffer::new(2 << 20).unwrap();
    for b in line.chunks(1) {
        rb.feed(b).unwrap();
        if let Step::Ready(all) = rb.read_until(sep).unwrap() {
            return black_box(all).len();
        }
    }
    panic!("separator not found");
}

fn bench_lines(c: &mut Criterion) {
    let (data, lines) = lines_data();
    let rt = runtime();
    // Every reader must see every line, or the comparison means nothing.
    assert_eq!(weir_read_line(&data), lines);
    assert_eq!(memchr_lines(&data), lines);
    assert_eq!(bytesmut_split_floor(&data), lines);
    assert_eq!(bytesmut_copy_floor(&data), lines);
    assert_eq!(tokio_read_until(&rt, &data), lines);
    assert_eq!(tokio_read_line(&rt, &data), lines);
    assert_eq!(lines_codec(&data), lines);

    let mut g = c.benchmark_group("lines");
    g.throughput(Throughput::Elements(lines));
    g.bench_function("weir_read_line", |b| b.iter(|| weir_read_line(&data)));
    g.bench_function("bytesmut_split_floor", |b| {
        b.iter(|| bytesmut_split_floor(&data))
    });
    g.bench_function("bytesmut_copy_floor", |b| {
        b.iter(|| bytesmut_copy_floor(&data))
    });
    g.bench_function("memchr_loop", |b| b.iter(|| memchr_lines(&data)));
    g.bench_function("tokio_read_until", |b| {
        b.iter(|| tokio_read_until(&rt, &data))
    });
    g.bench_function("tokio_read_line", |b| {
        b.iter(|| tokio_read_line(&rt, &data))
    });
    g.bench_function("lines_codec", |b| b.iter(|| lines_codec(&data)));
    g.finish();
}

fn bench_records(c: &mut Criterion) {
    let (data, records) = records_data();
    let sep = Separators::new(b"\r\n\r\n").unwrap();
    let finder = memmem::Finder::new(b"\r\n\r\n");
    assert_eq!(weir_read_until(&data, &sep), records);
    assert_eq!(memmem_records(&data, &finder), records);
    assert_eq!(memmem_split_floor(&data, &finder), records);

    let mut g = c.benchmark_group("records");
    g.throughput(Throughput::Elements(records));
    g.bench_function("weir_read_until", |b| {
        b.iter(|| weir_read_until(&data, &sep))
    });
    g.bench_function("memmem_finder", |b| {
        b.iter(|| memmem_records(&data, &finder))
    });
    g.bench_function("memmem_split_floor", |b| {
        b.iter(|| memmem_split_floor(&data, &finder))
    });
    g.finish();
}

fn bench_byte_at_a_time(c: &mut Criterion) {
    let sep = Separators::new(b"\r\n\r\n").unwrap();
    let mut g = c.benchmark_group("byte_at_a_time");
    for kib in [256usize, 1024] {
        let mut line = vec![b'a'; kib * 1024 - 4];
        line.extend_from_slice(b"\r\n\r\n");
        assert_eq!(byte_at_a_time(&line, &sep), line.len());
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("read_until", format!("{kib}KiB")),
            &line,
            |b, line| b.iter(|| byte_at_a_time(line, &sep)),
        );
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench_lines(&mut c);
    bench_records(&mut c);
    bench_byte_at_a_time(&mut c);
    c.final_summary();
}
