//! How the app starts: the command line's choices, passed to `StudioApp::new`.

use std::path::PathBuf;

use super::storage::state_dir;
use crate::backend::BackendChoice;

/// How the app starts.
#[derive(Debug, Clone)]
pub struct StudioOptions {
    /// Model file or run folder; None = the shipped default model.
    pub model: Option<PathBuf>,
    pub backend: BackendChoice,
    /// Where the recovery file lives.
    pub state_dir: PathBuf,
    /// A project or label image to open at start.
    pub open: Option<PathBuf>,
    /// Start on a blank canvas of this width and height (the palette's background class)
    /// instead of a random sample.
    pub blank: Option<(u32, u32)>,
    /// Start the render worker (tests of pure editing turn it off).
    pub render: bool,
    /// Open the training tab on this dataset folder.
    pub train_data: Option<PathBuf>,
    /// The training tab's run folder (its curve and samples are shown).
    pub run_dir: Option<PathBuf>,
    /// Start training at once: Some(false) a new run, Some(true) resume the run folder.
    pub start_training: Option<bool>,
    /// Edits and app commands to run at start (a RON list, see `ui::script_steps::ScriptStep`):
    /// scripting, and crash tests.
    pub script: Option<PathBuf>,
}

impl Default for StudioOptions {
    fn default() -> Self {
        StudioOptions {
            model: None,
            backend: BackendChoice::Auto,
            state_dir: state_dir(),
            open: None,
            blank: None,
            render: true,
            train_data: None,
            run_dir: None,
            start_training: None,
            script: None,
        }
    }
}
