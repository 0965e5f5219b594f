//! The library's error type. Every variant that comes from a file names the file, and every
//! message ends with what the user can do about it.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed at the operating-system level. (The source is part of
    /// the message, not a separate cause, so error chains do not repeat it.)
    #[error("{}: {error}. {}", path.display(), io_hint(error))]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A file exists but its content is not what it should be. `message` says what is wrong and
    /// how to fix it.
    #[error("{}: {message}", path.display())]
    BadFile { path: PathBuf, message: String },
    /// A problem that is not tied to one file (e.g. no GPU adapter, a NaN loss).
    #[error("{0}")]
    Message(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to do about an I/O error, in words.
fn io_hint(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "Check the path.",
        PermissionDenied => "Check the permissions of the file and its folder.",
        StorageFull | FileTooLarge | QuotaExceeded => {
            "The disk is full (or a size limit was reached): free some space and try again; an existing file there is unchanged."
        }
        _ => "Check that the path exists and is readable/writable.",
    }
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            error: source,
        }
    }

    pub fn bad_file(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::BadFile {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    pub fn msg(message: impl Into<String>) -> Self {
        Error::Message(message.into())
    }

    /// A message about what a file holds, named by that file (other errors name theirs
    /// already).
    pub fn in_file(self, path: impl AsRef<Path>) -> Self {
        match self {
            Error::Message(m) => Error::bad_file(path, m),
            other => other,
        }
    }
}
