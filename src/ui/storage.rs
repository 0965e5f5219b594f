//! Where the app keeps its own files, and the crash-recovery autosave.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::document::Document;
use crate::document::project::Project;
use crate::error::Result;

/// The app's id: eframe keeps its storage (window layout, settings) under this name.
pub const APP_ID: &str = "facade-studio";

/// The app's state folder (the recovery file and eframe's `app.ron` live here):
/// `FACADE_STATE_DIR`, else the folder where eframe keeps this app's storage
/// (`~/.local/share/facade-studio` on Linux, the platform's data folder elsewhere), else the temp
/// folder.
pub fn state_dir() -> PathBuf {
    if let Ok(d) = std::env::var("FACADE_STATE_DIR") {
        return PathBuf::from(d);
    }
    eframe::storage_dir(APP_ID).unwrap_or_else(|| std::env::temp_dir().join(APP_ID))
}

/// How often unsaved work is written to the recovery file.
pub const AUTOSAVE_EVERY: Duration = Duration::from_secs(3);

/// The recovery file: written atomically every few seconds while there are unsaved changes,
/// removed when the work is saved or the app closes normally, offered at the next start
/// otherwise.
pub struct Recovery {
    pub path: PathBuf,
    last_write: Option<Instant>,
    written_revision: Option<u64>,
}

impl Recovery {
    pub fn new(dir: PathBuf) -> Recovery {
        Recovery {
            path: dir.join("recovery.ron"),
            last_write: None,
            written_revision: None,
        }
    }

    /// A recovery file left by a session that did not close normally.
    pub fn pending(&self) -> Option<Project> {
        if !self.path.is_file() {
            return None;
        }
        Project::load(&self.path).ok()
    }

    /// Writes the document if it has unsaved changes not yet in the recovery file and the last
    /// write is old enough (or `force`).
    pub fn maybe_write(
        &mut self,
        doc: &Document,
        seed: u64,
        model: &str,
        palette: &str,
        force: bool,
    ) -> Result<bool> {
        if !doc.is_dirty() || self.written_revision == Some(doc.revision) || doc.is_stroking() {
            return Ok(false);
        }
        if !force
            && self
                .last_write
                .is_some_and(|t| t.elapsed() < AUTOSAVE_EVERY)
        {
            return Ok(false);
        }
        Project::of_document(doc, palette, seed, model).save(&self.path)?;
        self.last_write = Some(Instant::now());
        self.written_revision = Some(doc.revision);
        Ok(true)
    }

    pub fn clear(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        self.written_revision = None;
    }
}
