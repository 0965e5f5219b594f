//! The library's error type. Every variant that comes from a file names the file, and every
//! message ends with what the user can do about it.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed at the operating-system level.
    #[error("{}: {source}. Check that the path exists and is readable/writable.", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
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
}
