//! Tasks: what a model's input is. Each task is a file in `palettes/tasks/` naming its input palette
//! (`palettes/`) and its shipped model; a model file records its task, and a model is never run
//! on another task's input.
//!
//! Every input is a picture on a palette (a label map, or a sketch as black "ink" on white
//! "paper"), so painting, snapping, training and rendering are the same code for all tasks.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::palette::{CMP_FACADES_RON, Palette};

/// The sketch palette shipped in `palettes/sketch.ron`.
pub const SKETCH_RON: &str = include_str!("../palettes/sketch.ron");

/// The Cityscapes palette shipped in `palettes/cityscapes.ron`.
pub const CITYSCAPES_RON: &str = include_str!("../palettes/cityscapes.ron");

/// The task files shipped in `palettes/tasks/`.
const TASK_FILES: [&str; 3] = [
    include_str!("../palettes/tasks/labels.ron"),
    include_str!("../palettes/tasks/sketch.ron"),
    include_str!("../palettes/tasks/cityscapes.ron"),
];

/// The palettes the tasks may name.
const PALETTES: [(&str, &str); 3] = [
    ("cmp_facades", CMP_FACADES_RON),
    ("sketch", SKETCH_RON),
    ("cityscapes", CITYSCAPES_RON),
];

/// The task of a model written before tasks existed.
pub const LABELS: &str = "labels";

/// One task, as its file says.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Task {
    pub name: String,
    /// What goes in and what comes out, in a few words (messages and `--help`).
    pub about: String,
    /// The studio's Task menu entry.
    pub menu: String,
    /// The input palette's name (a file in `palettes/`).
    pub palette: String,
    /// The shipped model's file name in `assets/`.
    pub default_model: String,
    /// The brush radius the studio starts the task with (a sketch's lines are 1 pixel wide, as
    /// the model learned them).
    #[serde(default = "default_brush")]
    pub brush_radius: u32,
}

fn default_brush() -> u32 {
    4
}

impl Task {
    /// Every shipped task, parsed once (each file is checked by a test).
    pub fn all() -> &'static [Task] {
        static ALL: std::sync::OnceLock<Vec<Task>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            TASK_FILES
                .iter()
                .map(|text| {
                    ron::from_str(text).expect("palettes/tasks/*.ron are checked by a test")
                })
                .collect()
        })
    }

    /// The task called `name`, or an error listing the tasks there are.
    pub fn named(name: &str) -> Result<Task> {
        let all = Task::all();
        let names: Vec<String> = all.iter().map(|t| t.name.clone()).collect();
        all.iter().find(|t| t.name == name).cloned().ok_or_else(|| {
            Error::msg(format!(
                "unknown task \"{name}\"; the tasks are: {}",
                names.join(", ")
            ))
        })
    }

    /// The input palette.
    pub fn palette(&self) -> Palette {
        let (_, text) = PALETTES
            .iter()
            .find(|(n, _)| *n == self.palette)
            .expect("tasks name shipped palettes (checked by a test)");
        Palette::parse(text).expect("palettes/*.ron are checked by build.rs")
    }

    /// The shipped model of this task (`FACADE_MODEL` overrides the labels task's, as before).
    pub fn default_model_path(&self) -> PathBuf {
        match self.name.as_str() {
            LABELS => crate::models::default_model_path(),
            _ => crate::models::asset_path(&format!("assets/{}", self.default_model), ""),
        }
    }

    /// An error unless a model of task `model_task` (named `model`) may render this task's
    /// input.
    pub fn check_model(&self, model: &str, model_task: &str) -> Result<()> {
        if model_task == self.name {
            return Ok(());
        }
        let theirs = Task::named(model_task)
            .map(|t| t.about)
            .unwrap_or_else(|_| "an unknown task".into());
        Err(Error::msg(format!(
            "{model} was trained for the {model_task} task ({theirs}), but the input is for the {} task ({}). Pass --task {model_task}, or a {} model with --model.",
            self.name, self.about, self.name
        )))
    }
}

/// The default for a model file's `task` field (files written before tasks: labels).
pub fn labels() -> String {
    LABELS.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_file_parses_and_names_a_shipped_palette() {
        let all = Task::all();
        assert_eq!(all.len(), TASK_FILES.len());
        for t in all {
            assert!(!t.palette().is_empty(), "{}", t.name);
            assert!(t.default_model.ends_with(".fsw"), "{}", t.name);
        }
        assert_eq!(
            Task::named("labels").unwrap().palette(),
            Palette::cmp_facades()
        );
        let sketch = Task::named("sketch").unwrap().palette();
        assert_eq!(sketch.len(), 2);
        assert_eq!(sketch.colour(sketch.background), [255, 255, 255]);
    }

    #[test]
    fn a_model_of_one_task_refuses_the_input_of_another_naming_both() {
        let labels = Task::named("labels").unwrap();
        assert!(labels.check_model("m.fsw", "labels").is_ok());
        let e = labels
            .check_model("m.fsw", "sketch")
            .unwrap_err()
            .to_string();
        assert!(e.contains("m.fsw was trained for the sketch task"), "{e}");
        assert!(e.contains("input is for the labels task"), "{e}");
        assert!(e.contains("--task sketch"), "{e}");
        let e = Task::named("colour").unwrap_err().to_string();
        assert!(e.contains("labels, sketch, cityscapes"), "{e}");
    }
}
