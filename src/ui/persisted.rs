//! What the app keeps between sessions in eframe's storage.

use std::path::PathBuf;

use super::tool::ToolState;

/// What the app keeps between sessions (eframe's storage). Fields added later default, so an
/// older storage still reads.
#[derive(serde::Serialize, serde::Deserialize, Default)]
pub struct Persisted {
    pub recent: Vec<PathBuf>,
    pub tools: Option<ToolState>,
    /// The training tab's settings.
    #[serde(default)]
    pub training: Option<crate::ui::training_panel::TrainingSettings>,
    /// The Generate panel's parameters.
    #[serde(default)]
    pub generate: Option<crate::generate::FacadeParams>,
}
