//! Where a rendered report goes: standard output, where a reader that
//! stops early (`| head`) is no error, or a file, replaced atomically so
//! that a failed run leaves the old one in place.

use std::io::{self, Write};
use std::path::Path;

use crate::error::Error;

/// Writes what `render` writes to the file `path`, or to standard output
/// when there is none.
pub fn write_to(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> Result<(), Error> {
    match path {
        Some(path) => write_atomically(path, render),
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
            let written = render(&mut out).and_then(|()| out.flush().map_err(Into::into));
            if let Err(e) = written {
                // `logstats report ... | head` closes the pipe early: not an error.
                if !is_broken_pipe(&e) {
                    return Err(Error::Output {
                        path: "standard output".into(),
                        reason: e.to_string(),
                    });
                }
            }
            Ok(())
        }
    }
}

/// Writes to a temporary file beside `path`, flushes it to disk and renames
/// it into place, so that `path` is either the old file or the whole new one.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> Result<(), Error> {
    let fail = |reason: String| Error::Output {
        path: path.display().to_string(),
        reason,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // The temporary file would be private (0600); the report gets the mode
    // an ordinary new file has (0666 less the umask), or keeps the mode of
    // the report it replaces, so that a web server can still read it.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".logstats-");
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(existing) => existing.permissions(),
            Err(_) => std::fs::Permissions::from_mode(0o666),
        }
    };
    #[cfg(unix)]
    builder.permissions(permissions.clone());
    let mut tmp = builder.tempfile_in(dir).map_err(|e| fail(e.to_string()))?;
    // The mode given at creation was cut by the umask; an existing report's
    // mode is restored exactly.
    #[cfg(unix)]
    if std::fs::metadata(path).is_ok() {
        tmp.as_file()
            .set_permissions(permissions)
            .map_err(|e| fail(e.to_string()))?;
    }
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        write(&mut out).map_err(|e| fail(e.to_string()))?;
        out.flush().map_err(|e| fail(e.to_string()))?;
    }
    tmp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    tmp.persist(path).map_err(|e| fail(e.error.to_string()))?;
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe))
    })
}
