//! Rows on their way to a file: kept by column, text as numbers into
//! dictionaries of distinct values, so that a row costs a few bytes a
//! column, nothing is copied per row, and the Parquet writer's dictionary
//! pages come from the numbers without hashing any text again.

use std::borrow::Cow;
use std::fmt::Write as _;

use hashbrown::HashTable;

use super::columns::{Column, Slot, FLAG_COLUMNS, TEXT_COLUMNS};
use crate::aggregate::bytes_map::{bytes_eq, hash_of};

/// The number of a null text value.
pub const NULL: u32 = u32::MAX;

/// The `visit_id` of a hit in no visit.
pub const NO_VISIT: i64 = 0;

/// Distinct strings, numbered in the order they were added. Each is valid
/// UTF-8 (see [`log_text`]).
#[derive(Debug, Default)]
pub struct Dict {
    ends: Vec<u32>,
    bytes: Vec<u8>,
    index: HashTable<u32>,
}

impl Dict {
    /// The number of `text`, added if it is new.
    pub fn intern(&mut self, text: &str) -> u32 {
        let key = text.as_bytes();
        let hash = hash_of(key);
        let (ends, bytes) = (&self.ends, &self.bytes);
        let get = |i: u32| value(ends, bytes, i);
        if let Some(&id) = self.index.find(hash, |&i| bytes_eq(get(i), key)) {
            return id;
        }
        let id = self.ends.len() as u32;
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len() as u32);
        let (ends, bytes) = (&self.ends, &self.bytes);
        self.index
            .insert_unique(hash, id, |&i| hash_of(value(ends, bytes, i)));
        id
    }

    /// The number of `text`, ASCII, which the caller knows is not here
    /// yet (it keeps its own index): added without being hashed. Such a
    /// dictionary is not interned into.
    pub fn push_distinct_ascii(&mut self, text: &[u8]) -> u32 {
        debug_assert!(text.is_ascii() && self.index.is_empty());
        let id = self.ends.len() as u32;
        self.bytes.extend_from_slice(text);
        self.ends.push(self.bytes.len() as u32);
        id
    }

    /// A dictionary of `texts`, in order, and the number of each.
    pub fn of<'t>(texts: impl IntoIterator<Item = Cow<'t, str>>) -> (Dict, Vec<u32>) {
        let mut dict = Dict::default();
        let ids = texts.into_iter().map(|t| dict.intern(&t)).collect();
        (dict, ids)
    }

    pub fn get(&self, id: u32) -> &[u8] {
        value(&self.ends, &self.bytes, id)
    }

    // Only the Parquet writer asks.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub fn len(&self) -> usize {
        self.ends.len()
    }
}

fn value<'a>(ends: &[u32], bytes: &'a [u8], id: u32) -> &'a [u8] {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &bytes[start..ends[i] as usize]
}

/// Log text as text: valid UTF-8 as it is, each byte that is not as `\xHH`
/// (SPEC §1: lossless and readable).
pub fn log_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    Cow::Owned(out)
}

/// The rows of one day of a part of the input, by column.
#[derive(Debug, Default)]
pub struct Rows {
    /// UTC, microseconds.
    pub timestamp: Vec<i64>,
    /// Per text column, the number of each row's value in the column's
    /// dictionary, or [`NULL`].
    pub text: [Vec<u32>; TEXT_COLUMNS],
    pub status: Vec<i32>,
    pub body_size: Vec<i64>,
    /// Seconds; NaN for none.
    pub duration: Vec<f64>,
    pub flags: [Vec<bool>; FLAG_COLUMNS],
    /// [`NO_VISIT`] for none.
    pub visit_id: Vec<i64>,
    pub input_line: Vec<i64>,
}

impl Rows {
    /// Rows with room for `n` without growing.
    pub fn with_capacity(n: usize) -> Rows {
        Rows {
            timestamp: Vec::with_capacity(n),
            text: std::array::from_fn(|_| Vec::with_capacity(n)),
            status: Vec::with_capacity(n),
            body_size: Vec::with_capacity(n),
            duration: Vec::with_capacity(n),
            flags: std::array::from_fn(|_| Vec::with_capacity(n)),
            visit_id: Vec::with_capacity(n),
            input_line: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.timestamp.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timestamp.is_empty()
    }

    pub fn clear(&mut self) {
        self.timestamp.clear();
        self.text.iter_mut().for_each(Vec::clear);
        self.status.clear();
        self.body_size.clear();
        self.duration.clear();
        self.flags.iter_mut().for_each(Vec::clear);
        self.visit_id.clear();
        self.input_line.clear();
    }
}

/// The dictionary of each text column, as the writers read them.
pub type Dicts<'a> = [&'a Dict; TEXT_COLUMNS];

/// One value of a row, as the text formats write it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Text(&'a [u8]),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// UTC, microseconds.
    Timestamp(i64),
}

impl Rows {
    /// The value of `column` in row `row`.
    pub fn cell<'a>(&'a self, column: &Column, row: usize, dicts: &Dicts<'a>) -> Cell<'a> {
        match column.slot {
            Slot::Timestamp => Cell::Timestamp(self.timestamp[row]),
            Slot::Text(t) => match self.text[t as usize][row] {
                NULL => Cell::Null,
                id => Cell::Text(dicts[t as usize].get(id)),
            },
            Slot::Status => Cell::Int(self.status[row] as i64),
            Slot::BodySize => Cell::Int(self.body_size[row]),
            Slot::Duration => match self.duration[row] {
                d if d.is_nan() => Cell::Null,
                d => Cell::Float(d),
            },
            Slot::Flag(f) => Cell::Bool(self.flags[f as usize][row]),
            Slot::VisitId => match self.visit_id[row] {
                NO_VISIT => Cell::Null,
                id => Cell::Int(id),
            },
            Slot::InputLine => Cell::Int(self.input_line[row]),
        }
    }
}

/// A timestamp as the text formats write it: RFC 3339 in UTC, to the
/// microsecond (`2024-05-01T10:00:00.000000Z`), which DuckDB, ClickHouse
/// and Spark read as a timestamp.
pub fn rfc3339_micros(us: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(us) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => us.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dict_numbers_each_text_once() {
        let (dict, ids) = Dict::of(["b", "a", "b", "", "a"].map(Cow::Borrowed));
        assert_eq!(ids, [0, 1, 0, 2, 1]);
        assert_eq!(dict.len(), 3);
        assert_eq!(
            (dict.get(0), dict.get(1), dict.get(2)),
            (&b"b"[..], &b"a"[..], &b""[..])
        );
    }

    #[test]
    fn invalid_utf8_reads_as_escapes() {
        assert_eq!(log_text(b"/caf\xc3\xa9"), "/café");
        assert!(matches!(log_text(b"/a"), Cow::Borrowed(_)));
        assert_eq!(log_text(b"/a\xff\xc3"), "/a\\xFF\\xC3");
    }
}
