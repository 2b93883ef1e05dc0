//! [`IntoLines`]: the owned twin of [`Lines`](crate::Lines), a `'static`
//! stream of lines that can be returned from a function or spawned.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use crate::{Error, StreamReader};

impl StreamReader {
    /// The reader's lines as an owned [`Stream`], `Send + 'static`: the
    /// same items as [`lines`](Self::lines) (each line with its `\n`, the
    /// last one without if EOF cut it; errors as `read_line` gives them),
    /// for a function that returns the stream or a task that owns it.
    /// [`IntoLines::into_inner`] gives the reader back.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::{Stream, StreamExt};
    /// use weir_stream::{Bytes, Error, StreamReader};
    ///
    /// fn greetings() -> Result<impl Stream<Item = Result<Bytes, Error>> + Send + 'static, Error> {
    ///     let r = StreamReader::new(1024)?;
    ///     r.feed_data(b"hello\nworld\n");
    ///     r.feed_eof();
    ///     Ok(r.into_lines())
    /// }
    /// # futures_lite::future::block_on(async {
    /// let lines: Vec<Bytes> = greetings()?.try_collect().await?;
    /// assert_eq!(lines, [&b"hello\n"[..], b"world\n"]);
    /// # Ok::<(), Error>(())
    /// # }).unwrap();
    /// ```
    pub fn into_lines(self) -> IntoLines {
        IntoLines {
            reader: Some(self),
            acquired: false,
            done: false,
        }
    }
}

/// The lines of a reader, owning it: see [`StreamReader::into_lines`].
///
/// Cancel-safe as every read: dropping it between polls loses no byte.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// # futures_lite::future::block_on(async {
/// let r = weir_stream::StreamReader::new(1024)?;
/// r.feed_data(b"a\nrest");
/// let mut lines = r.into_lines();
/// assert_eq!(lines.next().await.unwrap()?, &b"a\n"[..]);
/// let r = lines.into_inner();
/// assert_eq!(r.buffered(), 4);
/// # Ok::<(), weir_stream::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct IntoLines {
    /// `None` only once [`IntoLines::into_inner`] took it.
    reader: Option<StreamReader>,
    acquired: bool,
    done: bool,
}

impl fmt::Debug for IntoLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoLines")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl IntoLines {
    /// The reader back; a line being waited for stays buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_stream::StreamReader::new(16)?;
    /// let r = r.into_lines().into_inner();
    /// assert_eq!(r.limit(), 16);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn into_inner(mut self) -> StreamReader {
        self.release();
        self.reader.take().expect("the reader is taken only here")
    }

    fn release(&mut self) {
        if self.acquired {
            self.acquired = false;
            if let Some(r) = &self.reader {
                r.shared.abandon_read();
            }
        }
    }
}

impl Stream for IntoLines {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(reader) = &this.reader else {
            return Poll::Ready(None);
        };
        reader.poll_next_line(cx, &mut this.acquired, &mut this.done)
    }
}

impl Drop for IntoLines {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::StreamExt;

    use super::*;

    fn owned_lines(
        data: &'static [u8],
    ) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
        let r = StreamReader::new(1024).unwrap();
        r.feed_data(data);
        r.feed_eof();
        r.into_lines()
    }

    #[test]
    fn returned_from_a_function_and_spawned() {
        let lines = owned_lines(b"a\nb\nc");
        let got = std::thread::spawn(move || {
            futures_lite::future::block_on(lines.try_collect::<_, _, Vec<Bytes>>())
        })
        .join()
        .unwrap()
        .unwrap();
        assert_eq!(got, [&b"a\n"[..], b"b\n", b"c"]);
    }

    #[test]
    fn dropped_while_waiting_lets_another_read_start() {
        futures_lite::future::block_on(async {
            let r = StreamReader::new(1024).unwrap();
            r.feed_data(b"par");
            let mut lines = r.into_lines();
            // Waits for the rest of the line.
            assert!(futures_lite::future::poll_once(lines.next())
                .await
                .is_none());
            let r = lines.into_inner();
            r.feed_data(b"tial\n");
            assert_eq!(r.read_line().await.unwrap(), &b"partial\n"[..]);
        });
    }
}
