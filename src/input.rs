//! Input: what the command line names, opened the fastest way that is safe.
//! Regular files are memory-mapped; gzip files (found by their magic bytes,
//! not their name), standard input, pipes and `--no-mmap` are streamed.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;
use memmap2::{Advice, Mmap};

use crate::error::Error;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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
}

/// Opens an input. With `mmap`, regular uncompressed files are mapped.
///
/// A mapped file that another process truncates while it is read makes the
/// process fail with SIGBUS; `--no-mmap` reads instead, for logs rotated
/// with `copytruncate` during a run.
pub fn open(input: &InputPath, mmap: bool) -> Result<Opened, Error> {
    match input {
        InputPath::Stdin => open_stdin(),
        InputPath::File(path) => open_file(path, mmap).map_err(|e| Error::input(path, &e)),
    }
}

fn open_stdin() -> Result<Opened, Error> {
    let mut reader = BufReader::with_capacity(1 << 16, io::stdin());
    let head = reader
        .fill_buf()
        .map_err(|e| Error::input(Path::new("-"), &e))?;
    let gzip = head.starts_with(&GZIP_MAGIC);
    let source: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    Ok(Opened {
        source: Source::Stream(source),
        disk_bytes: None,
        gzip,
    })
}

fn open_file(path: &Path, mmap: bool) -> io::Result<Opened> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let regular = meta.is_file();
    let disk_bytes = regular.then_some(meta.len());

    let mut magic = [0u8; 2];
    let head = read_up_to(&mut file, &mut magic)?;
    let gzip = magic[..head] == GZIP_MAGIC;
    if regular {
        file.rewind()?;
    }
    let replay = io::Cursor::new(magic[..head].to_vec());
    if gzip {
        // Not regular (a pipe): the two magic bytes already read go first.
        let reader: Box<dyn Read + Send> = if regular {
            Box::new(file)
        } else {
            Box::new(replay.chain(file))
        };
        let decoder = MultiGzDecoder::new(BufReader::with_capacity(1 << 16, reader));
        return Ok(Opened {
            source: Source::Stream(Box::new(decoder)),
            disk_bytes,
            gzip,
        });
    }
    if regular && mmap {
        if meta.len() == 0 {
            return Ok(Opened {
                source: Source::Bytes(Vec::new()),
                disk_bytes,
                gzip,
            });
        }
        // SAFETY: the map is only read. If another process truncates the
        // file meanwhile, reads past the new end fault (SIGBUS); that is
        // documented under --no-mmap. A failed map falls back to reading.
        if let Ok(map) = unsafe { Mmap::map(&file) } {
            let _ = map.advise(Advice::Sequential);
            return Ok(Opened {
                source: Source::Mapped(map),
                disk_bytes,
                gzip,
            });
        }
    }
    let reader: Box<dyn Read + Send> = if regular {
        Box::new(file)
    } else {
        Box::new(replay.chain(file))
    };
    Ok(Opened {
        source: Source::Stream(reader),
        disk_bytes,
        gzip,
    })
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
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
