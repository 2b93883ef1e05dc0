//! Reading from a transport: what an idle connection keeps, and that the
//! scratch-buffer path reads exactly what the direct path did.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use super::{lock, Shared, Slot, FIRST_READ, KEEP_WAITING, MAX_READ, READ_BUDGET};
use crate::rt::{ExtraInfo, Transport};
use crate::{Error, ReadBuffer, Step};

/// What one `poll_read` returns; an exhausted script is `Pending` for ever.
#[derive(Clone, Debug)]
enum Next {
    Data(Vec<u8>),
    Eof,
}

/// A transport that hands out `script` one entry per `poll_read` (an entry
/// larger than the room is handed out over several reads) and records the
/// room each read was given.
#[derive(Clone, Default)]
struct Script(Arc<Mutex<(VecDeque<Next>, Vec<usize>)>>);

impl Script {
    fn push(&self, next: Next) {
        self.0.lock().unwrap().0.push_back(next);
    }
    fn rooms(&self) -> Vec<usize> {
        self.0.lock().unwrap().1.clone()
    }
}

impl Transport for Script {
    fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut s = self.0.lock().unwrap();
        s.1.push(buf.len());
        match s.0.pop_front() {
            None => Poll::Pending,
            Some(Next::Eof) => Poll::Ready(Ok(0)),
            Some(Next::Data(mut d)) => {
                let n = d.len().min(buf.len());
                buf[..n].copy_from_slice(&d[..n]);
                if n < d.len() {
                    s.0.push_front(Next::Data(d.split_off(n)));
                }
                Poll::Ready(Ok(n))
            }
        }
    }
    fn poll_write_vectored(
        &mut self,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
    }
    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn can_write_eof(&self) -> bool {
        true
    }
    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

fn connection(limit: usize) -> (Shared, Script) {
    let script = Script::default();
    let rb = ReadBuffer::new(limit).unwrap();
    let shared = Shared::new(rb, Slot::Open(Box::new(script.clone())), None, 0);
    (shared, script)
}

/// Polls `op` once; `None` while it waits.
fn poll(
    shared: &Shared,
    acquired: &mut bool,
    mut op: impl FnMut(&mut ReadBuffer) -> Result<Step<Bytes>, Error>,
) -> Option<Result<Bytes, Error>> {
    let mut cx = Context::from_waker(Waker::noop());
    match shared.poll_read_op(&mut cx, acquired, &mut op) {
        Poll::Ready(r) => Some(r),
        Poll::Pending => None,
    }
}

fn allocated(shared: &Shared) -> usize {
    lock(&shared.read).rb.allocated()
}

#[test]
fn a_connection_waiting_with_nothing_buffered_holds_at_most_a_small_buffer() {
    let (shared, script) = connection(1024);
    let mut acquired = false;
    // Never used: the waiting read holds nothing.
    assert!(poll(&shared, &mut acquired, |rb| rb.read_line()).is_none());
    assert_eq!(allocated(&shared), 0);
    // One line, then the next read waits: a small room is kept for the
    // next round trip, no more.
    script.push(Next::Data(b"PING\r\n".to_vec()));
    let line = poll(&shared, &mut acquired, |rb| rb.read_line()).unwrap();
    assert_eq!(&line.unwrap()[..], b"PING\r\n");
    assert!(poll(&shared, &mut acquired, |rb| rb.read_line()).is_none());
    assert!(allocated(&shared) <= KEEP_WAITING, "{}", allocated(&shared));
    // The next line is appended to that block: no allocation.
    assert!(allocated(&shared) > 0);
    script.push(Next::Data(b"PONG\r\n".to_vec()));
    let line = poll(&shared, &mut acquired, |rb| rb.read_line()).unwrap();
    assert_eq!(&line.unwrap()[..], b"PONG\r\n");
}

#[test]
fn a_large_room_is_given_back_once_the_reader_waits_empty() {
    let (shared, script) = connection(1 << 20);
    let mut acquired = false;
    // A partial line waits: its bytes stay.
    script.push(Next::Data(b"par".to_vec()));
    assert!(poll(&shared, &mut acquired, |rb| rb.read_line()).is_none());
    assert_eq!(lock(&shared.read).rb.buffered(), 3);
    script.push(Next::Data(b"tial\n".to_vec()));
    let line = poll(&shared, &mut acquired, |rb| rb.read_line()).unwrap();
    assert_eq!(&line.unwrap()[..], b"partial\n");
    // Waiting with nothing buffered: a small room stays...
    assert!(poll(&shared, &mut acquired, |rb| rb.read_line()).is_none());
    assert!(allocated(&shared) <= KEEP_WAITING, "{}", allocated(&shared));
    // ...a large one goes back.
    let long = [vec![b'x'; 3 * KEEP_WAITING], b"\n".to_vec()].concat();
    script.push(Next::Data(long[..2 * KEEP_WAITING].to_vec()));
    assert!(poll(&shared, &mut acquired, |rb| rb.read_line()).is_none());
    script.push(Next::Data(long[2 * KEEP_WAITING..].to_vec()));
    let line = poll(&shared, &mut acquired, |rb| rb.read_line()).unwrap();
    assert_eq!(line.unwrap().len(), long.len());
    assert!(poll(&shared, &mut acquired, |rb| rb.read_line()).is_none());
    assert_eq!(allocated(&shared), 0);
}

#[test]
fn reads_through_the_scratch_buffer_grow_like_direct_ones() {
    let (shared, script) = connection(1 << 20);
    let mut acquired = false;
    // Full reads double the next one's room, up to MAX_READ.
    let total = 4 * MAX_READ;
    script.push(Next::Data(vec![b'x'; total]));
    script.push(Next::Eof);
    // A read yields every READ_BUDGET bytes (fairness), so poll it again
    // until it is done, as a runtime would after its self-wake.
    let mut polls = 0;
    let all = loop {
        polls += 1;
        if let Some(r) = poll(&shared, &mut acquired, |rb| rb.read_to_end()) {
            break r;
        }
        assert!(polls < 100, "read_to_end never finished");
    };
    assert_eq!(all.unwrap().len(), total);
    assert!(
        polls >= total / READ_BUDGET,
        "{polls} polls read {total} bytes"
    );
    let rooms = script.rooms();
    assert_eq!(rooms[0], FIRST_READ);
    assert_eq!(rooms[1], 2 * FIRST_READ);
    assert!(rooms.iter().all(|&r| r <= 2 * MAX_READ), "{rooms:?}");
    assert!(rooms.contains(&MAX_READ), "{rooms:?}");
}

#[test]
fn eof_and_every_byte_arrive_through_either_path() {
    let (shared, script) = connection(16);
    let mut acquired = false;
    let mut got = Vec::new();
    for chunk in [&b"ab\ncd"[..], b"ef\n", b"\n", b"gh"] {
        script.push(Next::Data(chunk.to_vec()));
    }
    script.push(Next::Eof);
    loop {
        match poll(&shared, &mut acquired, |rb| rb.read_line()) {
            Some(Ok(line)) if line.is_empty() => break,
            Some(Ok(line)) => got.push(line),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, [&b"ab\n"[..], b"cdef\n", b"\n", b"gh"]);
    assert!(lock(&shared.read).rb.at_eof());
}
