//! Cutting log text into pieces that hold whole lines, so that each piece
//! can be parsed on its own thread.

use std::io::{self, Read};

/// The chunk size used unless a caller asks for another: large enough that
/// per-chunk work (a task, a line count) is noise, small enough that two
/// cores stay busy to the end of a file of a few megabytes.
pub const DEFAULT_CHUNK_BYTES: usize = 1 << 20;

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
pub struct LineBlocks<R> {
    reader: R,
    block_bytes: usize,
    carry: Vec<u8>,
    done: bool,
}

impl<R: Read> LineBlocks<R> {
    pub fn new(reader: R, block_bytes: usize) -> Self {
        LineBlocks {
            reader,
            block_bytes: block_bytes.max(1),
            carry: Vec::new(),
            done: false,
        }
    }

    pub fn set_block_bytes(&mut self, block_bytes: usize) {
        self.block_bytes = block_bytes.max(1);
    }

    /// The next block, `None` at the end of the stream.
    pub fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        let mut block = std::mem::take(&mut self.carry);
        loop {
            // Doubling keeps a line longer than a block from being read a
            // few bytes at a time.
            let want = if block.len() < self.block_bytes {
                self.block_bytes
            } else {
                block.len() * 2
            };
            let filled = fill(&mut self.reader, &mut block, want)?;
            if filled < want {
                // End of stream: whatever is left is the last block.
                self.done = true;
                return Ok((!block.is_empty()).then_some(block));
            }
            if let Some(nl) = memchr::memrchr(b'\n', &block) {
                self.carry = block[nl + 1..].to_vec();
                block.truncate(nl + 1);
                return Ok(Some(block));
            }
            // A line longer than a block: read on until it ends.
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
}
