//! Tasks: what a model's input is. Each task is a file in `palettes/tasks/` naming its input palette
//! (`palettes/`) and its shipped model; a model file records its task, and a model is never run
//! on another task's input.
//!
//! Every input is a picture on a palette (a label map, a sketch as black "ink" on white
//! "paper", or a greyscale photo on the 255-level grey ramp), so painting, snapping, training and
//! rendering are the same code for all tasks. What differs is how an input file is read
//! ([`input`]): a grey task takes photos, converts colour ones and refuses label maps.

pub mod input;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::palette::{CMP_FACADES_RON, Palette};

/// The sketch palette shipped in `palettes/sketch.ron`.
pub const SKETCH_RON: &str = include_str!("../../palettes/sketch.ron");

/// The Cityscapes palette shipped in `palettes/cityscapes.ron`.
pub const CITYSCAPES_RON: &str = include_str!("../../palettes/cityscapes.ron");

/// The task files shipped in `palettes/tasks/`.
const TASK_FILES: [&str; 4] = [
    include_str!("../../palettes/tasks/labels.ron"),
    include_str!("../../palettes/tasks/sketch.ron"),
    include_str!("../../palettes/tasks/grey.ron"),
    include_str!("../../palettes/tasks/cityscapes.ron"),
];

/// The palettes the tasks may name.
const PALETTES: [(&str, &str); 3] = [
    ("cmp_facades", CMP_FACADES_RON),
    ("sketch", SKETCH_RON),
    ("cityscapes", CITYSCAPES_RON),
];

/// The task of a model written before tasks existed.
pub const LABELS: &str = "labels";

/// The line-sketch task's name.
pub const SKETCH: &str = "sketch";

/// The colourisation task (a greyscale photo in, a colour photo out).
pub const GREY: &str = "grey";

/// What kind of picture a task's input is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// Classes painted in their colours (a label map, a sketch).
    #[default]
    Classes,
    /// A greyscale photo (its palette is the grey ramp): colour photos are converted, label
    /// maps refused.
    Grey,
}

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
    /// What kind of picture the input is (label maps unless the file says).
    #[serde(default)]
    pub input: InputKind,
    /// The palette file's text, for a task read from a file whose palette is a file beside
    /// it rather than a shipped one.
    #[serde(skip)]
    pub palette_source: Option<String>,
    /// The folder of a task read from a file: its `default_model` is looked for there.
    #[serde(skip)]
    pub folder: Option<PathBuf>,
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

    /// A shipped task by name, or a task file (`.ron`, the fields of `palettes/tasks/*.ron`):
    /// a folder of another kind of pix2pix pairs needs a task file and a palette file, no code.
    pub fn resolve(spec: &str) -> Result<Task> {
        let path = Path::new(spec);
        match Task::named(spec) {
            Ok(task) => Ok(task),
            Err(_) if spec.ends_with(".ron") || path.is_file() => Task::from_file(path),
            Err(e) => Err(Error::msg(format!("{e}, or a task file (.ron)"))),
        }
    }

    /// The task in the file `path`; its `palette` is a shipped palette's name or a palette file
    /// (relative to the task file).
    pub fn from_file(path: &Path) -> Result<Task> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut task: Task = ron::from_str(&text).map_err(|e| {
            Error::bad_file(
                path,
                format!(
                    "is not a task file ({e}); its fields are those of palettes/tasks/labels.ron"
                ),
            )
        })?;
        if Task::named(&task.name).is_ok() {
            return Err(Error::bad_file(
                path,
                format!(
                    "names the shipped task \"{}\"; give the task its own name",
                    task.name
                ),
            ));
        }
        let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        task.folder = Some(folder.clone());
        if task.input == InputKind::Grey || PALETTES.iter().any(|(n, _)| *n == task.palette) {
            return Ok(task);
        }
        let file = folder.join(&task.palette);
        Palette::load(&file)?;
        let source = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        task.palette_source = Some(source);
        Ok(task)
    }

    /// The task a model was trained for: the shipped task of that name or, for a model of a
    /// task file (which keeps its input palette), the task rebuilt from the model.
    pub fn of_model(name: &str, palette: Option<&str>) -> Result<Task> {
        let shipped = Task::named(name);
        let (Err(_), Some(source)) = (&shipped, palette) else {
            return shipped;
        };
        let parsed = Palette::parse(source)
            .map_err(|e| Error::msg(format!("the {name} model's palette is unreadable ({e})")))?;
        Ok(Task {
            name: name.to_string(),
            about: format!("{name} (the model's own task)"),
            menu: name.to_string(),
            palette: parsed.name,
            default_model: String::new(),
            brush_radius: default_brush(),
            input: InputKind::Classes,
            palette_source: Some(source.to_string()),
            folder: None,
        })
    }

    /// The input palette.
    pub fn palette(&self) -> Palette {
        if let Some(source) = &self.palette_source {
            return Palette::parse(source).expect("checked when the task file was read");
        }
        if self.input == InputKind::Grey || self.palette == crate::palette::GREY {
            return Palette::grey_ramp();
        }
        let (_, text) = PALETTES
            .iter()
            .find(|(n, _)| *n == self.palette)
            .expect("tasks name shipped palettes (checked by a test)");
        Palette::parse(text).expect("palettes/*.ron are checked by build.rs")
    }

    /// The shipped model of this task (`FACADE_MODEL` overrides the labels task's, as before);
    /// a task file's model is beside the file.
    pub fn default_model_path(&self) -> PathBuf {
        match (self.name.as_str(), &self.folder) {
            (_, Some(folder)) => folder.join(&self.default_model),
            (LABELS, None) => crate::models::default_model_path(),
            _ => crate::models::asset_path(&format!("assets/{}", self.default_model), ""),
        }
    }

    /// An error unless a model of task `model_task` (named `model`) may render this task's
    /// input.
    pub fn check_model(&self, model: &str, model_task: &str) -> Result<()> {
        if model_task == self.name {
            return Ok(());
        }
        let (theirs, pass) = match Task::named(model_task) {
            Ok(t) => (t.about, format!("--task {model_task}")),
            Err(_) => (
                "a task from a task file".into(),
                format!("--task with the {model_task} task file (.ron)"),
            ),
        };
        Err(Error::msg(format!(
            "{model} was trained for the {model_task} task ({theirs}), but the input is for the {} task ({}). Pass {pass}, or a {} model with --model.",
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
        // Paper, ink and the window, door and shop hints.
        assert_eq!(sketch.len(), 5);
        assert_eq!(sketch.colour(sketch.background), [255, 255, 255]);
        assert_eq!(
            sketch.index_of("window hint"),
            Some(2),
            "ids 1-5, indices 0-4"
        );
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
        assert!(e.contains("labels, sketch, grey, cityscapes"), "{e}");
    }
}
