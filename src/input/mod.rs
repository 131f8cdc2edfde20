//! Input: what the command line names, opened the fastest way that is safe.
//! Regular files are memory-mapped; gzip files (found by their magic bytes,
//! not their name), standard input, pipes, files written to in the last
//! [`LIVE_WINDOW`] and `--no-mmap` are streamed. A regular file is read only
//! up to the size it had when it was opened.
//!
//! Opening is here; `gzip.rs` decompresses, [`chunk`] cuts what was opened
//! into line-aligned pieces (whole, or block by block from a stream) and
//! [`lines`] cuts a piece into lines, marking the quotes of each for the
//! parser. Depends on [`error`](crate::error) for what cannot be opened,
//! and on [`parse`](crate::parse) for the interface through which the
//! parser takes the marks (`FindQuote`).

pub mod chunk;
mod gzip;
pub mod lines;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use memmap2::{Advice, Mmap, MmapOptions};

use crate::error::Error;
use gzip::{gunzip, GZIP_MAGIC};

/// A file modified this recently may still be written to, or truncated by
/// logrotate's `copytruncate`: it is read, not mapped, since a mapped file
/// that shrinks under the process kills it with SIGBUS.
pub const LIVE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Set (to anything) to have each input say on stderr how it is read.
pub const DEBUG_ENV: &str = "LOGSTATS_DEBUG_INPUT";

/// Whether a regular, uncompressed file is memory-mapped: only with mmap
/// allowed, when it is not empty (a zero-length map is an error on some
/// systems) and when it was last modified more than [`LIVE_WINDOW`] before
/// `now`. A modification time in the future, or one that cannot be read,
/// counts as live.
pub fn should_map(mmap: bool, len: u64, modified: Option<SystemTime>, now: SystemTime) -> bool {
    if !mmap || len == 0 {
        return false;
    }
    match modified.and_then(|m| now.duration_since(m).ok()) {
        Some(age) => age >= LIVE_WINDOW,
        None => false,
    }
}

/// An input as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    Stdin,
    File(PathBuf),
}

impl InputPath {
    pub fn from_arg(arg: &Path) -> InputPath {
        if arg == Path::new("-") {
            InputPath::Stdin
        } else {
            InputPath::File(arg.to_path_buf())
        }
    }

    /// How the input is named in reports and messages.
    pub fn display(&self) -> String {
        match self {
            InputPath::Stdin => "-".into(),
            InputPath::File(p) => p.display().to_string(),
        }
    }
}

/// An opened input, ready to be scanned.
pub enum Source {
    /// The whole file, mapped. Empty files are not mapped (a zero-length
    /// map is an error on some systems) and come as `Bytes(vec![])`.
    Mapped(Mmap),
    Bytes(Vec<u8>),
    /// Read front to back: decompressed gzip, standard input, a pipe.
    Stream(Box<dyn Read + Send>),
}

pub struct Opened {
    pub source: Source,
    /// Bytes on disk, when known: what a progress bar counts.
    pub disk_bytes: Option<u64>,
    /// Whether the stream is decompressed gzip (its progress is counted on
    /// the compressed side, as it is read).
    pub gzip: bool,
    /// For gzip: the compressed bytes the decoder has consumed so far, to
    /// say where a truncated or corrupt file failed.
    pub compressed_read: Option<Arc<AtomicU64>>,
}

/// Opens an input. With `mmap`, regular uncompressed files not modified in
/// the last [`LIVE_WINDOW`] are mapped (see [`should_map`]).
///
/// A mapped file that another process truncates while it is read makes the
/// process fail with SIGBUS; live files are read instead, and `--no-mmap`
/// reads every file.
pub fn open(input: &InputPath, mmap: bool) -> Result<Opened, Error> {
    let opened = match input {
        InputPath::Stdin => open_stdin(),
        InputPath::File(path) => open_file(path, mmap).map_err(|e| Error::input(path, &e)),
    }?;
    if std::env::var_os(DEBUG_ENV).is_some() {
        let how = match (&opened.source, opened.gzip) {
            (Source::Mapped(_), _) => "mapped",
            (Source::Bytes(_), _) => "empty",
            (Source::Stream(_), true) => "gzip stream",
            (Source::Stream(_), false) => "stream",
        };
        eprintln!("logstats: input {}: {how}", input.display());
    }
    Ok(opened)
}

fn open_stdin() -> Result<Opened, Error> {
    let mut reader = BufReader::with_capacity(1 << 16, io::stdin());
    let head = reader
        .fill_buf()
        .map_err(|e| Error::input(Path::new("-"), &e))?;
    let gzip = head.starts_with(&GZIP_MAGIC);
    let (source, compressed_read): (Box<dyn Read + Send>, _) = if gzip {
        let (decoder, consumed) = gunzip(reader);
        (decoder, Some(consumed))
    } else {
        (Box::new(reader), None)
    };
    Ok(Opened {
        source: Source::Stream(source),
        disk_bytes: None,
        gzip,
        compressed_read,
    })
}

/// Opens `path` with its metadata; a directory is an error.
pub(crate) fn open_not_directory(path: &Path) -> io::Result<(File, std::fs::Metadata)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    Ok((file, meta))
}

fn open_file(path: &Path, mmap: bool) -> io::Result<Opened> {
    let (mut file, meta) = open_not_directory(path)?;
    let regular = meta.is_file();
    let len = meta.len();
    let disk_bytes = regular.then_some(len);

    let mut magic = [0u8; 2];
    let head = read_up_to(&mut file, &mut magic)?;
    let gzip = magic[..head] == GZIP_MAGIC;
    if regular {
        file.rewind()?;
    }
    // A regular file is read up to the size it had when it was opened: a
    // log appended to during the run is reported as it was at the start,
    // and the line being written is not half read. Anything else (a pipe)
    // is read to its end, the bytes already read going first.
    let reader: Box<dyn Read + Send> = if regular {
        Box::new(file.try_clone()?.take(len))
    } else {
        Box::new(io::Cursor::new(magic[..head].to_vec()).chain(file.try_clone()?))
    };
    if gzip {
        let (decoder, consumed) = gunzip(reader);
        return Ok(Opened {
            source: Source::Stream(decoder),
            disk_bytes,
            gzip,
            compressed_read: Some(consumed),
        });
    }
    if regular && mmap && len == 0 {
        return Ok(Opened {
            source: Source::Bytes(Vec::new()),
            disk_bytes,
            gzip,
            compressed_read: None,
        });
    }
    if regular && should_map(mmap, len, meta.modified().ok(), SystemTime::now()) {
        // SAFETY: the map is only read. If another process truncates the
        // file meanwhile, reads past the new end fault (SIGBUS); files
        // modified recently, the ones logrotate may truncate, are not
        // mapped (see `should_map`). A failed map falls back to reading.
        let map = usize::try_from(len)
            .ok()
            .and_then(|len| unsafe { MmapOptions::new().len(len).map(&file) }.ok());
        if let Some(map) = map {
            let _ = map.advise(Advice::Sequential);
            return Ok(Opened {
                source: Source::Mapped(map),
                disk_bytes,
                gzip,
                compressed_read: None,
            });
        }
    }
    Ok(Opened {
        source: Source::Stream(reader),
        disk_bytes,
        gzip,
        compressed_read: None,
    })
}

/// Reads until `buf` is full or the input ends; returns how much was read.
pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_left_alone_for_a_while_are_mapped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ago = |s| Some(now - Duration::from_secs(s));
        assert!(should_map(true, 100, ago(3600), now));
        assert!(should_map(true, 100, ago(600), now));
        assert!(!should_map(true, 100, ago(599), now));
        assert!(!should_map(true, 100, ago(0), now));
        // In the future (a clock that moved back), or unknown: live.
        assert!(!should_map(
            true,
            100,
            Some(now + Duration::from_secs(5)),
            now
        ));
        assert!(!should_map(true, 100, None, now));
        assert!(!should_map(false, 100, ago(3600), now));
        assert!(!should_map(true, 0, ago(3600), now));
    }

    #[test]
    fn a_regular_file_is_read_up_to_its_size_at_open() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.log");
        std::fs::write(&path, b"one\ntwo\n").unwrap();
        let opened = open(&InputPath::File(path.clone()), true).unwrap();
        assert_eq!(opened.disk_bytes, Some(8));
        // Written to after it was opened: the new line is not read.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"three, half writ").unwrap();
        let Source::Stream(mut r) = opened.source else {
            panic!("a fresh file is streamed");
        };
        let mut text = Vec::new();
        r.read_to_end(&mut text).unwrap();
        assert_eq!(text, b"one\ntwo\n");
    }

    #[test]
    fn no_mmap_streams_old_files_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.log");
        std::fs::write(&path, b"one\n").unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let input = InputPath::File(path);
        assert!(matches!(
            open(&input, true).unwrap().source,
            Source::Mapped(_)
        ));
        assert!(matches!(
            open(&input, false).unwrap().source,
            Source::Stream(_)
        ));
    }
}
