//! Output: a finished [`Report`] rendered as terminal tables, JSON, CSV,
//! an HTML page or Prometheus metrics. Renderers read the report and
//! write; none of them computes a figure.
//!
//! One file (or folder) per format, each with a `write` function that
//! [`render_styled`] picks by [`OutputFormat`]: [`table`], [`json`],
//! [`csv`], [`html`], [`prometheus`]. [`sections`] lays the report out as tables of cells
//! for the formats that print tables. A new format is a file here, a
//! variant of `OutputFormat` and an arm of `render_styled`.
//! [`destination`] writes what they render to standard output or a file.
//! Depends on
//! [`report`](crate::report) and nothing else of the data path: the words
//! for a report zone's [`Bucket`](crate::enrich::zone::Bucket) and the
//! GeoIP hint come from [`enrich`](crate::enrich), a failed write is an
//! [`error`](crate::error).

pub mod csv;
pub mod destination;
pub mod html;
pub mod json;
pub mod prometheus;
pub mod sections;
pub mod table;

use std::io::Write;

use crate::report::Report;
pub use sections::{HIT_LEVEL_SECTIONS, SECTION_NAMES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
    Html,
    /// The Prometheus text format, for node_exporter's textfile collector.
    Prometheus,
}

/// How output is decorated beyond its format.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Colour in table output (titles, header rows).
    pub color: bool,
    /// `--csv-safe`: defuse CSV text cells that spreadsheets would run.
    pub csv_safe: bool,
}

/// Writes `report` in `format`, plain. `section` picks one table for CSV or
/// tables.
pub fn render(
    report: &Report,
    format: OutputFormat,
    section: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    render_styled(report, format, section, Style::default(), out)
}

/// As [`render`], with `style`. JSON and CSV are read by programs: colour
/// never reaches them.
pub fn render_styled(
    report: &Report,
    format: OutputFormat,
    section: Option<&str>,
    style: Style,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => table::write_styled(report, section, style.color, out)?,
        OutputFormat::Json => json::write(report, out)?,
        OutputFormat::Csv => csv::write(report, section, style.csv_safe, out)?,
        OutputFormat::Html => html::write(report, out)?,
        OutputFormat::Prometheus => prometheus::write(report, out)?,
    }
    Ok(())
}
