//! Scanning: every line of every input accounted for (SPEC §1: `lines =
//! parsed + malformed + blank`, `parsed = kept + filtered`), the kept ones
//! added to the figures. This is the stage that drives the data path
//! through [`input`](crate::input) (chunks and lines), [`parse`](crate::parse),
//! [`filter`](crate::filter) and [`aggregate`](crate::aggregate).
//!
//! `inputs.rs` takes the run's inputs in turn (layout, report zone,
//! warnings); `chunks.rs` scans one of them chunk by chunk in parallel;
//! `partial.rs` is what one worker makes of its chunks and how two such
//! results merge (`line_ids.rs`: the ids of each kept line it may keep
//! for an export); `scanned.rs` holds what a scan is given and gives.
//! Depends on the stages it drives, on [`enrich`](crate::enrich) for the
//! report zone, and on [`error`](crate::error) and [`text`](crate::text)
//! for what ends a run and how its line is shown.

mod chunks;
mod inputs;
mod line_facts;
mod line_ids;
mod partial;
mod scanned;

pub use chunks::{scan_slice, scan_stream};
pub(crate) use inputs::{
    check_scanned, choose_format, first_offset, progress_for, DETECT_BLOCK_BYTES,
};
pub use inputs::{drop_in_background, scan_inputs, InputsOptions, ScannedInputs};
pub(crate) use inputs::{scan_one, InputScan, Zoning};
pub use line_facts::{ChunkFacts, Fact, FactReader, FactSpill, RowFields};
pub use line_ids::{renumber, ChunkIds};
pub use partial::parse_line;
pub use scanned::{Counts, Sample, ScanOptions, Scanned, ScannedInput, MAX_SAMPLES, SAMPLE_BYTES};
