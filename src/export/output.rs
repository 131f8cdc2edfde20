//! The export directory: Hive-style folders, one a day
//! (`DIR/date=2024-05-01/part-0000.parquet`), which DuckDB, Spark, Trino and
//! ClickHouse read as a `date` column and skip when a query rules the day
//! out.
//!
//! Everything is written into a hidden folder beside DIR and renamed into
//! place at the end, so that DIR appears whole or not at all: a failed or
//! interrupted export never leaves half a table where a query would read
//! it, and never touches what DIR held (it must not exist, or be empty).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::rows::{Dicts, Rows};
use crate::error::Error;

/// A file of one day, written by one part of the input.
pub trait PartWriter: Send {
    /// Appends `rows` (for Parquet: a row group).
    fn write(&mut self, rows: &Rows, dicts: &Dicts<'_>) -> io::Result<()>;
    /// Writes what is left (Parquet's footer) and flushes the file.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// The folder being written, and where it goes.
pub struct ExportDir {
    target: PathBuf,
    work: tempfile::TempDir,
}

impl ExportDir {
    /// Checks that `target` can take an export (it does not exist or is an
    /// empty directory), and makes the hidden folder beside it.
    pub fn create(target: &Path) -> Result<ExportDir, Error> {
        let fail = |reason: String| Error::Output {
            path: target.display().to_string(),
            reason,
        };
        match fs::read_dir(target) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(fail(
                        "the directory is not empty; name a new one (an export never mixes with files already there)".into(),
                    ));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(e.to_string())),
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // `-o exports/host=web1` makes `exports` if need be.
        fs::create_dir_all(parent)
            .map_err(|e| fail(format!("cannot make {}: {e}", parent.display())))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".logstats-export-");
        // An ordinary new directory's mode (0777 less the umask), not the
        // private one a temporary directory gets.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o777));
        }
        let work = builder
            .tempdir_in(parent)
            .map_err(|e| fail(format!("cannot make a folder in {}: {e}", parent.display())))?;
        Ok(ExportDir {
            target: target.to_path_buf(),
            work,
        })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// A new file for the rows of `date` that part `part` of the input
    /// writes; parts are numbered in input order, and their files keep
    /// that order when [`finish`](Self::finish) names them.
    pub fn part_file(&self, date: &str, part: usize, extension: &str) -> io::Result<File> {
        let dir = self.work.path().join(format!("date={date}"));
        fs::create_dir_all(&dir)?;
        File::create(dir.join(format!("{part:08}.{extension}")))
    }

    /// Names the files of each day `part-0000.EXT`, `part-0001.EXT`, ... in
    /// input order, and moves the folder into place.
    pub fn finish(self) -> Result<(), Error> {
        let fail = |e: io::Error| Error::Output {
            path: self.target.display().to_string(),
            reason: e.to_string(),
        };
        for day in fs::read_dir(self.work.path()).map_err(fail)? {
            let day = day.map_err(fail)?.path();
            let mut parts: Vec<PathBuf> = fs::read_dir(&day)
                .map_err(fail)?
                .map(|f| f.map(|f| f.path()))
                .collect::<io::Result<_>>()
                .map_err(fail)?;
            parts.sort();
            for (n, part) in parts.iter().enumerate() {
                let extension = part.extension().and_then(|e| e.to_str()).unwrap_or("");
                fs::rename(part, day.join(format!("part-{n:04}.{extension}"))).map_err(fail)?;
            }
        }
        // An empty directory that was there is replaced, keeping its mode.
        #[cfg(unix)]
        if let Ok(existing) = fs::metadata(&self.target) {
            fs::set_permissions(self.work.path(), existing.permissions()).map_err(fail)?;
        }
        let work = self.work.keep();
        if let Err(e) = fs::rename(&work, &self.target) {
            let _ = fs::remove_dir_all(&work);
            return Err(fail(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_named_in_input_order_and_appear_at_once() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let dir = ExportDir::create(&target).unwrap();
        for part in [12, 3, 7] {
            dir.part_file("2024-05-01", part, "csv").unwrap();
        }
        dir.part_file("2024-05-02", 12, "csv").unwrap();
        assert!(!target.exists());
        dir.finish().unwrap();
        let mut names: Vec<String> = fs::read_dir(target.join("date=2024-05-01"))
            .unwrap()
            .map(|f| f.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["part-0000.csv", "part-0001.csv", "part-0002.csv"]);
        assert!(target.join("date=2024-05-02/part-0000.csv").exists());
        // Only the export is left.
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_directory_with_files_is_refused_and_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep.txt"), "mine").unwrap();
        let e = ExportDir::create(&target).err().unwrap().to_string();
        assert!(e.contains("not empty"), "{e}");
        assert_eq!(fs::read_to_string(target.join("keep.txt")).unwrap(), "mine");
        // An empty one is taken.
        fs::remove_file(target.join("keep.txt")).unwrap();
        let dir = ExportDir::create(&target).unwrap();
        dir.part_file("2024-05-01", 0, "ndjson").unwrap();
        dir.finish().unwrap();
        assert!(target.join("date=2024-05-01/part-0000.ndjson").exists());
    }
}
