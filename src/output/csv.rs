//! `--format csv`: one table with a header row (`--section NAME`), or every
//! table as tidy rows `section,key,metric,value`. Quoting is the csv crate's.

use std::io::Write;

use super::{sections, Section};
use crate::report::Report;

pub fn write(report: &Report, section: Option<&str>, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let all = sections(report);
    match section {
        Some(name) => {
            let Some(s) = all.iter().find(|s| s.name == name) else {
                anyhow::bail!(
                    "no section '{name}'; choose one of: {}",
                    super::SECTION_NAMES.join(", ")
                );
            };
            w.write_record(&s.columns)?;
            for row in &s.rows {
                w.write_record(row.iter().map(|c| c.raw()))?;
            }
        }
        None => {
            w.write_record(["section", "key", "metric", "value"])?;
            for s in &all {
                write_tidy(&mut w, s)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// A row's key is its key columns joined by `/` (a table with no key
/// column, like `summary`, has an empty key); each other column is a metric.
fn write_tidy<W: Write>(w: &mut csv::Writer<W>, s: &Section) -> csv::Result<()> {
    for row in &s.rows {
        let key: Vec<String> = row[..s.keys].iter().map(|c| c.raw()).collect();
        let key = key.join("/");
        for (metric, value) in s.columns[s.keys..].iter().zip(&row[s.keys..]) {
            w.write_record([s.name, key.as_str(), metric, value.raw().as_str()])?;
        }
    }
    Ok(())
}
