//! Inputs recognised by their content, and where each was read up to.
//!
//! A cursor names an input by a keyed hash of its first bytes (up to
//! [`HEAD_BYTES`] of log text, decompressed for gzip), not by its path, as
//! Vector's `checksum` fingerprint does: after `access.log` is renamed
//! `access.log.1`, the file there has the same first bytes and continues
//! where it stopped; once compressed into `access.log.2.gz`, its
//! decompressed first bytes are the same again and, read to its end once,
//! it is skipped from then on. A file shorter than [`HEAD_BYTES`] is
//! fingerprinted by what it has, and the fingerprint grows with it.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use crate::input::{open_not_directory, read_up_to};
use crate::scan::Counts;

/// How much of the start of an input fingerprints it.
pub const HEAD_BYTES: usize = 4096;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Where one input was read up to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cursor {
    /// Order of first sight: inputs continued in a run are read in it.
    pub id: u64,
    /// The path the input had when it was last read.
    pub path: String,
    /// The path it had when it was first read.
    pub first_path: String,
    /// The fingerprint: a keyed hash of the first `head_len` bytes.
    pub head_len: u32,
    pub head_hash: u64,
    /// Bytes of log text counted (whole lines; decompressed for gzip).
    pub offset: u64,
    /// Bytes of log text the input had when it was last read.
    pub seen: u64,
    pub gzip: bool,
    /// A compressed input read to its end: it cannot grow.
    pub finished: bool,
    pub dev: u64,
    pub ino: u64,
    /// The layout it was read with.
    pub format: String,
    /// Its lines counted so far.
    pub counts: Counts,
}

/// What is known of an input before it is read.
#[derive(Debug)]
pub struct Probe {
    pub path: PathBuf,
    pub gzip: bool,
    /// Its first [`HEAD_BYTES`] of log text, or all it has.
    pub head: Vec<u8>,
    /// Bytes on disk.
    pub len: u64,
    pub dev: u64,
    pub ino: u64,
}

/// Reads the start of an input.
pub fn probe(path: &Path) -> io::Result<Probe> {
    let (mut file, meta) = open_not_directory(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file: a state follows files, not pipes or standard input",
        ));
    }
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut file, &mut magic)?;
    let gzip = magic[..n] == GZIP_MAGIC;
    file.rewind()?;
    let mut head = vec![0u8; HEAD_BYTES];
    let got = if gzip {
        read_up_to(&mut MultiGzDecoder::new(&mut file), &mut head)?
    } else {
        read_up_to(&mut file, &mut head)?
    };
    head.truncate(got);
    let (dev, ino) = identity(&meta);
    Ok(Probe {
        path: path.to_path_buf(),
        gzip,
        head,
        len: meta.len(),
        dev,
        ino,
    })
}

#[cfg(unix)]
pub fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
pub fn identity(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// The keyed hash of the first bytes of an input.
pub fn head_hash(key: [u64; 2], head: &[u8]) -> u64 {
    use siphasher::sip::SipHasher13;
    use std::hash::Hasher;
    let mut h = SipHasher13::new_with_keys(key[0] ^ 0x6865_6164, key[1]);
    h.write(head);
    h.finish()
}

impl Cursor {
    /// Whether `probe` starts with the bytes this cursor was fingerprinted by.
    pub fn matches(&self, key: [u64; 2], probe: &Probe) -> bool {
        let len = self.head_len as usize;
        len > 0 && probe.head.len() >= len && head_hash(key, &probe.head[..len]) == self.head_hash
    }

    /// Takes a longer fingerprint when the input has grown past the old one.
    pub fn refingerprint(&mut self, key: [u64; 2], probe: &Probe) {
        if probe.head.len() > self.head_len as usize {
            self.head_len = probe.head.len() as u32;
            self.head_hash = head_hash(key, &probe.head);
        }
    }
}

/// Where the whole lines after `from` end in a file of `len` bytes: just
/// after its last newline, or `from` when none follows it. A last line
/// without its newline is still being written: the next run reads it.
pub fn end_of_lines(file: &File, from: u64, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut buf = vec![0u8; 1 << 16];
    while end > from {
        let start = end.saturating_sub(buf.len() as u64).max(from);
        let block = &mut buf[..(end - start) as usize];
        read_exact_at(file, block, start)?;
        if let Some(i) = memchr::memrchr(b'\n', block) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(from)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, at)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}

/// An input opened at `from` bytes of log text: plain files up to the end
/// of their last whole line, compressed ones to their end. Returns the
/// opened input and, for plain files, the bytes it covers.
pub fn open_from(probe: &Probe, from: u64, mmap: bool) -> io::Result<crate::input::Opened> {
    use crate::input::{Opened, Source};
    let mut file = File::open(&probe.path)?;
    if probe.gzip {
        let mut decoder = MultiGzDecoder::new(io::BufReader::with_capacity(1 << 16, file));
        let skipped = io::copy(&mut (&mut decoder).take(from), &mut io::sink())?;
        if skipped < from {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("holds {skipped} bytes of log text, fewer than the {from} already counted"),
            ));
        }
        return Ok(Opened {
            source: Source::Stream(Box::new(decoder)),
            disk_bytes: Some(probe.len),
            gzip: true,
            compressed_read: None,
        });
    }
    // The length now, not at the probe: the file may have grown since.
    let meta = file.metadata()?;
    let len = meta.len();
    let end = end_of_lines(&file, from, len)?;
    let n = end - from;
    let map = (mmap
        && n > 0
        && crate::input::should_map(
            true,
            len,
            meta.modified().ok(),
            std::time::SystemTime::now(),
        ))
    .then(|| {
        // SAFETY: as for `input::open`: only read, and only files left
        // alone for a while are mapped.
        unsafe {
            memmap2::MmapOptions::new()
                .offset(from)
                .len(n as usize)
                .map(&file)
        }
        .ok()
    })
    .flatten();
    let source = match map {
        Some(map) => Source::Mapped(map),
        None if n == 0 => Source::Bytes(Vec::new()),
        None => {
            file.seek(SeekFrom::Start(from))?;
            Source::Stream(Box::new(file.take(n)))
        }
    };
    Ok(Opened {
        source,
        disk_bytes: Some(n),
        gzip: false,
        compressed_read: None,
    })
}

/// A file in the directory of `path` that is the same file (device and
/// inode) as the one a cursor read: where a rotated log went.
pub fn renamed(path: &Path, dev: u64, ino: u64) -> Option<(PathBuf, u64)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() && identity(&meta) == (dev, ino) {
            return Some((entry.path(), meta.len()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_lines_end_after_the_last_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        std::fs::write(&p, b"one\ntwo\nthr").unwrap();
        let f = File::open(&p).unwrap();
        assert_eq!(end_of_lines(&f, 0, 11).unwrap(), 8);
        assert_eq!(end_of_lines(&f, 8, 11).unwrap(), 8);
        assert_eq!(end_of_lines(&f, 4, 8).unwrap(), 8);
        assert_eq!(end_of_lines(&f, 0, 3).unwrap(), 0);
    }

    #[test]
    fn a_short_file_is_fingerprinted_by_what_it_has_and_grows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        std::fs::write(&p, b"first line\n").unwrap();
        let key = [1, 2];
        let short = probe(&p).unwrap();
        let mut c = Cursor {
            id: 0,
            path: String::new(),
            first_path: String::new(),
            head_len: short.head.len() as u32,
            head_hash: head_hash(key, &short.head),
            offset: 0,
            seen: 0,
            gzip: false,
            finished: false,
            dev: 0,
            ino: 0,
            format: String::new(),
            counts: Counts::default(),
        };
        std::fs::write(&p, "first line\n".repeat(1000)).unwrap();
        let long = probe(&p).unwrap();
        assert_eq!(long.head.len(), HEAD_BYTES);
        assert!(c.matches(key, &long));
        c.refingerprint(key, &long);
        assert_eq!(c.head_len as usize, HEAD_BYTES);
        assert!(c.matches(key, &long));
        // Another file, or the same bytes under another key: no match.
        std::fs::write(&p, b"other line\n").unwrap();
        assert!(!c.matches(key, &probe(&p).unwrap()));
        assert!(!c.matches([9, 9], &long));
    }
}
