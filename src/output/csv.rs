//! `--format csv`: one table with a header row (`--section NAME`), or every
//! table as tidy rows `section,key,metric,value`. Quoting is the csv crate's
//! (RFC 4180). With `--csv-safe`, text cells a spreadsheet would take for a
//! formula get a leading `'`; numbers are written as they are.

use std::io::Write;

use super::sections::{sections, Cell, Section};
use crate::report::Report;

pub fn write(
    report: &Report,
    section: Option<&str>,
    safe: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let all = sections(report);
    match section {
        Some(name) => {
            let Some(s) = all.iter().find(|s| s.name == name) else {
                anyhow::bail!(
                    "no section '{name}'; choose one of: {}",
                    super::sections::SECTION_NAMES.join(", ")
                );
            };
            w.write_record(&s.columns)?;
            for row in &s.rows {
                w.write_record(row.iter().map(|c| cell(c, safe)))?;
            }
        }
        None => {
            w.write_record(["section", "key", "metric", "value"])?;
            for s in &all {
                write_tidy(&mut w, s, safe)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// A row's key is its key columns joined by `/` (a table with no key
/// column, like `summary`, has an empty key); each other column is a metric.
fn write_tidy<W: Write>(w: &mut csv::Writer<W>, s: &Section, safe: bool) -> csv::Result<()> {
    for row in &s.rows {
        let key: Vec<String> = row[..s.keys].iter().map(|c| c.raw()).collect();
        let mut key = key.join("/");
        if safe {
            key = defuse(key);
        }
        for (metric, value) in s.columns[s.keys..].iter().zip(&row[s.keys..]) {
            w.write_record([s.name, key.as_str(), metric, cell(value, safe).as_str()])?;
        }
    }
    Ok(())
}

/// A cell as CSV text: defused when `safe` and it is text.
fn cell(c: &Cell, safe: bool) -> String {
    match c {
        Cell::Text(_) if safe => defuse(c.raw()),
        _ => c.raw(),
    }
}

/// OWASP's advice against CSV injection: a cell starting with a character
/// that makes spreadsheets evaluate it gets a leading `'`, which they show
/// as text and hide.
fn defuse(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_defused_and_numbers_kept() {
        for (text, safe) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-", "'-"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("/=x", "/=x"),
            ("", ""),
        ] {
            assert_eq!(cell(&Cell::Text(text.into()), true), safe);
            assert_eq!(cell(&Cell::Text(text.into()), false), text);
        }
        assert_eq!(cell(&Cell::Count(3), true), "3");
        assert_eq!(cell(&Cell::Rate(0.5), true), "0.5");
    }
}
