//! `logstats export`: every kept hit as a row of an analytics table, with
//! what logstats knows of it (page view, bot, device, country, visitor,
//! visit, channel, ...), in Parquet, NDJSON or CSV, one folder a day, for
//! engines that answer the questions no fixed report asks (DuckDB,
//! ClickHouse, Spark, Trino). docs/export.md defines every column.
//!
//! Two readings of the input. The first is the report's scan, without
//! the report's counts of hits (the rows are the hits): it numbers what
//! the visit walk needs, and the walk, watched by a
//! [`VisitCollector`], gives each page view its visit. Per distinct path,
//! agent, client and entry, the text and enrichment of the rows are worked
//! out once ([`Tables`]). The first reading also keeps each kept line's
//! path, agent and client ids (twelve bytes a line), so that the second
//! reading ([`pass`]) finds them by number, and writes what else a row
//! takes of the line (its time, status, size, duration, and where its
//! method, query, referrer and host lie) to a temporary file, about 18
//! bytes a line ([`crate::scan::FactSpill`]), so that the second reading
//! does not cut and parse the text again. It turns each kept line into a
//! row of numbers into those tables and writes row groups as they fill.
//! Mapped and small inputs are read twice where they are;
//! streams (standard input, gzip) are first copied to a temporary file.

#[cfg(feature = "parquet")]
mod bits;
mod columns;
mod csv;
mod format;
mod ndjson;
mod output;
#[cfg(feature = "parquet")]
mod parquet;
mod pass;
mod phases;
mod recent;
mod rows;
mod tables;
mod visit_index;
mod visitor_id;

use std::io::{self, Read, Write};
use std::ops::Deref;

use memmap2::Mmap;

pub use columns::{columns, Column};
pub use format::{Compression, ExportFormat, ROW_GROUP_ROWS};
pub use output::ExportDir;
pub use visitor_id::IdKey;

use crate::aggregate::pageviews::PARTITIONS;
use crate::aggregate::Figures;
use crate::enrich::privacy::Redactor;
use crate::enrich::zone::{Bucket, ReportZone};
use crate::error::Error;
use crate::input::{InputPath, Source};
use crate::scan::{
    check_scanned, choose_format, progress_for, renumber, scan_slice, FactSpill, ScanOptions,
    Zoning,
};
use crate::visits::{compute, VisitOptions};
use crate::{prepare, progress_from, RunOptions};
use pass::{Candidates, Context, PassInput};
use phases::Phases;
use tables::{Sources, Tables};
use visit_index::{VisitCollector, VisitIndex};
use visitor_id::VisitorIds;

/// What `export` adds to the options of a run.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// Of Parquet pages (`--compression`).
    pub compression: Compression,
    /// The directory to write (`-o`).
    pub dir: std::path::PathBuf,
    /// `--id-key FILE`; `None`: a random key for this export.
    pub id_key: Option<std::path::PathBuf>,
    /// `--show-ips`: a `client_address` column, and no anonymising.
    pub show_ips: bool,
}

/// A finished export.
#[derive(Debug)]
pub struct ExportOutcome {
    pub rows: u64,
    pub visits: usize,
    pub warnings: Vec<String>,
    /// Some input could only be read in part (the run exits with status 1).
    pub partial: bool,
}

/// The text of one input, whole, for two readings.
enum InputText {
    Mapped(Mmap),
    Bytes(Vec<u8>),
}

impl Deref for InputText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            InputText::Mapped(m) => m,
            InputText::Bytes(b) => b,
        }
    }
}

/// Reads a stream to its end into a temporary file (deleted when it is
/// closed), mapped: what the report reads once as it streams, an export
/// reads twice. With the text, the read error that ended the stream early,
/// if any (what was read before it is kept); `Err`: the temporary file
/// could not be made, written or mapped.
fn spill(mut reader: Box<dyn Read + Send>) -> io::Result<(InputText, Option<String>)> {
    let mut file = tempfile::tempfile()?;
    let mut buf = vec![0u8; 1 << 16];
    let mut read_error = None;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => file.write_all(&buf[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                read_error = Some(e.to_string());
                break;
            }
        }
    }
    if file.metadata()?.len() == 0 {
        return Ok((InputText::Bytes(Vec::new()), read_error));
    }
    // SAFETY: the file is this process's own, unlinked: nothing else can
    // change it while it is mapped.
    let map = unsafe { Mmap::map(&file)? };
    Ok((InputText::Mapped(map), read_error))
}

/// Why a temporary file the export needs could not be made or written:
/// about the temporary directory, not the input or the output.
fn temporary_file_error(dir: &std::path::Path, what: &str, e: &io::Error) -> Error {
    Error::Output {
        path: dir.display().to_string(),
        reason: format!(
            "{what}, in {} (TMPDIR): {e}",
            std::env::temp_dir().display()
        ),
    }
}

fn load(
    path: &InputPath,
    mmap: bool,
    dir: &std::path::Path,
) -> Result<(InputText, Option<String>), Error> {
    let opened = crate::input::open(path, mmap)?;
    Ok(match opened.source {
        Source::Mapped(map) => (InputText::Mapped(map), None),
        Source::Bytes(bytes) => (InputText::Bytes(bytes), None),
        Source::Stream(reader) => spill(reader).map_err(|e| {
            let what = format!(
                "a temporary copy of {} (an export reads its input twice)",
                path.display()
            );
            temporary_file_error(dir, &what, &e)
        })?,
    })
}

/// Reads every input and writes the export. Nothing appears in the
/// directory unless the whole export succeeds.
pub fn run_export(opts: &RunOptions, export: &ExportOptions) -> Result<ExportOutcome, Error> {
    #[cfg(not(feature = "parquet"))]
    if export.format == ExportFormat::Parquet {
        return Err(Error::Usage(format::NO_PARQUET.into()));
    }
    let mut phases = Phases::start();
    let dir = ExportDir::create(&export.dir)?;
    let key = match &export.id_key {
        Some(path) => IdKey::load_or_create(path)?,
        None => IdKey::random().map_err(|e| Error::Output {
            path: export.dir.display().to_string(),
            reason: format!("no random key for visitor_id: {e}"),
        })?,
    };
    let ids = VisitorIds::new(key);
    let (geo, filter) = prepare(opts)?;
    let mut zoning = Zoning {
        zone: opts.zone,
        filter,
    };

    let mut texts = Vec::with_capacity(opts.inputs.len());
    for path in &opts.inputs {
        texts.push((path.display(), load(path, opts.mmap, &export.dir)?));
    }
    phases.mark(
        "export: inputs loaded",
        "export: inputs loaded (CPU, all threads)",
    );
    let total: u64 = texts.iter().map(|(_, (t, _))| t.len() as u64).sum();
    // Two readings: the bar counts each byte twice.
    let bar = progress_for(progress_from(opts.progress), 2 * total);

    // The first reading: the report's scan, with every line's client
    // numbered (the country and the redaction of every row need them all).
    let mut figures = Figures::default();
    let mut warnings = Vec::new();
    let mut partial = false;
    let mut scanned = Vec::with_capacity(texts.len());
    let mut chunk_base = 0u32;
    let mut first_offset = None;
    let spill_error = |e: &io::Error| {
        temporary_file_error(&export.dir, "a temporary file for the second reading", e)
    };
    let facts = FactSpill::new().map_err(|e| spill_error(&e))?;
    for (name, (text, read_error)) in &texts {
        let format = choose_format(text, opts.format).map_err(|message| Error::Format {
            path: name.clone(),
            message,
        })?;
        zoning.before_scan(text, format);
        let mut result = scan_slice(
            text,
            &ScanOptions {
                format,
                chunk_base,
                visits: true,
                // The rows are the hits: none is counted.
                tallies: false,
                // Every line's client is numbered for its row (line_ids),
                // and no hits are counted per client.
                clients: false,
                chunk_bytes: opts.chunk_bytes,
                strict: opts.strict,
                progress: bar.as_ref(),
                filter: zoning.filter.as_ref(),
                metrics: false,
                goals: None,
                days: None,
                line_ids: true,
                facts: Some(&facts),
            },
        );
        if let Some(e) = result.facts_error.take() {
            return Err(spill_error(&io::Error::other(e)));
        }
        result.read_error.clone_from(read_error);
        partial |= check_scanned(name, format, &result, None, opts.strict, &mut warnings)?;
        first_offset = first_offset.or(result.first_offset);
        let mut line_ids = std::mem::take(&mut result.line_ids);
        // A second input's ids become the run's.
        if let Some(remaps) = figures.merge(std::mem::take(&mut result.figures)) {
            renumber(&mut line_ids, &remaps);
        }
        scanned.push((
            format,
            chunk_base,
            std::mem::take(&mut result.chunk_lines),
            line_ids,
            std::mem::take(&mut result.facts),
        ));
        chunk_base = chunk_base.saturating_add(result.chunks);
    }
    phases.mark(
        "export: first reading (the report's scan)",
        "export: first reading (CPU, all threads)",
    );
    warnings.extend(zoning.empty_span_warning());
    // As the report settles it: --tz, else the first written offset.
    let zone = zoning.zone.unwrap_or_else(|| {
        first_offset
            .flatten()
            .map_or(ReportZone::UTC, ReportZone::from_offset_seconds)
    });

    // The visits, watched.
    let candidates = Candidates::of(&figures.views);
    let views = std::mem::take(&mut figures.views);
    let client_hash = |client: u32| {
        let (field, info) = (figures.clients.key(client), figures.clients.value(client));
        ids.client(info.ip, field)
    };
    let agent_hash = |agent: u32| {
        ids.agent((agent < figures.agents.len() as u32).then(|| figures.agents.key(agent)))
    };
    let collector = VisitCollector::new(PARTITIONS, |client, agent| {
        ids.visitor(client_hash(client), agent_hash(agent))
    });
    let bucket = match (figures.first_time, figures.last_time) {
        (Some(first), Some(last)) => Bucket::for_period(first, last),
        _ => Bucket::Hour,
    };
    let mut visit_figures = compute(
        &figures,
        views,
        &VisitOptions {
            zone: &zone,
            bucket,
            sites: &opts.sites,
            geo: geo.as_ref(),
            incidents: Default::default(),
            metrics: false,
            goals: None,
            // Each hit's visit is written; none of the report's tallies.
            tallies: false,
            observer: Some(&collector),
        },
    );
    phases.mark(
        "export: visits (the walk)",
        "export: visits (CPU, all threads)",
    );
    let enrichment = visit_figures
        .enrichment
        .take()
        .ok_or_else(|| Error::Output {
            path: export.dir.display().to_string(),
            reason: "the visit walk gave no enrichment".into(),
        })?;
    let redactor = Redactor::new(
        std::mem::take(&mut visit_figures.client_ips),
        export.show_ips,
    );
    let names: Vec<String> = texts.iter().map(|(name, _)| name.clone()).collect();
    // Neither needs the other: side by side.
    let (visits, tables) = rayon::join(
        || VisitIndex::new(collector),
        || {
            Tables::build(&Sources {
                figures: &figures,
                enrichment: &enrichment,
                redactor: &redactor,
                ids: &ids,
                show_ips: export.show_ips,
                input_names: &names,
            })
        },
    );
    drop(enrichment);
    phases.mark(
        "export: visit index and tables of distinct values (side by side)",
        "export: visit index and tables (CPU, all threads)",
    );

    // The second reading.
    let inputs: Vec<PassInput<'_>> = texts
        .iter()
        .zip(&scanned)
        .enumerate()
        .map(
            |(i, ((_, (text, _)), (format, chunk_base, chunk_lines, line_ids, chunk_facts)))| {
                PassInput {
                    text,
                    format: *format,
                    chunk_base: *chunk_base,
                    chunk_lines,
                    line_ids,
                    facts: chunk_facts,
                    file: tables.input_file_ids[i],
                    mapped: matches!(text, InputText::Mapped(_)),
                }
            },
        )
        .collect();
    let columns = columns(export.show_ips);
    let rows = pass::write_rows(
        &inputs,
        &Context {
            figures: &figures,
            tables: &tables,
            visits: &visits,
            candidates: &candidates,
            ids: &ids,
            redactor: &redactor,
            facts: &facts,
            zone,
            columns,
            show_ips: export.show_ips,
            format: export.format,
            compression: export.compression,
            dir: &dir,
            chunk_bytes: opts.chunk_bytes,
            progress: bar.as_ref(),
            spare_rows: &std::sync::Mutex::new(Vec::new()),
            phases: &phases,
        },
    )
    .map_err(|e| Error::Output {
        path: export.dir.display().to_string(),
        reason: e.to_string(),
    })?;
    phases.mark(
        "export: second reading (rows, written)",
        "export: second reading (CPU, all threads)",
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    dir.finish()?;
    phases.finish();
    Ok(ExportOutcome {
        rows,
        visits: visits.visits(),
        warnings,
        partial,
    })
}
