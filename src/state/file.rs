//! The state file: a header that says what it is, a checksum, and the
//! state, serialised with postcard. Not compressed: on the generated 1 GiB
//! log deflate made the state 35 % smaller and the run that finds 1 MiB
//! of new lines several times slower (compressing 27 MB took longer than
//! everything else the run does). Written
//! to a temporary file in the same directory, flushed to disk, renamed
//! over the old one and the directory flushed, so that the file is always
//! either the old state or the whole new one; a run that fails or is
//! interrupted leaves the old one as it was. Two runs on one state are
//! kept apart by an advisory lock on a file beside it.
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `LGSTATE\n` |
//! | 4 | format version ([`VERSION`]) |
//! | 8 | length of the payload |
//! | 4 | CRC-32 of the payload |
//! | n | payload: the state, postcard |
//!
//! In the payload each day is a byte string of its own (see
//! [`super::day_map`]), so that a save writes the days it did not change
//! back as they were read, and days are decoded in parallel. A state is
//! read by mapping its file: the days' bytes are ranges of that map.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::Error;

use super::day_map::Payload;
use super::saved::State;

pub const MAGIC: &[u8; 8] = b"LGSTATE\n";
/// The format this build writes and reads. A later format gets a new
/// number; a state of a number this build does not know is refused.
pub const VERSION: u32 = 5;
/// The oldest format this build reads: format 4 is format 5 without the
/// saved sums of the settled days, which the first save adds.
pub const OLDEST_READ: u32 = 4;
const HEADER: usize = 8 + 4 + 8 + 4;

fn state_error(path: &Path, message: impl Into<String>) -> Error {
    Error::State {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// An error about a state's content (`why`), with how to start over.
pub(super) fn content_error(path: &Path, why: &str) -> Error {
    state_error(path, format!("{why}; {}", start_over(path)))
}

/// How to start over, said with every error about a state's content.
fn start_over(path: &Path) -> String {
    format!(
        "to start over, move it away (mv {0} {0}.old) and run again: the new state counts the inputs from their start",
        path.display()
    )
}

/// The directory a state lives in; it must exist.
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The directory of `path`, or the error that says it is missing.
fn existing_directory(path: &Path) -> Result<&Path, Error> {
    let dir = directory(path);
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(state_error(
            path,
            format!(
                "its directory '{}' does not exist; create it (mkdir -p {}) or name another place",
                dir.display(),
                dir.display()
            ),
        ))
    }
}

/// Reads a state; `None` when there is no file yet (its directory must
/// exist).
pub fn load(path: &Path) -> Result<Option<State>, Error> {
    existing_directory(path)?;
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(state_error(path, format!("cannot read it: {e}"))),
    };
    let size = file.metadata().map_or(0, |m| m.len() as usize);
    // Mapped rather than read: reading copied the whole state into memory
    // faulted in for it. SAFETY: the map is only read. A state is never
    // changed in place: a save writes a new file and renames it over the
    // old one, whose pages stay as they were while mapped; two runs are
    // kept apart by the lock. A failed map falls back to reading.
    let mapped = (size > 0)
        .then(|| unsafe { memmap2::MmapOptions::new().len(size).map(&file) }.ok())
        .flatten();
    let bytes = match mapped {
        Some(map) => Payload::Mapped(map),
        None => {
            let mut bytes = Vec::with_capacity(size);
            file.read_to_end(&mut bytes)
                .map_err(|e| state_error(path, format!("cannot read it: {e}")))?;
            Payload::Read(bytes)
        }
    };
    // The days keep ranges of these bytes as their saved bytes.
    let bytes = std::sync::Arc::new(bytes);
    super::day_map::with_payload(&bytes, || decode(&bytes))
        .map(Some)
        .map_err(|why| content_error(path, &why))
}

/// The state in `bytes`, or why it cannot be read.
pub fn decode(bytes: &[u8]) -> Result<State, String> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a logstats state file (it does not start as one does)".into());
    }
    if bytes.len() < HEADER {
        return Err("truncated: the file ends inside its header".into());
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if version > VERSION {
        return Err(format!(
            "written by a newer logstats (state format {version}; this one reads format {VERSION}): upgrade logstats"
        ));
    }
    if version < OLDEST_READ {
        return Err(format!(
            "written by an older logstats (state format {version}; this one reads formats {OLDEST_READ} to {VERSION})"
        ));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[12..20]);
    let len = u64::from_le_bytes(len);
    let crc = word(20);
    let payload = &bytes[HEADER..];
    if (payload.len() as u64) < len {
        return Err(format!(
            "truncated: {} of its {len} bytes of content are there",
            payload.len()
        ));
    }
    if payload.len() as u64 > len {
        return Err("corrupt: bytes follow its content".into());
    }
    if crc32fast::hash(payload) != crc {
        return Err("corrupt: its checksum does not match its content".into());
    }
    let mut state: State =
        super::day_map::reading_format(version, || postcard::from_bytes(payload))
            .map_err(|e| format!("corrupt: {e}"))?;
    state.after_load().map_err(|e| format!("corrupt: {e}"))?;
    Ok(state)
}

/// The format version a state file's header gives (0 if it cannot be
/// read).
pub fn version_of(path: &Path) -> u32 {
    let mut header = [0u8; 12];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_or(0, |()| {
            u32::from_le_bytes([header[8], header[9], header[10], header[11]])
        })
}

/// The bytes of a state file holding `state`.
pub fn encode(state: &State) -> Result<Vec<u8>, String> {
    // The header's length and checksum are filled in once the payload,
    // written right after it, is known: no second copy of the payload.
    let mut out = Vec::with_capacity(1 << 20);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.resize(HEADER, 0);
    let mut out = postcard::to_extend(state, out).map_err(|e| e.to_string())?;
    let len = (out.len() - HEADER) as u64;
    let crc = crc32fast::hash(&out[HEADER..]);
    out[12..20].copy_from_slice(&len.to_le_bytes());
    out[20..24].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// For tests of an interrupted save: milliseconds to wait once the new
/// state is written and flushed, before it is renamed into place.
pub const PAUSE_BEFORE_RENAME_ENV: &str = "LOGSTATS_TEST_STATE_PAUSE_MS";

/// Writes `state` to `path` atomically. Returns the bytes written.
pub fn save(path: &Path, state: &State) -> Result<u64, Error> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        state_error(
            path,
            format!("cannot {what}: {e}; the state was not changed"),
        )
    };
    let dir = directory(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail("create a temporary file beside it", &e))?;
    let written =
        write_state(tmp.as_file_mut(), state).map_err(|e| fail("write the new state", &e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| fail("flush the new state to disk", &e))?;
    if let Some(ms) = std::env::var(PAUSE_BEFORE_RENAME_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms));
    }
    tmp.persist(path)
        .map_err(|e| fail("put the new state in place", &e.error))?;
    // The rename is durable once the directory is.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(written)
}

/// Writes the state file of `state` to `file` (at its start) as it is
/// encoded, without holding the whole of it in memory: the header's
/// length and checksum are written last. Returns the bytes written.
fn write_state(file: &mut File, state: &State) -> io::Result<u64> {
    use std::io::{BufWriter, Seek, SeekFrom};
    /// Counts and checksums what goes through it.
    struct Summing<W> {
        inner: W,
        crc: crc32fast::Hasher,
        len: u64,
    }
    impl<W: Write> Write for Summing<W> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = self.inner.write(buf)?;
            self.crc.update(&buf[..n]);
            self.len += n as u64;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.inner.flush()
        }
    }
    let mut header = [0u8; HEADER];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&VERSION.to_le_bytes());
    file.write_all(&header)?;
    let mut out = Summing {
        inner: BufWriter::with_capacity(1 << 20, file.try_clone()?),
        crc: crc32fast::Hasher::new(),
        len: 0,
    };
    postcard::to_io(state, &mut out).map_err(io::Error::other)?;
    out.flush()?;
    let Summing { crc, len, inner } = out;
    drop(inner);
    let crc = crc.finalize();
    file.seek(SeekFrom::Start(12))?;
    file.write_all(&len.to_le_bytes())?;
    file.write_all(&crc.to_le_bytes())?;
    Ok(HEADER as u64 + len)
}

/// An advisory lock on `PATH.lock`, held while a run reads and writes
/// the state; released when dropped (or when the process ends, however).
pub struct Lock {
    _file: File,
}

/// The lock file of a state.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// Takes the lock of the state at `path`, waiting up to `wait` for
/// another run to release it.
pub fn lock(path: &Path, wait: Duration) -> Result<Lock, Error> {
    let lock = lock_path(path);
    existing_directory(path)?;
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(|e| {
            state_error(
                path,
                format!(
                    "cannot create its lock file '{}': {e}; the directory must be writable by this user",
                    lock.display()
                ),
            )
        })?;
    let start = Instant::now();
    loop {
        match try_lock(&file) {
            Ok(true) => return Ok(Lock { _file: file }),
            Ok(false) if start.elapsed() < wait => std::thread::sleep(Duration::from_millis(50)),
            Ok(false) => {
                return Err(state_error(
                    path,
                    format!(
                        "another logstats run holds it (lock '{}') and did not finish within {} s; \
                         let it finish, or give it longer with --state-wait",
                        lock.display(),
                        wait.as_secs()
                    ),
                ))
            }
            Err(e) => {
                return Err(state_error(
                    path,
                    format!("cannot lock '{}': {e}", lock.display()),
                ))
            }
        }
    }
}

/// `flock(LOCK_EX | LOCK_NB)`: whether the lock was taken.
#[cfg(unix)]
fn try_lock(file: &File) -> io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this process owns.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

#[cfg(not(unix))]
fn try_lock(_: &File) -> io::Result<bool> {
    Ok(true)
}

impl State {
    /// Reads the state at `path`; `None` if there is none yet.
    pub fn load(path: &Path) -> Result<Option<State>, Error> {
        load(path)
    }

    /// Writes the state to `path` atomically; returns its size.
    pub fn save(&self, path: &Path) -> Result<u64, Error> {
        save(path, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::settings::Settings;

    fn a_state() -> State {
        let mut s = State::new(Settings(vec![("--site".into(), "none".into())]), 7);
        s.zone = Some("+02:00".into());
        s.newest = Some(1_714_550_400);
        let day = s.days.entry(1_714_514_400);
        day.paths.map().intern(b"/a").1.hits = 3;
        *day.slots.map().entry(1_905_016).or_default() = a_traffic();
        day.visitor(42, |_| (0, 0));
        day.countries.push("unknown".into());
        day.agents
            .push(("pc".into(), "Firefox".into(), "Linux".into()));
        s
    }

    /// Every field different, so that one left out or swapped shows.
    fn a_traffic() -> crate::aggregate::Traffic {
        crate::aggregate::Traffic {
            hits: 10,
            bytes: 1000,
            status_2xx: 5,
            status_3xx: 2,
            status_4xx: 1,
            status_5xx: 1,
        }
    }

    #[test]
    fn a_state_reads_back_as_written() {
        let s = a_state();
        let bytes = encode(&s).unwrap();
        let mut back = decode(&bytes).unwrap();
        assert_eq!(encode(&back).unwrap().len(), bytes.len());
        assert_eq!(back.key, s.key);
        assert_eq!(back.zone.as_deref(), Some("+02:00"));
        // Read for a report, the day's visitors are counted; given out
        // for writing, it has them again.
        assert_eq!(back.days[&1_714_514_400].visitors.len(), 1);
        let day = back.days.get_mut(&1_714_514_400).unwrap();
        assert_eq!(day.paths.iter().next().unwrap().1.hits, 3);
        assert_eq!(day.visitors[0].hash, 42);
        // The time buckets' traffic, 2xx and 3xx included (the HTML charts).
        let slots: Vec<_> = day.slots.iter().collect();
        assert_eq!(slots, [(&1_905_016, &a_traffic())]);
    }

    #[test]
    fn a_saved_file_is_the_encoded_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.state");
        let s = a_state();
        let written = save(&path, &s).unwrap();
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(on_disk, encode(&s).unwrap());
        assert_eq!(written, on_disk.len() as u64);
        let back = load(&path).unwrap().unwrap();
        // Saved again as read: every day keeps its bytes, same file.
        assert_eq!(back.days.changed(), 0);
        save(&path, &back).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), on_disk);
    }

    #[test]
    fn no_damage_reads_as_a_state_or_panics() {
        let bytes = encode(&a_state()).unwrap();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                assert!(decode(&b).is_err(), "byte {i} ^ {flip:#x}");
            }
            assert!(decode(&bytes[..i]).is_err(), "cut at {i}");
        }
    }
}
