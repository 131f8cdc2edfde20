//! The file formats of an export, and the writer of one part file in each:
//! what the second reading ([`pass`](super::pass)) writes through, without
//! knowing which format it is.

use std::fs::File;
use std::io;

use super::columns::Column;
use super::output::PartWriter;
#[cfg(feature = "parquet")]
use super::parquet;
use super::{csv, ndjson};

/// Rows per row group (Parquet), and per write for the other formats.
#[cfg(feature = "parquet")]
pub const ROW_GROUP_ROWS: usize = parquet::ROW_GROUP_ROWS;
#[cfg(not(feature = "parquet"))]
pub const ROW_GROUP_ROWS: usize = 122_880;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Parquet,
    Ndjson,
    Csv,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
        }
    }
}

/// How Parquet pages are compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// Fast to write and read; what Spark, DuckDB and pyarrow write unless
    /// told otherwise.
    #[default]
    Snappy,
    /// About a fifth smaller, and slower to write (zstd at level 1).
    Zstd,
}

/// A writer of one part file in `format`.
pub(super) fn part_writer(
    format: ExportFormat,
    compression: Compression,
    file: File,
    columns: &'static [Column],
) -> io::Result<Box<dyn PartWriter>> {
    Ok(match format {
        #[cfg(feature = "parquet")]
        ExportFormat::Parquet => Box::new(parquet::ParquetPart::new(file, columns, compression)?),
        #[cfg(not(feature = "parquet"))]
        ExportFormat::Parquet => {
            drop((file, columns, compression));
            return Err(io::Error::other(NO_PARQUET));
        }
        ExportFormat::Ndjson => Box::new(ndjson::NdjsonPart::new(file, columns)),
        ExportFormat::Csv => Box::new(csv::CsvPart::new(file, columns)?),
    })
}

#[cfg(not(feature = "parquet"))]
pub(super) const NO_PARQUET: &str =
    "this logstats was built without Parquet (the `parquet` cargo feature); use --format ndjson or csv";
