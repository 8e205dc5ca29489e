//! A reader that reports how many bytes went through it, at most every [`PROGRESS_EVERY`]
//! and once at the end (as dockerd's progress reader), for `load`'s and pull's progress.

use std::io::{self, Read};
use std::time::{Duration, Instant};

/// Report progress at most this often, and at the end.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Counts the bytes read through it and reports the count to `cb`.
pub(crate) struct Counting<'a, R> {
    inner: R,
    current: u64,
    /// `current` when progress was last reported, and when.
    last: u64,
    sent: Option<Instant>,
    cb: &'a mut dyn FnMut(u64),
}

impl<'a, R> Counting<'a, R> {
    /// Wraps `inner`; `cb` receives the bytes read so far.
    pub(crate) fn new(inner: R, cb: &'a mut dyn FnMut(u64)) -> Self {
        Counting {
            inner,
            current: 0,
            last: 0,
            sent: None,
            cb,
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.current += n as u64;
        let due = self.sent.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
        if (n > 0 && due) || (n == 0 && self.current != self.last) {
            self.last = self.current;
            self.sent = Some(Instant::now());
            (self.cb)(self.current);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_first_read_and_the_end() {
        let data = vec![7u8; 10_000];
        let mut seen = Vec::new();
        let mut cb = |n| seen.push(n);
        let mut r = Counting::new(&data[..], &mut cb);
        let mut buf = [0u8; 1000];
        while r.read(&mut buf).expect("read") > 0 {}
        assert_eq!(seen.first(), Some(&1000));
        assert_eq!(seen.last(), Some(&10_000));
    }
}
