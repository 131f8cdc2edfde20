//! Gzip input, found by its magic bytes: decompressed as a stream, with
//! the compressed bytes read counted, to say where a damaged file failed.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Counts the bytes a [`BufRead`] consumer has consumed: how far into the
/// compressed file a gzip decoder got when it failed.
struct CountingBufRead<R> {
    inner: R,
    consumed: Arc<AtomicU64>,
}

impl<R: BufRead> Read for CountingBufRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingBufRead<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed.fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// A gzip decoder over `reader` whose compressed bytes consumed are
/// counted in the returned counter.
pub(super) fn gunzip(reader: impl Read + Send + 'static) -> (Box<dyn Read + Send>, Arc<AtomicU64>) {
    let consumed = Arc::new(AtomicU64::new(0));
    let counting = CountingBufRead {
        inner: BufReader::with_capacity(1 << 16, reader),
        consumed: Arc::clone(&consumed),
    };
    (Box::new(MultiGzDecoder::new(counting)), consumed)
}
