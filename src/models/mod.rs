//! Model files: where the shipped ones are, the run folder's layout, how a `--model` argument
//! resolves to a file, and (in [`crate::checkpoint::FileKind`]) what a weights file says it is.
//! Below rendering, training, the segmenter and tasks, which all find their files here.

mod run_dir;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use run_dir::RunDir;

/// The model shipped with the app, relative to the crate root (or next to the executable).
pub const DEFAULT_MODEL: &str = "assets/default-model.fsw";

/// The segmenter shipped with the app, relative to the crate root (or next to the executable).
pub const DEFAULT_SEGMENTER: &str = "assets/segmenter.fsw";

/// Where the default model is: `FACADE_MODEL`, then next to the executable, then the source tree.
pub fn default_model_path() -> PathBuf {
    asset_path(DEFAULT_MODEL, "FACADE_MODEL")
}

/// Where the shipped segmenter is: `FACADE_SEGMENTER`, next to the executable, the source tree.
pub fn default_segmenter_path() -> PathBuf {
    asset_path(DEFAULT_SEGMENTER, "FACADE_SEGMENTER")
}

/// A shipped file (`relative` to the crate root): the path in `env_var` when set, else next to
/// the executable, else in the source tree.
pub fn asset_path(relative: &str, env_var: &str) -> PathBuf {
    if let Ok(p) = std::env::var(env_var) {
        return PathBuf::from(p);
    }
    let candidates = [
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|d| d.join(relative))),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)),
        Some(PathBuf::from(relative)),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative))
}

/// Resolves `--model`: a weights file, or a run folder (its newest readable checkpoint, or
/// `model.fsw` in it).
pub fn resolve_model_path(path: &Path) -> Result<PathBuf> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if path.is_dir() {
        let run = RunDir::new(path);
        if let Some(p) = run.newest_checkpoint() {
            return Ok(p);
        }
        let model = run.model();
        if model.is_file() {
            return Ok(model);
        }
        return Err(Error::bad_file(
            path,
            "holds no checkpoint or model.fsw; train into it first, or pass a .fsw file",
        ));
    }
    Err(Error::bad_file(
        path,
        "does not exist; pass a .fsw model file or a run folder",
    ))
}
