//! NDJSON parts: one JSON object a row, the columns in order as its keys,
//! nulls as `null`; for tools without Parquet (`jq`, `read_json` in DuckDB,
//! ClickHouse's `JSONEachRow`).

use std::fs::File;
use std::io::{self, BufWriter, Write};

use super::columns::Column;
use super::output::PartWriter;
use super::rows::{rfc3339_micros, Cell, Dicts, Rows};

pub struct NdjsonPart {
    out: BufWriter<File>,
    columns: &'static [Column],
    line: Vec<u8>,
}

impl NdjsonPart {
    pub fn new(file: File, columns: &'static [Column]) -> NdjsonPart {
        NdjsonPart {
            out: BufWriter::with_capacity(1 << 20, file),
            columns,
            line: Vec::new(),
        }
    }
}

impl PartWriter for NdjsonPart {
    fn write(&mut self, rows: &Rows, dicts: &Dicts<'_>) -> io::Result<()> {
        for row in 0..rows.len() {
            let line = &mut self.line;
            line.clear();
            line.push(b'{');
            for (i, column) in self.columns.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                line.push(b'"');
                line.extend_from_slice(column.name.as_bytes());
                line.extend_from_slice(b"\":");
                match rows.cell(column, row, dicts) {
                    Cell::Null => line.extend_from_slice(b"null"),
                    Cell::Text(text) => json_string(text, line),
                    Cell::Int(n) => line.extend_from_slice(n.to_string().as_bytes()),
                    Cell::Float(x) => serde_json::to_writer(&mut *line, &x)?,
                    Cell::Bool(b) => line.extend_from_slice(if b { b"true" } else { b"false" }),
                    Cell::Timestamp(us) => json_string(rfc3339_micros(us).as_bytes(), line),
                }
            }
            line.extend_from_slice(b"}\n");
            self.out.write_all(line)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

/// `text` (valid UTF-8) as a JSON string: `"` and `\` escaped, control
/// characters as `\u00XX`, the rest as it is.
fn json_string(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in text {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_from_the_log_stay_one_json_value() {
        let mut out = Vec::new();
        json_string("a\"b\\c\n\u{1b}[31mé\u{202e}".as_bytes(), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "\"a\\\"b\\\\c\\n\\u001b[31mé\u{202e}\"");
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1b}[31mé\u{202e}");
    }
}
