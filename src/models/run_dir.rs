//! A run folder's layout: the only code that knows the names of the files inside a run.
//!
//! ```text
//! run/
//!   config.json                 the run's TrainConfig (model included)
//!   checkpoint-NNNNNNNN.fsw     training state at step N (the newest few are kept)
//!   model.fsw                   the rendering generator alone, written at the end
//!   losses.csv                  one row per step
//!   evals.jsonl                 the held-out figures at each checkpoint
//!   samples/step-NNNNNNNN.png   labels | truth | prediction for the fixed sample pairs
//! ```

use std::path::{Path, PathBuf};

use crate::checkpoint::EXTENSION;

/// A run folder (which need not exist yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir(PathBuf);

impl RunDir {
    pub fn new(path: impl Into<PathBuf>) -> RunDir {
        RunDir(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The run's name: its folder's name.
    pub fn name(&self) -> String {
        self.0
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into())
    }

    pub fn config(&self) -> PathBuf {
        self.0.join("config.json")
    }

    pub fn checkpoint(&self, step: u64) -> PathBuf {
        self.0.join(format!("checkpoint-{step:08}.{EXTENSION}"))
    }

    /// The checkpoints in the folder, newest first.
    pub fn checkpoints(&self) -> Vec<(u64, PathBuf)> {
        let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.0)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| Some((step_of(&p, "checkpoint-", EXTENSION)?, p)))
            .collect();
        found.sort_by_key(|b| std::cmp::Reverse(b.0));
        found
    }

    pub fn newest_checkpoint(&self) -> Option<PathBuf> {
        self.checkpoints().into_iter().next().map(|(_, p)| p)
    }

    /// The rendering generator written at the end of the run.
    pub fn model(&self) -> PathBuf {
        self.0.join(format!("model.{EXTENSION}"))
    }

    pub fn losses(&self) -> PathBuf {
        self.0.join("losses.csv")
    }

    pub fn evals(&self) -> PathBuf {
        self.0.join("evals.jsonl")
    }

    pub fn sample(&self, step: u64) -> PathBuf {
        self.0.join("samples").join(format!("step-{step:08}.png"))
    }

    /// The sample grids written so far, oldest first.
    pub fn samples(&self) -> Vec<(u64, PathBuf)> {
        let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(self.0.join("samples"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| Some((step_of(&p, "step-", "png")?, p)))
            .collect();
        found.sort_by_key(|s| s.0);
        found
    }
}

/// The step in a file name `{prefix}NNNNNNNN.{extension}`.
fn step_of(path: &Path, prefix: &str, extension: &str) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let digits = name
        .strip_prefix(prefix)?
        .strip_suffix(extension)?
        .strip_suffix('.')?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_a_run_and_listings_by_step() {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::new(tmp.path().join("my-run"));
        assert_eq!(run.name(), "my-run");
        std::fs::create_dir_all(run.path().join("samples")).unwrap();
        for step in [20, 3, 100] {
            std::fs::write(run.checkpoint(step), b"x").unwrap();
            std::fs::write(run.sample(step), b"x").unwrap();
        }
        std::fs::write(run.path().join("checkpoint-x.fsw"), b"not a step").unwrap();
        std::fs::write(
            run.path().join("checkpoint-00000007.fsw.tmp"),
            b"torn write",
        )
        .unwrap();
        let steps: Vec<u64> = run.checkpoints().into_iter().map(|c| c.0).collect();
        assert_eq!(steps, vec![100, 20, 3]);
        assert_eq!(run.newest_checkpoint(), Some(run.checkpoint(100)));
        assert!(run.checkpoint(3).ends_with("checkpoint-00000003.fsw"));
        let samples: Vec<u64> = run.samples().into_iter().map(|s| s.0).collect();
        assert_eq!(samples, vec![3, 20, 100]);
        assert!(run.model().ends_with("model.fsw"));
        assert!(run.config().ends_with("config.json"));
    }
}
