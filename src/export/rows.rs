//! Rows on their way to a file: kept by column, text as numbers into
//! dictionaries of distinct values, so that a row costs a few bytes a
//! column, nothing is copied per row, and the Parquet writer's dictionary
//! pages come from the numbers without hashing any text again.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use hashbrown::HashTable;

use super::columns::{columns, Column, Flag, Slot, Text, FLAG_COLUMNS, TEXT_COLUMNS};
use super::tables::{AgentRow, EntryRow, PathRow};
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
///
/// Columns that follow from a row's path, user agent or visit entry (see
/// [`Derived`]) are not kept: each row keeps the path, agent and entry,
/// and the writers read the rest from the run's tables ([`RowSources`]).
/// Kept, they were 13 numbers and 2 flags more per row, written into
/// buffers of 15 MB or so and read back out of cache.
#[derive(Debug, Default)]
pub struct Rows {
    /// UTC, microseconds.
    pub timestamp: Vec<i64>,
    /// Per text column kept, the number of each row's value in the
    /// column's dictionary, or [`NULL`]; empty for a derived column.
    pub text: [Vec<u32>; TEXT_COLUMNS],
    /// Each row's path (an index of [`RowSources::paths`]).
    pub path: Vec<u32>,
    /// Each row's user agent (an index of [`RowSources::agents`]).
    pub agent: Vec<u32>,
    /// Each row's visit's entry (an index of [`RowSources::entries`]), or
    /// [`NULL`] for a hit in no visit.
    pub entry: Vec<u32>,
    /// The `input_file` of every row (a part reads one input).
    pub file: u32,
    pub status: Vec<i32>,
    pub body_size: Vec<i64>,
    /// Seconds; NaN for none.
    pub duration: Vec<f64>,
    /// Per flag column kept; empty for a derived one.
    pub flags: [Vec<bool>; FLAG_COLUMNS],
    /// [`NO_VISIT`] for none.
    pub visit_id: Vec<i64>,
    pub input_line: Vec<i64>,
}

impl Rows {
    /// Rows with room for `n` without growing.
    pub fn with_capacity(n: usize) -> Rows {
        let mut rows = Rows {
            timestamp: Vec::with_capacity(n),
            // Room only for the columns kept (below).
            text: Default::default(),
            path: Vec::with_capacity(n),
            agent: Vec::with_capacity(n),
            entry: Vec::with_capacity(n),
            file: NULL,
            status: Vec::with_capacity(n),
            body_size: Vec::with_capacity(n),
            duration: Vec::with_capacity(n),
            flags: Default::default(),
            visit_id: Vec::with_capacity(n),
            input_line: Vec::with_capacity(n),
        };
        for column in columns(true) {
            match column.slot {
                Slot::Text(t) if Derived::of_text(t).is_none() => {
                    rows.text[t as usize] = Vec::with_capacity(n);
                }
                Slot::Flag(f) if Derived::of_flag(f).is_none() => {
                    rows.flags[f as usize] = Vec::with_capacity(n);
                }
                _ => {}
            }
        }
        rows
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
        self.path.clear();
        self.agent.clear();
        self.entry.clear();
        self.status.clear();
        self.body_size.clear();
        self.duration.clear();
        self.flags.iter_mut().for_each(Vec::clear);
        self.visit_id.clear();
        self.input_line.clear();
    }
}

/// What the writers read a row's values from: the dictionary of each
/// text column, and the tables derived columns come from.
pub struct Dicts<'a> {
    pub text: [&'a Dict; TEXT_COLUMNS],
    pub sources: RowSources<'a>,
}

/// The run's tables of paths, user agents and visit entries, by the
/// indices [`Rows`] keep.
#[derive(Clone, Copy)]
pub struct RowSources<'a> {
    pub paths: &'a [PathRow],
    pub agents: &'a [AgentRow],
    pub entries: &'a [EntryRow],
}

/// A column that follows from what a row keeps: from its path
/// (`url_path`, `http_route`, `is_static`), its user agent (the agent's
/// text, `bot_name`, `device`, `browser`, `os`, `is_bot`), its visit's
/// entry (`channel`, `search_term`, `utm_*`: null for a hit in no visit),
/// or its part (`input_file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    UrlPath,
    Route,
    Static,
    UserAgent,
    BotName,
    Device,
    Browser,
    Os,
    Bot,
    Channel,
    SearchTerm,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    InputFile,
}

impl Derived {
    /// How text column `t` follows from what a row keeps; `None`: kept.
    pub fn of_text(t: Text) -> Option<Derived> {
        Some(match t {
            Text::UrlPath => Derived::UrlPath,
            Text::Route => Derived::Route,
            Text::UserAgent => Derived::UserAgent,
            Text::BotName => Derived::BotName,
            Text::Device => Derived::Device,
            Text::Browser => Derived::Browser,
            Text::Os => Derived::Os,
            Text::Channel => Derived::Channel,
            Text::SearchTerm => Derived::SearchTerm,
            Text::UtmSource => Derived::UtmSource,
            Text::UtmMedium => Derived::UtmMedium,
            Text::UtmCampaign => Derived::UtmCampaign,
            Text::InputFile => Derived::InputFile,
            _ => return None,
        })
    }

    /// How flag column `f` follows from what a row keeps (as 0 or 1);
    /// `None`: kept.
    pub fn of_flag(f: Flag) -> Option<Derived> {
        Some(match f {
            Flag::Static => Derived::Static,
            Flag::Bot => Derived::Bot,
            _ => return None,
        })
    }

    /// The value of row `row` of `rows`.
    fn at(self, rows: &Rows, row: usize, s: &RowSources<'_>) -> u32 {
        let mut one = Last(NULL);
        self.each(rows, row..row + 1, s, &mut one);
        one.0
    }

    /// The values of rows `range` of `rows`, after `out`'s. A match per
    /// column, not per row: each arm's loop is its own.
    fn each(
        self,
        rows: &Rows,
        range: Range<usize>,
        s: &RowSources<'_>,
        out: &mut impl Extend<u32>,
    ) {
        let (path, agent, entry) = (&rows.path, &rows.agent, &rows.entry);
        let (p, a, e) = (s.paths, s.agents, s.entries);
        match self {
            Derived::UrlPath => gather(&path[range], p, out, |r| r.text),
            Derived::Route => gather(&path[range], p, out, |r| r.route),
            Derived::Static => gather(&path[range], p, out, |r| r.is_static as u32),
            Derived::UserAgent => gather(&agent[range], a, out, |r| r.text),
            Derived::BotName => gather(&agent[range], a, out, |r| match r.bot {
                true => r.bot_name,
                false => NULL,
            }),
            Derived::Device => gather(&agent[range], a, out, |r| r.device),
            Derived::Browser => gather(&agent[range], a, out, |r| r.browser),
            Derived::Os => gather(&agent[range], a, out, |r| r.os),
            Derived::Bot => gather(&agent[range], a, out, |r| r.bot as u32),
            Derived::Channel => gather(&entry[range], e, out, |r| r.channel),
            Derived::SearchTerm => gather(&entry[range], e, out, |r| r.term),
            Derived::UtmSource => gather(&entry[range], e, out, |r| r.campaign[0]),
            Derived::UtmMedium => gather(&entry[range], e, out, |r| r.campaign[1]),
            Derived::UtmCampaign => gather(&entry[range], e, out, |r| r.campaign[2]),
            Derived::InputFile => out.extend(range.map(|_| rows.file)),
        }
    }
}

/// Takes derived values into a vector, each through a function (a flag's
/// 0 or 1 as `bool`).
// Only the Parquet writer asks for a whole column.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
struct Mapped<'a, T, F>(&'a mut Vec<T>, F);

impl<T, F: Fn(u32) -> T> Extend<u32> for Mapped<'_, T, F> {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, values: I) {
        self.0.extend(values.into_iter().map(&self.1));
    }
}

/// Keeps the last value it is given: [`Derived::each`] for one row.
struct Last(u32);

impl Extend<u32> for Last {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, values: I) {
        if let Some(v) = values.into_iter().last() {
            self.0 = v;
        }
    }
}

/// `f` of the row of `table` each index names, after `out`'s values;
/// [`NULL`] for an index past it (an entry's [`NULL`]).
#[inline]
fn gather<R>(indices: &[u32], table: &[R], out: &mut impl Extend<u32>, f: impl Fn(&R) -> u32) {
    out.extend(
        indices
            .iter()
            .map(|&i| table.get(i as usize).map_or(NULL, &f)),
    );
}

// Only the Parquet writer asks for whole columns.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
impl Rows {
    /// The numbers of text column `t` of every row: kept, or worked out
    /// into `scratch`.
    pub fn text_ids<'r>(
        &'r self,
        t: Text,
        s: &RowSources<'_>,
        scratch: &'r mut Vec<u32>,
    ) -> &'r [u32] {
        self.kept_or_derived(
            &self.text[t as usize],
            Derived::of_text(t),
            s,
            scratch,
            |v| v,
        )
    }

    /// Flag column `f` of every row: kept, or worked out into `scratch`.
    pub fn flag_values<'r>(
        &'r self,
        f: Flag,
        s: &RowSources<'_>,
        scratch: &'r mut Vec<bool>,
    ) -> &'r [bool] {
        self.kept_or_derived(
            &self.flags[f as usize],
            Derived::of_flag(f),
            s,
            scratch,
            |v| v == 1,
        )
    }

    /// `kept`, or the values of `derived` through `value` into `scratch`.
    fn kept_or_derived<'r, T>(
        &'r self,
        kept: &'r [T],
        derived: Option<Derived>,
        s: &RowSources<'_>,
        scratch: &'r mut Vec<T>,
        value: impl Fn(u32) -> T,
    ) -> &'r [T] {
        match derived {
            None => kept,
            Some(d) => {
                scratch.clear();
                d.each(self, 0..self.len(), s, &mut Mapped(scratch, value));
                scratch
            }
        }
    }
}

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
            Slot::Text(t) => {
                let id = match Derived::of_text(t) {
                    None => self.text[t as usize][row],
                    Some(d) => d.at(self, row, &dicts.sources),
                };
                match id {
                    NULL => Cell::Null,
                    id => Cell::Text(dicts.text[t as usize].get(id)),
                }
            }
            Slot::Status => Cell::Int(self.status[row] as i64),
            Slot::BodySize => Cell::Int(self.body_size[row]),
            Slot::Duration => match self.duration[row] {
                d if d.is_nan() => Cell::Null,
                d => Cell::Float(d),
            },
            Slot::Flag(f) => Cell::Bool(match Derived::of_flag(f) {
                None => self.flags[f as usize][row],
                Some(d) => d.at(self, row, &dicts.sources) == 1,
            }),
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
    fn derived_columns_read_the_rows_path_agent_and_entry() {
        let paths = [
            PathRow {
                text: 10,
                route: 20,
                is_static: false,
            },
            PathRow {
                text: 11,
                route: 21,
                is_static: true,
            },
        ];
        let agent = |bot: bool, device: u32| AgentRow {
            text: 30 + device,
            bot,
            word_bot: bot,
            bot_name: if bot { 40 } else { NULL },
            device,
            browser: 50,
            os: 60,
            hash: 0,
        };
        let agents = [agent(false, 1), agent(true, 2)];
        let entries = [EntryRow {
            channel: 70,
            term: 71,
            campaign: [72, 73, 74],
        }];
        let sources = RowSources {
            paths: &paths,
            agents: &agents,
            entries: &entries,
        };
        // Two rows: a person's page view in a visit, a bot's asset in none.
        let mut rows = Rows::with_capacity(2);
        rows.file = 9;
        for (path, agent, entry) in [(0, 0, 0), (1, 1, NULL)] {
            rows.timestamp.push(0);
            rows.path.push(path);
            rows.agent.push(agent);
            rows.entry.push(entry);
        }
        let mut scratch = Vec::new();
        let mut ids = |t| rows.text_ids(t, &sources, &mut scratch).to_vec();
        assert_eq!(ids(Text::UrlPath), [10, 11]);
        assert_eq!(ids(Text::Route), [20, 21]);
        assert_eq!(ids(Text::UserAgent), [31, 32]);
        assert_eq!(ids(Text::BotName), [NULL, 40]);
        assert_eq!(ids(Text::Device), [1, 2]);
        assert_eq!(ids(Text::Channel), [70, NULL]);
        assert_eq!(ids(Text::UtmCampaign), [74, NULL]);
        assert_eq!(ids(Text::InputFile), [9, 9]);
        let mut flags = Vec::new();
        assert_eq!(
            rows.flag_values(Flag::Static, &sources, &mut flags),
            [false, true]
        );
        assert_eq!(
            rows.flag_values(Flag::Bot, &sources, &mut flags),
            [false, true]
        );
        // Row by row, as the text formats read them, the same: value n
        // of the dictionary is "vn".
        let names: Vec<String> = (0..80).map(|n| format!("v{n}")).collect();
        let (dict, _) = Dict::of(names.iter().map(|n| Cow::Borrowed(n.as_str())));
        let dicts = Dicts {
            text: [&dict; TEXT_COLUMNS],
            sources,
        };
        let cell = |slot, row| {
            let column = Column {
                name: "",
                slot,
                nullable: true,
            };
            rows.cell(&column, row, &dicts)
        };
        let text = |t, row| cell(Slot::Text(t), row);
        assert_eq!(text(Text::UrlPath, 1), Cell::Text(b"v11"));
        assert_eq!(text(Text::BotName, 0), Cell::Null);
        assert_eq!(text(Text::BotName, 1), Cell::Text(b"v40"));
        assert_eq!(text(Text::UtmSource, 0), Cell::Text(b"v72"));
        assert_eq!(text(Text::Channel, 1), Cell::Null);
        assert_eq!(text(Text::InputFile, 1), Cell::Text(b"v9"));
        assert_eq!(cell(Slot::Flag(Flag::Bot), 1), Cell::Bool(true));
        assert_eq!(cell(Slot::Flag(Flag::Static), 0), Cell::Bool(false));
    }

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
