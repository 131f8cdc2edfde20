//! `--format csv`: one table with a header row (`--section NAME`), or every
//! table as tidy rows `section,key,metric,value`. Quoting is the csv crate's
//! (RFC 4180). Text shows control characters and bidi overrides escaped as
//! tables do ([`terminal_safe`]): CSV is read in terminals too (`cat`,
//! `column -s,`), where an ESC from a request would act. With
//! `--csv-safe`, text cells a spreadsheet would take for a formula get a
//! leading `'`; numbers are written as they are.

use std::io::Write;

use super::sections::{sections, Cell, Section};
use super::table::terminal_safe;
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
        let key = text(&key.join("/"), safe);
        for (metric, value) in s.columns[s.keys..].iter().zip(&row[s.keys..]) {
            w.write_record([s.name, key.as_str(), metric, cell(value, safe).as_str()])?;
        }
    }
    Ok(())
}

/// A cell as CSV text: text escaped, and defused when `safe`.
fn cell(c: &Cell, safe: bool) -> String {
    match c {
        Cell::Text(s) => text(s, safe),
        _ => c.raw(),
    }
}

fn text(s: &str, safe: bool) -> String {
    let shown = terminal_safe(s);
    if safe {
        defuse(shown)
    } else {
        shown
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
            ("/=x", "/=x"),
            ("", ""),
        ] {
            assert_eq!(cell(&Cell::Text(text.into()), true), safe);
            assert_eq!(cell(&Cell::Text(text.into()), false), text);
        }
        assert_eq!(cell(&Cell::Count(3), true), "3");
        assert_eq!(cell(&Cell::Rate(0.5), true), "0.5");
        // A tab or CR is escaped before it could start a cell; were one
        // left, it would be defused.
        assert_eq!(cell(&Cell::Text("\tx".into()), true), r"\x09x");
        assert_eq!(cell(&Cell::Text("\rx".into()), false), r"\x0dx");
        assert_eq!(defuse("\tx".into()), "'\tx");
        assert_eq!(defuse("\rx".into()), "'\rx");
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        for safe in [false, true] {
            assert_eq!(
                cell(&Cell::Text("/a\x1b]0;x\x07\u{9b}\u{202e}é".into()), safe),
                r"/a\x1b]0;x\x07\x9b\u{202e}é"
            );
        }
    }
}
