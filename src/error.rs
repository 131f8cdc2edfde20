//! Errors that end a run, each with the exit status it gives and a message
//! that names the file and says what to do.

use std::io;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input that cannot be opened or read.
    #[error("cannot read '{path}': {reason}; {hint}")]
    Input {
        path: String,
        reason: String,
        hint: &'static str,
    },
    /// Options that do not fit together, or no input at all.
    #[error("{0}")]
    Usage(String),
    /// `--strict` and a line that does not match the format.
    #[error("{path}:{line}: malformed line, stopped by --strict (the {format} layout does not match): {text}")]
    Strict {
        path: String,
        line: u64,
        format: &'static str,
        text: String,
    },
    /// A log format that does not fit the start of a file.
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    /// A GeoIP database that was named or found but cannot be used.
    #[error(transparent)]
    Geo(#[from] crate::enrich::geoip::GeoError),
    /// A configuration file that cannot be read or holds a bad key.
    #[error("configuration file '{path}': {message}")]
    Config { path: String, message: String },
    /// The report could not be written where `-o` said.
    #[error("cannot write '{path}': {reason}; nothing was written there")]
    Output { path: String, reason: String },
    /// A state file (`--state`) that cannot be used; the message says why
    /// and what to do. The file is left as it was.
    #[error("state file '{path}': {message}")]
    State { path: String, message: String },
}

impl Error {
    pub fn input(path: &Path, e: &io::Error) -> Error {
        let (reason, hint) = match e.kind() {
            io::ErrorKind::NotFound => ("no such file".to_string(), "check the path (rotated logs are often access.log.1, access.log.2.gz)"),
            io::ErrorKind::PermissionDenied => (
                "permission denied".to_string(),
                "run as a user who may read it (logs are often readable by the adm group, or with sudo)",
            ),
            io::ErrorKind::IsADirectory => ("it is a directory".to_string(), "name the log files in it, e.g. DIR/access.log*"),
            _ => (e.to_string(), "check that it is a readable log file"),
        };
        Error::Input {
            path: path.display().to_string(),
            reason,
            hint,
        }
    }

    /// 1 for `--strict` failures, 2 for usage, input and output errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Strict { .. } => 1,
            Error::Input { .. }
            | Error::Usage(_)
            | Error::Format { .. }
            | Error::Geo(_)
            | Error::Config { .. }
            | Error::Output { .. }
            | Error::State { .. } => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Permission problems cannot be made in a test run as root (root reads
    /// everything), so the mapping from the error is tested here.
    #[test]
    fn unreadable_inputs_say_what_to_do() {
        let path = Path::new("/var/log/nginx/access.log");
        let denied = Error::input(path, &io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(
            denied.to_string(),
            "cannot read '/var/log/nginx/access.log': permission denied; run as a user who may read it (logs are often readable by the adm group, or with sudo)"
        );
        assert_eq!(denied.exit_code(), 2);
        let missing = Error::input(path, &io::Error::from(io::ErrorKind::NotFound));
        assert!(missing.to_string().contains("no such file; check the path"));
        assert_eq!(missing.exit_code(), 2);
    }
}
