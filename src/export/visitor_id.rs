//! `visitor_id`: a keyed hash of the visitor (SPEC §3: client and user
//! agent), so that rows of one visitor can be counted and joined without
//! the address being in the export, and nobody without the key can test a
//! guess (hashing every IPv4 address with a known agent takes minutes, so
//! an unkeyed hash would hide nothing).
//!
//! The hash is SipHash-2-4, a keyed pseudo-random function with a 128-bit
//! key. The key is random for each export unless `--id-key FILE` names a
//! file that keeps it (created at first use, mode 0600), so that the ids of
//! exports made with one key join, as the user chooses.

use std::fs::{File, OpenOptions};
use std::hash::Hasher;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::Path;

use siphasher::sip::SipHasher24;

use crate::enrich::privacy::hash_client;
use crate::error::Error;

/// A 128-bit SipHash key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdKey([u8; 16]);

impl std::fmt::Debug for IdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A key printed in a log or a panic is a key given away.
        f.write_str("IdKey(..)")
    }
}

impl IdKey {
    /// A key from the operating system's random source.
    pub fn random() -> io::Result<IdKey> {
        let mut key = [0u8; 16];
        getrandom::fill(&mut key).map_err(io::Error::other)?;
        Ok(IdKey(key))
    }

    #[cfg(test)]
    pub fn from_bytes(key: [u8; 16]) -> IdKey {
        IdKey(key)
    }

    /// The key kept in `path`, or a new random one written there (mode
    /// 0600, not readable by others) if the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<IdKey, Error> {
        let fail = |reason: String| Error::Output {
            path: path.display().to_string(),
            reason,
        };
        match read_key(path) {
            Ok(key) => return Ok(key),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(e.to_string())),
        }
        let key = IdKey::random().map_err(|e| fail(e.to_string()))?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(key.to_hex().as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| fail(e.to_string()))?;
                Ok(key)
            }
            // Another export made it first: use that one.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                read_key(path).map_err(|e| fail(e.to_string()))
            }
            Err(e) => Err(fail(e.to_string())),
        }
    }

    fn to_hex(self) -> String {
        let mut s: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
        s.push('\n');
        s
    }
}

/// Reads a key file: 32 hexadecimal digits, white space around them allowed.
fn read_key(path: &Path) -> io::Result<IdKey> {
    let mut text = String::new();
    File::open(path)?.take(1024).read_to_string(&mut text)?;
    let digits = text.trim();
    let invalid = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "not a logstats id key (32 hexadecimal digits); name a new file to start a new key",
        )
    };
    if digits.len() != 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let mut key = [0u8; 16];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
    }
    Ok(IdKey(key))
}

/// Keyed hashes of visitors: the client part and the agent part are each
/// hashed once per distinct client or agent, and a visitor's id is the
/// hash of the two.
#[derive(Debug, Clone, Copy)]
pub struct VisitorIds {
    key: IdKey,
}

impl VisitorIds {
    pub fn new(key: IdKey) -> Self {
        VisitorIds { key }
    }

    fn hasher(&self, domain: u8) -> SipHasher24 {
        let mut h = SipHasher24::new_with_key(&self.key.0);
        h.write_u8(domain);
        h
    }

    /// The client as SPEC §1 identifies it: its address when the field
    /// holds one (so that `::ffff:1.2.3.4` and `1.2.3.4` are one client),
    /// else the field's text.
    pub fn client(&self, ip: Option<IpAddr>, field: &[u8]) -> u64 {
        let mut h = self.hasher(b'c');
        hash_client(&mut h, ip, field);
        h.finish()
    }

    /// The user agent as logged, the key logstats counts visitors by;
    /// `None` for a layout without one.
    pub fn agent(&self, raw: Option<&[u8]>) -> u64 {
        let mut h = self.hasher(b'a');
        match raw {
            Some(raw) => {
                h.write_u8(1);
                h.write(raw);
            }
            None => h.write_u8(0),
        }
        h.finish()
    }

    /// The visitor of a client and an agent, from their hashes.
    #[inline]
    pub fn visitor(&self, client: u64, agent: u64) -> u64 {
        let mut h = self.hasher(b'v');
        h.write_u64(client);
        h.write_u64(agent);
        h.finish()
    }
}

/// How a visitor id is written: 16 hexadecimal digits, a string every
/// engine and JSON reader takes without losing a bit. Made where it goes,
/// not formatted: each part writes one for each visitor it meets.
pub fn hex(id: u64) -> [u8; 16] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (i, digit) in out.iter_mut().enumerate() {
        *digit = DIGITS[(id >> (60 - 4 * i) & 0xf) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_the_key_and_on_the_client_as_an_address() {
        let a = VisitorIds::new(IdKey([1; 16]));
        let b = VisitorIds::new(IdKey([2; 16]));
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        let ua = a.agent(Some(b"Firefox"));
        let v4 = a.visitor(a.client(ip("1.2.3.4"), b"1.2.3.4"), ua);
        // The field is not what counts when it holds an address.
        assert_eq!(
            v4,
            a.visitor(a.client(ip("1.2.3.4"), b"::ffff:1.2.3.4"), ua)
        );
        assert_ne!(v4, a.visitor(a.client(ip("1.2.3.5"), b"1.2.3.5"), ua));
        assert_ne!(v4, a.visitor(a.client(None, b"1.2.3.4"), ua));
        assert_ne!(v4, a.visitor(a.client(ip("1.2.3.4"), b""), a.agent(None)));
        let other_key = b.visitor(
            b.client(ip("1.2.3.4"), b"1.2.3.4"),
            b.agent(Some(b"Firefox")),
        );
        assert_ne!(v4, other_key);
        assert_eq!(&hex(0xab), b"00000000000000ab");
        assert_eq!(&hex(0x0123_4567_89ab_cdef), b"0123456789abcdef");
        assert_eq!(&hex(u64::MAX), b"ffffffffffffffff");
    }

    #[test]
    fn a_key_file_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id.key");
        let made = IdKey::load_or_create(&path).unwrap();
        let read = IdKey::load_or_create(&path).unwrap();
        assert_eq!(made, read);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let e = IdKey::load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("32 hexadecimal digits"), "{e}");
        assert_ne!(IdKey::random().unwrap(), IdKey::random().unwrap());
    }
}
