//! `--format json`: the report object of SPEC §6, through serde.

use std::io::Write;

use crate::report::Report;

pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
