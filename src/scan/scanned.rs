//! What a scan is given and what it gives: its settings, where the lines
//! of an input went, the first malformed lines, and the figures.

use indicatif::ProgressBar;

use super::line_facts::{ChunkFacts, FactSpill};
use super::line_ids::ChunkIds;
use crate::aggregate::Figures;
use crate::filter::Filter;
use crate::goals::GoalSet;
use crate::parse::Format;
use crate::state::days::{DayCut, DayFigures};

/// How many malformed lines are kept as samples (SPEC §1).
pub const MAX_SAMPLES: usize = 5;
/// How much of a malformed line a sample keeps.
pub const SAMPLE_BYTES: usize = 200;

/// Where the lines of one input went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub lines: u64,
    pub parsed: u64,
    pub malformed: u64,
    pub blank: u64,
    pub filtered: u64,
    pub kept: u64,
}

impl Counts {
    pub fn merge(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.malformed += o.malformed;
        self.blank += o.blank;
        self.filtered += o.filtered;
        self.kept += o.kept;
    }
}

/// A malformed line with its 1-based line number in its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub line: u64,
    pub text: Vec<u8>,
}

/// The settings a scan needs, shared by every chunk.
pub struct ScanOptions<'a> {
    pub format: Format,
    /// The number of the input's first chunk: chunks are numbered across
    /// all inputs, so that (chunk, line) orders every line of a run.
    pub chunk_base: u32,
    /// Record what visit-level tables need (see [`Figures::add`]).
    pub visits: bool,
    /// Count hits as the report shows them (see
    /// [`Record::tallies`](crate::aggregate::Record::tallies)); only an
    /// export does not.
    pub tallies: bool,
    /// Count hits per client (the clients table).
    pub clients: bool,
    /// Count what `--format prometheus` needs (see
    /// [`Record::metrics`](crate::aggregate::Record::metrics)).
    pub metrics: bool,
    /// Look for goal hits (only with `visits`).
    pub goals: Option<&'a GoalSet>,
    pub chunk_bytes: usize,
    /// With `--strict`, chunks after the first one found to hold a
    /// malformed line are skipped: the result is only used for the error.
    pub strict: bool,
    pub progress: Option<&'a ProgressBar>,
    /// `None` when no filter is given: every parsed line is kept.
    pub filter: Option<&'a Filter>,
    /// For a saved state: kept lines are counted per day of this zone, in
    /// [`Scanned::days`], and `Scanned::figures` stays empty.
    pub days: Option<DayCut>,
    /// Keep each kept line's path, agent and client ids
    /// ([`Scanned::line_ids`]): an export's second reading reads them
    /// instead of looking the text up again. Needs `visits`, and no
    /// `days`; every line's client is numbered (its hits are counted only
    /// with `clients`).
    pub line_ids: bool,
    /// With `line_ids`: each kept line's [facts](super::line_facts) are
    /// written here, for the second reading.
    pub facts: Option<&'a FactSpill>,
}

/// The result of scanning one input.
#[derive(Debug)]
pub struct Scanned {
    /// How many chunks the input was cut into.
    pub chunks: u32,
    /// (chunk index, lines) of each chunk scanned, in chunk order: where a
    /// second reading of the input finds its line numbers.
    pub chunk_lines: Vec<(u32, u64)>,
    pub counts: Counts,
    /// Bytes of log text read (after decompression).
    pub bytes: u64,
    pub figures: Figures,
    /// The figures per day, when [`ScanOptions::days`] asked for them.
    pub days: DayFigures,
    /// The first malformed lines, in line order.
    pub samples: Vec<Sample>,
    /// The offset written on the first parsed line, if it had one.
    /// `None` also when no line parsed.
    pub first_offset: Option<Option<i32>>,
    /// Lines `--host` filtered for having no virtual host.
    pub no_vhost: u64,
    /// With [`ScanOptions::line_ids`], per chunk (in chunk order) the ids
    /// of its kept lines in `figures`' maps, in input order.
    pub line_ids: Vec<ChunkIds>,
    /// With [`ScanOptions::facts`], where each chunk's facts lie in the
    /// spill, in chunk order (chunks without kept lines have none).
    pub facts: Vec<ChunkFacts>,
    /// Why the facts could not all be written.
    pub facts_error: Option<String>,
    /// A stream that failed part way (a truncated gzip file): what was read
    /// before is counted, and the error is reported.
    pub read_error: Option<String>,
}

/// One input, scanned.
pub struct ScannedInput {
    /// The name shown for it: the path as given, or `-` for standard input.
    pub path: String,
    pub format: Format,
    pub scanned: Scanned,
}
