//! Cutting log text into pieces that hold whole lines, so that each piece
//! can be parsed on its own thread.

use std::io::{self, Read};

/// The chunk size used unless a caller asks for another: large enough that
/// per-chunk work (a task, a line count) is noise, small enough that two
/// cores stay busy to the end of a file of a few megabytes.
pub const DEFAULT_CHUNK_BYTES: usize = 1 << 20;

/// The longest line read as a log line. A longer one is malformed however
/// it looks; a stream keeps only its first `MAX_LINE_BYTES + 1` bytes (so
/// that it is still known to be too long) and skips the rest, so that a
/// file with no newline in gigabytes is read in bounded memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Splits `text` into consecutive pieces of about `target` bytes, each cut
/// moved forward to just after the next `\n`, so no line is split.
/// The pieces cover `text` exactly, in order.
pub fn split_lines_evenly(text: &[u8], target: usize) -> Vec<&[u8]> {
    let target = target.max(1);
    let mut chunks = Vec::with_capacity(text.len() / target + 1);
    let mut start = 0;
    while start < text.len() {
        let guess = start.saturating_add(target);
        let end = if guess >= text.len() {
            text.len()
        } else {
            memchr::memchr(b'\n', &text[guess..]).map_or(text.len(), |nl| guess + nl + 1)
        };
        chunks.push(&text[start..end]);
        start = end;
    }
    chunks
}

/// Reads a stream (gzip, stdin) in blocks that end at a line boundary: each
/// block is what was read up to its last `\n`; the partial line after it
/// starts the next block. The last block may lack the final newline.
/// A line longer than [`MAX_LINE_BYTES`] is cut to `MAX_LINE_BYTES + 1`
/// bytes. A read error ends the blocks: what was read before it comes as a
/// last block, then the error.
pub struct LineBlocks<R> {
    reader: R,
    block_bytes: usize,
    carry: Vec<u8>,
    done: bool,
    error: Option<io::Error>,
    /// Bytes of overlong lines read past and dropped.
    skipped: u64,
    /// Blocks handed back once parsed, to be filled again: allocating a
    /// fresh megabyte per block let the allocator's heap grow in between
    /// the long-lived records of the scan.
    spare: Vec<Vec<u8>>,
}

impl<R: Read> LineBlocks<R> {
    pub fn new(reader: R, block_bytes: usize) -> Self {
        LineBlocks {
            reader,
            block_bytes: block_bytes.max(1),
            carry: Vec::new(),
            done: false,
            error: None,
            skipped: 0,
            spare: Vec::new(),
        }
    }

    /// Takes back a block [`next_block`](Self::next_block) gave out.
    pub fn recycle(&mut self, mut block: Vec<u8>) {
        // A few in reserve are as many as are ever in flight at once.
        if self.spare.len() < 8 && block.capacity() <= 2 * self.block_bytes {
            block.clear();
            self.spare.push(block);
        }
    }

    pub fn set_block_bytes(&mut self, block_bytes: usize) {
        self.block_bytes = block_bytes.max(1);
    }

    /// Bytes of overlong lines dropped so far: with the blocks' lengths,
    /// the bytes read.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The next block, `None` at the end of the stream.
    pub fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.done {
            return Ok(None);
        }
        let mut block = match self.spare.pop() {
            Some(mut block) => {
                block.extend_from_slice(&self.carry);
                self.carry.clear();
                block
            }
            None => std::mem::take(&mut self.carry),
        };
        loop {
            // Doubling keeps a line longer than a block from being read a
            // few bytes at a time.
            let want = if block.len() < self.block_bytes {
                self.block_bytes
            } else {
                block.len() * 2
            };
            let filled = match fill(&mut self.reader, &mut block, want) {
                Ok(filled) => filled,
                Err(e) => return self.fail(block, e),
            };
            if filled < want {
                // End of stream: whatever is left is the last block.
                self.done = true;
                return Ok((!block.is_empty()).then_some(block));
            }
            if let Some(nl) = memchr::memrchr(b'\n', &block) {
                self.carry.clear();
                self.carry.extend_from_slice(&block[nl + 1..]);
                block.truncate(nl + 1);
                return Ok(Some(block));
            }
            // No newline: the block is one line, longer than a block.
            if block.len() > MAX_LINE_BYTES {
                self.skipped += (block.len() - (MAX_LINE_BYTES + 1)) as u64;
                block.truncate(MAX_LINE_BYTES + 1);
                return match self.skip_line() {
                    Ok(true) => {
                        block.push(b'\n');
                        Ok(Some(block))
                    }
                    Ok(false) => {
                        self.done = true;
                        Ok(Some(block))
                    }
                    Err(e) => self.fail(block, e),
                };
            }
            // Read on until it ends.
        }
    }

    /// After a read error: the block read so far now, the error next.
    fn fail(&mut self, block: Vec<u8>, e: io::Error) -> io::Result<Option<Vec<u8>>> {
        self.done = true;
        if block.is_empty() {
            Err(e)
        } else {
            self.error = Some(e);
            Ok(Some(block))
        }
    }

    /// Reads past the rest of an overlong line; what follows its newline
    /// is kept. `false`: the stream ended first.
    fn skip_line(&mut self) -> io::Result<bool> {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match self.reader.read(&mut buf) {
                Ok(0) => return Ok(false),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(nl) = memchr::memchr(b'\n', &buf[..n]) {
                self.skipped += nl as u64;
                self.carry = buf[nl + 1..n].to_vec();
                return Ok(true);
            }
            self.skipped += n as u64;
        }
    }
}

/// Reads into `buf` until it holds `want` bytes or the stream ends.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    let start = buf.len();
    if want > start {
        buf.reserve(want - start);
        reader.take((want - start) as u64).read_to_end(buf)?;
    }
    Ok(buf.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hold_whole_lines_and_cover_the_text() {
        let text = b"a\nbb\nccc\n\ndddd\neeeee";
        for target in 1..30 {
            let chunks = split_lines_evenly(text, target);
            assert_eq!(chunks.concat(), text.to_vec(), "target {target}");
            for c in &chunks[..chunks.len() - 1] {
                assert_eq!(c.last(), Some(&b'\n'), "target {target}");
            }
        }
        assert!(split_lines_evenly(b"", 4).is_empty());
    }

    #[test]
    fn blocks_end_at_newlines_and_cover_the_stream() {
        let text: Vec<u8> = (0..200)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .chain(*b"tail")
            .collect();
        for size in [1, 3, 7, 64, 10_000] {
            let mut blocks = LineBlocks::new(&text[..], size);
            let mut all = Vec::new();
            while let Some(b) = blocks.next_block().unwrap() {
                assert!(b.ends_with(b"\n") || b.ends_with(b"tail"), "size {size}");
                all.extend_from_slice(&b);
            }
            assert_eq!(all, text, "size {size}");
        }
    }

    #[test]
    fn an_overlong_line_is_cut_and_the_next_one_read() {
        let mut text = b"short\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * MAX_LINE_BYTES + 17));
        text.extend_from_slice(b"\nafter\n");
        for size in [1000, 1 << 16] {
            let mut blocks = LineBlocks::new(&text[..], size);
            let mut lines = Vec::new();
            let mut biggest = 0;
            while let Some(b) = blocks.next_block().unwrap() {
                biggest = biggest.max(b.len());
                lines.extend(b.split(|&c| c == b'\n').map(|l| l.len()));
                lines.pop();
            }
            assert_eq!(lines, vec![5, MAX_LINE_BYTES + 1, 5], "size {size}");
            assert_eq!(
                blocks.skipped() as usize,
                3 * MAX_LINE_BYTES + 17 - (MAX_LINE_BYTES + 1),
                "size {size}"
            );
            assert!(biggest <= 2 * MAX_LINE_BYTES + 2, "size {size}: {biggest}");
        }
        // Without a newline after it, to the end of the stream.
        let text = vec![b'y'; 2 * MAX_LINE_BYTES];
        let mut blocks = LineBlocks::new(&text[..], 4096);
        let b = blocks.next_block().unwrap().unwrap();
        assert_eq!(b.len(), MAX_LINE_BYTES + 1);
        assert!(blocks.next_block().unwrap().is_none());
    }

    /// Gives `data`, then fails.
    struct Failing<'a>(&'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn what_was_read_before_an_error_comes_first() {
        let mut blocks = LineBlocks::new(Failing(b"a\nb\nhalf"), 1 << 20);
        assert_eq!(blocks.next_block().unwrap().unwrap(), b"a\nb\nhalf");
        assert!(blocks.next_block().is_err());
        assert!(blocks.next_block().unwrap().is_none());
    }
}
