//! CSV parts: a header row of the column names, then one row a hit; a null
//! is an empty field, true and false are written so. Fields are quoted
//! when they hold a comma, a quote or a line break, and control characters
//! from the log show as escapes (`\x1b`), as in the report's CSV: a log is
//! written by whoever sends requests, and CSV ends up in terminals.

use std::fs::File;
use std::io::{self, BufWriter};

use super::columns::Column;
use super::output::PartWriter;
use super::rows::{rfc3339_micros, Cell, Dicts, Rows};
use crate::text::terminal_safe;

pub struct CsvPart {
    out: csv::Writer<BufWriter<File>>,
    columns: &'static [Column],
}

impl CsvPart {
    pub fn new(file: File, columns: &'static [Column]) -> io::Result<CsvPart> {
        let mut out = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
        out.write_record(columns.iter().map(|c| c.name))
            .map_err(io::Error::other)?;
        Ok(CsvPart { out, columns })
    }
}

impl PartWriter for CsvPart {
    fn write(&mut self, rows: &Rows, dicts: &Dicts<'_>) -> io::Result<()> {
        let mut record = csv::ByteRecord::new();
        for row in 0..rows.len() {
            record.clear();
            for column in self.columns {
                match rows.cell(column, row, dicts) {
                    Cell::Null => record.push_field(b""),
                    Cell::Text(text) => {
                        let text = String::from_utf8_lossy(text);
                        record.push_field(terminal_safe(&text).as_bytes());
                    }
                    Cell::Int(n) => record.push_field(n.to_string().as_bytes()),
                    Cell::Float(x) => record.push_field(x.to_string().as_bytes()),
                    Cell::Bool(b) => record.push_field(if b { b"true" } else { b"false" }),
                    Cell::Timestamp(us) => record.push_field(rfc3339_micros(us).as_bytes()),
                }
            }
            self.out
                .write_byte_record(&record)
                .map_err(io::Error::other)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}
