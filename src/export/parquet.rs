//! Parquet parts, written through the `parquet` crate's low-level API: its
//! schema types, page and file writers (page headers, row groups, the
//! footer) and metadata. The pages themselves are encoded here, from the
//! numbers rows already hold: a text column's dictionary page lists the
//! distinct values of the row group (or, for a column of at most 1,024
//! values of which the row group uses half or more, all of them) and its
//! data page their numbers, with no text hashed again. The crate's own
//! column writer hashes every value for its dictionary; on 4.4 million
//! rows of 30 columns that cost more than the whole report (see the
//! README).
//!
//! Layout: one row group per [`Rows`] given (up to [`ROW_GROUP_ROWS`]),
//! one dictionary page and one data page (format v1) per column chunk,
//! each compressed with snappy or (`--compression zstd`) zstd at level 1.
//! Text columns and the status are dictionary encoded, 64-bit integers
//! (times, sizes, visit ids, line numbers) DELTA_BINARY_PACKED, durations
//! and flags plain; nulls are definition levels (bit-packed, runs where
//! 504 rows or more in a row are alike).
//! Column chunks carry null counts and min/max statistics.

use std::fs::File;
use std::io::{self, BufWriter};
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{
    Compression as Codec, Encoding, EncodingMask, LogicalType, Repetition, TimeUnit, TimestampType,
    Type as Physical,
};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::statistics::Statistics;
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor, Type};

use super::bits::{bit_pack, bit_width, definition_levels, delta_binary_packed, pack_bools};
use super::columns::{Column, Slot};
use super::format::Compression;
use super::output::PartWriter;
use super::rows::{Dict, Dicts, Rows, NO_VISIT, NULL};

/// Rows per row group: DuckDB's own size (60 vectors of 2,048), which its
/// readers split work by; a row group of the generated log takes about
/// 15 MB while it is filled.
pub const ROW_GROUP_ROWS: usize = 122_880;

/// Longer text values get no min/max statistics: the bounds would be as
/// long, and user agents are not filtered by range.
const MAX_STATISTICS_BYTES: usize = 64;

/// A dictionary is small (its values are marked, see [`mark`]) when a
/// row group has this many rows or more for each of its values.
const SMALL_DICTIONARY_SHARE: usize = 4;

/// A small dictionary of at most this many values goes whole into a row
/// group that uses half of them or more: its rows' numbers are then the
/// column's own, and need no renumbering. A few unused values cost a few
/// bytes; a larger dictionary written whole into each row group would
/// cost more (url_path: 14,000 values of which a row group uses 9,000).
const WHOLE_DICTIONARY_VALUES: usize = 1024;

/// zstd's fastest level: the pages are mostly small numbers already.
const ZSTD_LEVEL: i32 = 1;

fn error(e: ParquetError) -> io::Error {
    io::Error::other(e)
}

/// The schema of an export's columns.
pub fn schema(columns: &[Column]) -> io::Result<Type> {
    let fields = columns
        .iter()
        .map(|c| {
            let (physical, logical) = match c.slot {
                Slot::Timestamp => (
                    Physical::INT64,
                    Some(LogicalType::Timestamp(TimestampType {
                        is_adjusted_to_u_t_c: true,
                        unit: TimeUnit::MICROS,
                    })),
                ),
                Slot::Text(_) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                Slot::Status => (Physical::INT32, None),
                Slot::BodySize | Slot::VisitId | Slot::InputLine => (Physical::INT64, None),
                Slot::Duration => (Physical::DOUBLE, None),
                Slot::Flag(_) => (Physical::BOOLEAN, None),
            };
            let repetition = if c.nullable {
                Repetition::OPTIONAL
            } else {
                Repetition::REQUIRED
            };
            Type::primitive_type_builder(c.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(error)?;
    Type::group_type_builder("logstats_export")
        .with_fields(fields)
        .build()
        .map_err(error)
}

/// One Parquet file.
pub struct ParquetPart {
    writer: SerializedFileWriter<BufWriter<File>>,
    columns: &'static [Column],
    descriptors: Vec<ColumnDescPtr>,
    encoder: Encoder,
}

impl ParquetPart {
    pub fn new(
        file: File,
        columns: &'static [Column],
        compression: Compression,
    ) -> io::Result<ParquetPart> {
        let schema = Arc::new(schema(columns)?);
        let descriptors = SchemaDescriptor::new(schema.clone()).columns().to_vec();
        let properties = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_created_by(format!("logstats version {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = SerializedFileWriter::new(
            BufWriter::with_capacity(1 << 20, file),
            schema,
            Arc::new(properties),
        )
        .map_err(error)?;
        Ok(ParquetPart {
            writer,
            columns,
            descriptors,
            encoder: Encoder::new(compression)?,
        })
    }
}

impl PartWriter for ParquetPart {
    fn write(&mut self, rows: &Rows, dicts: &Dicts<'_>) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut group = self.writer.next_row_group().map_err(error)?;
        for (column, descr) in self.columns.iter().zip(&self.descriptors) {
            let (bytes, close) = self.encoder.column(column, descr, rows, dicts)?;
            group.append_column(&bytes, close).map_err(error)?;
            // The buffer serves the next column (no copy: it is the only
            // holder now).
            self.encoder.sink = Vec::from(bytes);
        }
        group.close().map_err(error)?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        let file = self.writer.into_inner().map_err(error)?;
        file.into_inner().map_err(|e| e.into_error())?;
        Ok(())
    }
}

/// Encodes column chunks; keeps its buffers from one to the next.
struct Encoder {
    compressor: Compressor,
    /// Per number of a dictionary, its number in the row group's own
    /// dictionary, or [`NULL`]; reset after each chunk.
    local: Vec<u32>,
    /// The same for status codes (all 65,536 of them).
    status_slots: Vec<u32>,
    /// The dictionary numbers used, in order of first use.
    used: Vec<u32>,
    /// Each non-null row's number in the row group's dictionary.
    indices: Vec<u32>,
    levels: Vec<u8>,
    /// The values of a 64-bit column that are not null.
    kept: Vec<i64>,
    values: Vec<u8>,
    dictionary: Vec<u8>,
    raw: Vec<u8>,
    compressed: Vec<u8>,
    /// Where a column chunk's pages are written.
    sink: Vec<u8>,
    /// The values of a derived column (see [`Derived`](super::rows::Derived)).
    derived: Vec<u32>,
    derived_flags: Vec<bool>,
}

/// The codec of every page of a file.
enum Compressor {
    Snappy(Box<snap::raw::Encoder>),
    Zstd(zstd::bulk::Compressor<'static>),
}

/// What a column chunk is made of before it is written.
struct Pages {
    dictionary: Option<(Vec<u8>, u32)>,
    /// Definition levels (nullable columns), then values.
    data: Vec<u8>,
    encoding: Encoding,
    statistics: Option<Statistics>,
}

impl Encoder {
    fn new(compression: Compression) -> io::Result<Encoder> {
        Ok(Encoder {
            compressor: match compression {
                Compression::Snappy => Compressor::Snappy(Box::new(snap::raw::Encoder::new())),
                Compression::Zstd => Compressor::Zstd(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
            },
            local: Vec::new(),
            status_slots: Vec::new(),
            used: Vec::new(),
            indices: Vec::new(),
            levels: Vec::new(),
            kept: Vec::new(),
            values: Vec::new(),
            dictionary: Vec::new(),
            raw: Vec::new(),
            compressed: Vec::new(),
            sink: Vec::new(),
            derived: Vec::new(),
            derived_flags: Vec::new(),
        })
    }

    /// One column of `rows`, encoded and compressed, and what the row
    /// group writer needs to know of it.
    fn column(
        &mut self,
        column: &Column,
        descr: &ColumnDescPtr,
        rows: &Rows,
        dicts: &Dicts<'_>,
    ) -> io::Result<(Bytes, ColumnCloseResult)> {
        let n = rows.len();
        self.values.clear();
        self.levels.clear();
        let plain = |data, statistics| Pages {
            dictionary: None,
            data,
            encoding: Encoding::PLAIN,
            statistics,
        };
        let pages = match column.slot {
            Slot::Text(t) => {
                let mut scratch = std::mem::take(&mut self.derived);
                let ids = rows.text_ids(t, &dicts.sources, &mut scratch);
                let pages = self.text(ids, dicts.text[t as usize], column);
                self.derived = scratch;
                pages?
            }
            Slot::Timestamp => {
                delta_i64(&rows.timestamp, |_| true, &mut self.kept, &mut self.values)
            }
            Slot::Status => self.status(&rows.status)?,
            Slot::BodySize => {
                delta_i64(&rows.body_size, |_| true, &mut self.kept, &mut self.values)
            }
            Slot::InputLine => {
                delta_i64(&rows.input_line, |_| true, &mut self.kept, &mut self.values)
            }
            Slot::VisitId => {
                let present = |v: i64| v != NO_VISIT;
                self.definition_levels(&rows.visit_id, present);
                delta_i64(&rows.visit_id, present, &mut self.kept, &mut self.values)
            }
            Slot::Duration => {
                let d = &rows.duration;
                let nulls = d.iter().filter(|v| v.is_nan()).count() as u64;
                self.definition_levels(d, |v: f64| !v.is_nan());
                let (mut min, mut max) = (None::<f64>, None::<f64>);
                for &v in d.iter().filter(|v| !v.is_nan()) {
                    self.values.extend_from_slice(&v.to_le_bytes());
                    min = Some(min.map_or(v, |m| m.min(v)));
                    max = Some(max.map_or(v, |m| m.max(v)));
                }
                let statistics = Statistics::double(min, max, None, Some(nulls), false);
                plain(std::mem::take(&mut self.values), Some(statistics))
            }
            Slot::Flag(f) => {
                let mut scratch = std::mem::take(&mut self.derived_flags);
                pack_bools(
                    rows.flag_values(f, &dicts.sources, &mut scratch),
                    &mut self.values,
                );
                self.derived_flags = scratch;
                plain(std::mem::take(&mut self.values), None)
            }
        };
        let levels = std::mem::take(&mut self.levels);
        let written = self.write_pages(pages, column.nullable.then_some(&levels), n, descr);
        self.levels = levels;
        written
    }

    /// A text column: the row group's dictionary and each row's number in it.
    fn text(&mut self, ids: &[u32], dict: &Dict, column: &Column) -> io::Result<Pages> {
        let n = dict.len();
        if self.local.len() < n + 1 {
            self.local.resize(n + 1, NULL);
        }
        self.used.clear();
        self.indices.clear();
        let small = n <= ids.len() / SMALL_DICTIONARY_SHARE;
        // A null is u32::MAX: past the dictionary, as no value may be.
        let (past, nulls) = match small {
            true => mark(&mut self.local[..=n], ids),
            false => count(ids, n),
        };
        let wrong = if past > nulls {
            let id = ids.iter().find(|&&id| id != NULL && id as usize >= n);
            Some(format!(
                "value {} is not in a dictionary of {n}",
                id.copied().unwrap_or_default()
            ))
        } else if nulls > 0 && !column.nullable {
            // Every row must have a value: a bug, not the log's fault.
            Some("a null in a column without nulls".into())
        } else {
            None
        };
        if let Some(wrong) = wrong {
            if small {
                self.local[..=n].fill(NULL);
            }
            return Err(io::Error::other(format!("{}: {wrong}", column.name)));
        }
        // Marked (small): does the row group use value `id`?
        let mut whole = false;
        if small {
            let in_use = self.local[..n].iter().filter(|&&m| m != 0).count();
            whole = n <= WHOLE_DICTIONARY_VALUES && in_use * 2 >= n;
            if whole {
                // The whole dictionary, numbered as it is.
                self.used.extend(0..n as u32);
                if nulls > 0 {
                    kept_in_place(ids, |id| id != NULL, &mut self.indices, |id| id);
                }
            } else {
                self.number_marked(ids, n);
            }
        } else {
            self.number_in_order_of_use(ids);
        }
        if column.nullable {
            self.definition_levels(ids, |id| id != NULL);
        }
        // The row group's dictionary, plain: each value's length, then it.
        let mut dictionary = std::mem::take(&mut self.dictionary);
        dictionary.clear();
        let (mut min, mut max): (Option<&[u8]>, Option<&[u8]>) = (None, None);
        let mut bounded = true;
        for &id in &self.used {
            let value = dict.get(id);
            dictionary.extend_from_slice(&(value.len() as u32).to_le_bytes());
            dictionary.extend_from_slice(value);
            // The statistics are of the values the rows hold.
            if whole && self.local[id as usize] == 0 {
                continue;
            }
            bounded &= value.len() <= MAX_STATISTICS_BYTES;
            min = Some(min.map_or(value, |m| m.min(value)));
            max = Some(max.map_or(value, |m| m.max(value)));
        }
        // Back to "not used" for the next column chunk.
        if small {
            self.local[..=n].fill(NULL);
        } else {
            for &id in &self.used {
                self.local[id as usize] = NULL;
            }
        }
        let (min, max) = if bounded { (min, max) } else { (None, None) };
        let statistics = Statistics::byte_array(
            min.map(|m| ByteArray::from(m.to_vec())),
            max.map(|m| ByteArray::from(m.to_vec())),
            None,
            Some(nulls as u64),
            false,
        );
        // A whole dictionary without nulls: the rows' numbers are theirs.
        let indices = (whole && nulls == 0).then_some(ids);
        Ok(self.dictionary_pages(dictionary, indices, statistics))
    }

    /// Numbers the values of `ids` in order of first use, each row's
    /// number in `indices` (nulls left out).
    fn number_in_order_of_use(&mut self, ids: &[u32]) {
        let (local, used) = (&mut self.local, &mut self.used);
        kept_in_place(
            ids,
            |id| id != NULL,
            &mut self.indices,
            |id| local_number(local, used, id).unwrap_or(NULL),
        );
    }

    /// Numbers the values [`mark`] marked in `local`, in the dictionary's
    /// order (of `n` values), and each row's number in `indices` (nulls
    /// left out): no test per row of whether its value has a number yet.
    fn number_marked(&mut self, ids: &[u32], n: usize) {
        for (value, slot) in self.local[..n].iter_mut().enumerate() {
            if *slot != 0 {
                *slot = self.used.len() as u32;
                self.used.push(value as u32);
            }
        }
        let local = &self.local[..=n];
        kept_in_place(
            ids,
            |id| id != NULL,
            &mut self.indices,
            |id| local[(id as usize).min(n)],
        );
    }

    /// The status: a dictionary of the few codes of the row group and
    /// each row's number in it, as for text (plain, it was the largest
    /// column of an export before compression).
    fn status(&mut self, statuses: &[i32]) -> io::Result<Pages> {
        if self.status_slots.is_empty() {
            self.status_slots = vec![NULL; 1 << 16];
        }
        self.used.clear();
        self.indices.clear();
        for &status in statuses {
            let number = u32::try_from(status)
                .ok()
                .and_then(|s| local_number(&mut self.status_slots, &mut self.used, s))
                .ok_or_else(|| io::Error::other(format!("status {status} out of range")))?;
            self.indices.push(number);
        }
        let mut dictionary = std::mem::take(&mut self.dictionary);
        dictionary.clear();
        let (mut min, mut max) = (None::<i32>, None::<i32>);
        for &status in &self.used {
            let status = status as i32;
            dictionary.extend_from_slice(&status.to_le_bytes());
            min = Some(min.map_or(status, |m| m.min(status)));
            max = Some(max.map_or(status, |m| m.max(status)));
            self.status_slots[status as usize] = NULL;
        }
        let statistics = Statistics::int32(min, max, None, Some(0), false);
        Ok(self.dictionary_pages(dictionary, None, statistics))
    }

    /// The pages of a dictionary-encoded column: the row group's
    /// `dictionary` (of the values in `used`) and each row's number in it
    /// (`indices`), bit-packed; no dictionary and no values where every
    /// row is null.
    fn dictionary_pages(
        &mut self,
        dictionary: Vec<u8>,
        indices: Option<&[u32]>,
        statistics: Statistics,
    ) -> Pages {
        let mut data = std::mem::take(&mut self.values);
        data.clear();
        if self.used.is_empty() {
            self.dictionary = dictionary;
            return Pages {
                dictionary: None,
                data,
                encoding: Encoding::PLAIN,
                statistics: Some(statistics),
            };
        }
        let width = bit_width(self.used.len() as u32 - 1);
        data.push(width);
        bit_pack(indices.unwrap_or(&self.indices), width, &mut data);
        Pages {
            dictionary: Some((dictionary, self.used.len() as u32)),
            data,
            encoding: Encoding::RLE_DICTIONARY,
            statistics: Some(statistics),
        }
    }

    /// Definition levels of `values` (see [`definition_levels`]) with
    /// their length in front (data page v1).
    fn definition_levels<T: Copy>(&mut self, values: &[T], present: impl Fn(T) -> bool) {
        self.levels.clear();
        self.levels.extend_from_slice(&[0; 4]);
        definition_levels(values, present, &mut self.levels);
        let len = (self.levels.len() - 4) as u32;
        self.levels[..4].copy_from_slice(&len.to_le_bytes());
    }

    /// `raw` compressed (into a buffer kept for the next page).
    fn compress(compressor: &mut Compressor, raw: &[u8], out: &mut Vec<u8>) -> io::Result<Bytes> {
        match compressor {
            Compressor::Snappy(snappy) => {
                // Grown only: zeroing the room again for each page cost
                // a pass over the pages' size.
                let room = snap::raw::max_compress_len(raw.len());
                if out.len() < room {
                    out.resize(room, 0);
                }
                let n = snappy.compress(raw, out).map_err(io::Error::other)?;
                Ok(Bytes::copy_from_slice(&out[..n]))
            }
            Compressor::Zstd(zstd) => {
                out.clear();
                out.reserve(zstd::zstd_safe::compress_bound(raw.len()));
                zstd.compress_to_buffer(raw, out)?;
                Ok(Bytes::copy_from_slice(out))
            }
        }
    }

    fn write_pages(
        &mut self,
        pages: Pages,
        levels: Option<&Vec<u8>>,
        rows: usize,
        descr: &ColumnDescPtr,
    ) -> io::Result<(Bytes, ColumnCloseResult)> {
        let mut sink = std::mem::take(&mut self.sink);
        sink.clear();
        let mut sink = TrackedWrite::new(sink);
        let mut writer = SerializedPageWriter::new(&mut sink);
        let mut encodings = vec![Encoding::PLAIN];
        let mut dictionary_offset = None;
        let (mut compressed, mut uncompressed) = (0u64, 0u64);
        if let Some((dictionary, values)) = &pages.dictionary {
            let page = Page::DictionaryPage {
                buf: Self::compress(&mut self.compressor, dictionary, &mut self.compressed)?,
                num_values: *values,
                encoding: Encoding::PLAIN,
                is_sorted: false,
            };
            let spec = writer
                .write_page(CompressedPage::new(page, dictionary.len()))
                .map_err(error)?;
            dictionary_offset = Some(spec.offset as i64);
            compressed += spec.compressed_size as u64;
            uncompressed += spec.uncompressed_size as u64;
        }
        let mut raw = std::mem::take(&mut self.raw);
        raw.clear();
        if let Some(levels) = levels {
            raw.extend_from_slice(levels);
            encodings.push(Encoding::RLE);
        }
        raw.extend_from_slice(&pages.data);
        if pages.encoding != Encoding::PLAIN {
            encodings.push(pages.encoding);
        }
        let page = Page::DataPage {
            buf: Self::compress(&mut self.compressor, &raw, &mut self.compressed)?,
            num_values: rows as u32,
            encoding: pages.encoding,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        let spec = writer
            .write_page(CompressedPage::new(page, raw.len()))
            .map_err(error)?;
        compressed += spec.compressed_size as u64;
        uncompressed += spec.uncompressed_size as u64;
        writer.close().map_err(error)?;
        // The buffers serve the next column.
        self.raw = raw;
        self.values = pages.data;
        if let Some((dictionary, _)) = pages.dictionary {
            self.dictionary = dictionary;
        }

        let mut metadata = ColumnChunkMetaData::builder(descr.clone())
            .set_compression(match self.compressor {
                Compressor::Snappy(_) => Codec::SNAPPY,
                Compressor::Zstd(_) => Codec::ZSTD(Default::default()),
            })
            .set_encodings_mask(EncodingMask::new_from_encodings(encodings.iter()))
            .set_total_compressed_size(compressed as i64)
            .set_total_uncompressed_size(uncompressed as i64)
            .set_num_values(rows as i64)
            .set_data_page_offset(spec.offset as i64)
            .set_dictionary_page_offset(dictionary_offset);
        if let Some(statistics) = pages.statistics {
            metadata = metadata.set_statistics(statistics);
        }
        let bytes = Bytes::from(sink.into_inner().map_err(error)?);
        let close = ColumnCloseResult {
            bytes_written: bytes.len() as u64,
            rows_written: rows as u64,
            metadata: metadata.build().map_err(error)?,
            bloom_filter: None,
            column_index: None,
            offset_index: None,
        };
        Ok((bytes, close))
    }
}

/// Marks in `marks` (zeroed here) each value of `ids` with 1, nulls and
/// values past the dictionary (`marks.len() - 1` values) in its last slot;
/// (values past the dictionary, nulls) among them.
fn mark(marks: &mut [u32], ids: &[u32]) -> (usize, usize) {
    let n = marks.len() - 1;
    marks.fill(0);
    for &id in ids {
        marks[(id as usize).min(n)] = 1;
    }
    // The values past the dictionary and the nulls are counted only if
    // there are any: most columns have none, and the loop above is then
    // all the pass over their rows.
    if marks[n] == 0 {
        return (0, 0);
    }
    count(ids, n)
}

/// (values of `ids` past a dictionary of `n`, nulls among them).
fn count(ids: &[u32], n: usize) -> (usize, usize) {
    let (mut past, mut nulls) = (0, 0);
    for &id in ids {
        past += (id as usize >= n) as usize;
        nulls += (id == NULL) as usize;
    }
    (past, nulls)
}

/// The number of `value` in a row group's own dictionary: `slots` (one per
/// value the column may hold, [`NULL`] where not used yet) keeps it, and
/// `used` lists the values in order of first use. `None`: no such value.
#[inline]
fn local_number(slots: &mut [u32], used: &mut Vec<u32>, value: u32) -> Option<u32> {
    let slot = slots.get_mut(value as usize)?;
    if *slot == NULL {
        *slot = used.len() as u32;
        used.push(value);
    }
    Some(*slot)
}

/// `out` becomes `map` of each value of `values` that `present` keeps, in
/// order. Each value is written and a null's place taken by the next one,
/// with no branch per value: nulls come and go from row to row.
#[inline(always)]
fn kept_in_place<T: Copy, U: Copy + Default>(
    values: &[T],
    present: impl Fn(T) -> bool,
    out: &mut Vec<U>,
    mut map: impl FnMut(T) -> U,
) {
    out.clear();
    out.resize(values.len(), U::default());
    let mut at = 0;
    for &v in values {
        out[at] = map(v);
        at += present(v) as usize;
    }
    out.truncate(at);
}

/// 64-bit integers: the values `present` keeps, DELTA_BINARY_PACKED
/// (`kept` holds them on the way).
fn delta_i64(
    values: &[i64],
    present: impl Fn(i64) -> bool,
    kept: &mut Vec<i64>,
    out: &mut Vec<u8>,
) -> Pages {
    let nulls = values.iter().filter(|&&v| !present(v)).count();
    // Without nulls, the values as they are; else those that are not.
    let kept: &[i64] = if nulls == 0 {
        values
    } else {
        kept_in_place(values, present, kept, |v| v);
        kept
    };
    let nulls = nulls as u64;
    let (min, max) = (kept.iter().min().copied(), kept.iter().max().copied());
    delta_binary_packed(kept, out);
    Pages {
        dictionary: None,
        data: std::mem::take(out),
        encoding: Encoding::DELTA_BINARY_PACKED,
        statistics: Some(Statistics::int64(min, max, None, Some(nulls), false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::bits::tests::unpack;
    use crate::export::columns::Text;
    use std::borrow::Cow;

    /// The values of a text column chunk's rows that are not null, read
    /// back from its dictionary page and its data page's numbers.
    fn read_text(pages: &Pages, values: usize) -> Vec<Vec<u8>> {
        let Some((dictionary, entries)) = &pages.dictionary else {
            return Vec::new();
        };
        let mut plain = &dictionary[..];
        let mut entries_read = Vec::new();
        while !plain.is_empty() {
            let len = u32::from_le_bytes(plain[..4].try_into().unwrap()) as usize;
            entries_read.push(plain[4..4 + len].to_vec());
            plain = &plain[4 + len..];
        }
        assert_eq!(entries_read.len(), *entries as usize);
        let width = pages.data[0];
        unpack(&pages.data[1..], width, values)
            .into_iter()
            .map(|i| entries_read[i as usize].clone())
            .collect()
    }

    #[test]
    fn text_columns_read_back_however_their_dictionary_is_numbered() {
        // Values 0..n of a column's dictionary; rows take some of them.
        let dict_of = |n: usize| Dict::of((0..n).map(|i| Cow::Owned(format!("v{i:05}")))).0;
        let column = Column {
            name: "device",
            slot: Slot::Text(Text::Device),
            nullable: true,
        };
        let every = |k: u32, n: u32| move |i: u32| i.wrapping_mul(2_654_435_761) % k * (n / k);
        let cases: Vec<(&str, usize, Vec<u32>)> = vec![
            // More values than a quarter of the rows: numbered in order of
            // first use.
            (
                "in order of use",
                10,
                (0..20).map(|i| (i * 7) % 10).collect(),
            ),
            // A small dictionary used in part: the used values marked.
            ("marked", 100, (0..1000).map(every(10, 100)).collect()),
            // Over the size of a whole dictionary: marked.
            (
                "marked, large",
                1100,
                (0..5000).map(|i| (i * 31) % 1100).collect(),
            ),
            // A small dictionary mostly used: whole.
            (
                "whole",
                8,
                (0..100).map(|i| [1, 3, 4, 6, 7][i as usize % 5]).collect(),
            ),
        ];
        for (what, n, ids) in cases {
            let dict = dict_of(n);
            for with_nulls in [false, true] {
                let ids: Vec<u32> = ids
                    .iter()
                    .enumerate()
                    .map(|(i, &id)| if with_nulls && i % 4 == 1 { NULL } else { id })
                    .collect();
                let mut e = Encoder::new(Compression::Snappy).unwrap();
                let pages = e.text(&ids, &dict, &column).unwrap();
                let kept: Vec<u32> = ids.iter().copied().filter(|&id| id != NULL).collect();
                let expected: Vec<Vec<u8>> = kept.iter().map(|&id| dict.get(id).to_vec()).collect();
                assert_eq!(
                    read_text(&pages, kept.len()),
                    expected,
                    "{what}, nulls: {with_nulls}"
                );
                let statistics = pages.statistics.unwrap();
                let min = kept.iter().map(|&id| dict.get(id)).min();
                let max = kept.iter().map(|&id| dict.get(id)).max();
                assert_eq!(statistics.min_bytes_opt(), min, "{what}");
                assert_eq!(statistics.max_bytes_opt(), max, "{what}");
                assert_eq!(
                    statistics.null_count_opt(),
                    Some((ids.len() - kept.len()) as u64)
                );
                // The encoder is ready for the next chunk: nothing numbered.
                assert!(e.local.iter().all(|&slot| slot == NULL), "{what}");
            }
        }
        // A value past the dictionary is an error, not a wrong row.
        let mut e = Encoder::new(Compression::Snappy).unwrap();
        let err = e.text(&[0, 1, 9], &dict_of(3), &column).err().unwrap();
        assert_eq!(
            err.to_string(),
            "device: value 9 is not in a dictionary of 3"
        );
    }

    #[test]
    fn definition_levels_read_back() {
        let mut e = Encoder::new(Compression::Snappy).unwrap();
        let present = [true, true, false, true, false, false, false];
        e.definition_levels(&present, |p| p);
        let len = u32::from_le_bytes(e.levels[..4].try_into().unwrap()) as usize;
        assert_eq!(len, e.levels.len() - 4);
        let decoded: Vec<bool> = unpack(&e.levels[4..], 1, present.len())
            .into_iter()
            .map(|v| v == 1)
            .collect();
        assert_eq!(decoded, present);
        let mut bools = Vec::new();
        pack_bools(
            &[true, false, false, true, true, false, false, false, true],
            &mut bools,
        );
        assert_eq!(bools, [0b0001_1001, 0b1]);
    }
}
