//! The `--script` format: a RON list of steps as written (classes by name or index), each parsed
//! straight into the app command it runs ([`Command`]: an edit of the painting or what a menu
//! does), all checked before anything runs; a loaded [`Script`] keeps them for `script.rs` to run.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::command::Command;
use crate::document::{Edit, Point};
use crate::error::{Error, Result};
use crate::palette::Palette;

/// A class in a script: its name in the palette (`"window"`, any case) or its 0-based position
/// there (`0` = the first class, "background", which the app's key 1 selects; `2` = "window").
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum ClassRef {
    Index(i64),
    Name(String),
}

impl ClassRef {
    fn resolve(&self, palette: &Palette) -> std::result::Result<u8, String> {
        let names = || palette.class_names();
        match self {
            ClassRef::Index(i) if (0..palette.len() as i64).contains(i) => Ok(*i as u8),
            ClassRef::Index(i) => Err(format!(
                "class {i} does not exist: the palette has classes 0–{} ({})",
                palette.len().saturating_sub(1),
                names()
            )),
            ClassRef::Name(n) => palette
                .classes
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(n.trim()))
                .map(|i| i as u8)
                .ok_or_else(|| {
                    format!(
                        "there is no class \"{n}\" in the palette: use one of {}",
                        names()
                    )
                }),
        }
    }
}

/// One step of a script as written: an edit (classes by name or index, checked against the
/// palette before anything runs) or an app command that makes sense without a person at the
/// window. Paths are relative to the current folder.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub enum ScriptStep {
    Stroke {
        points: Vec<Point>,
        radius: u32,
        class: ClassRef,
    },
    Rect {
        a: Point,
        b: Point,
        class: ClassRef,
    },
    Line {
        a: Point,
        b: Point,
        radius: u32,
        class: ClassRef,
    },
    Fill {
        at: Point,
        class: ClassRef,
    },
    Undo,
    Redo,
    ZoomIn,
    ZoomOut,
    ZoomFit,
    Zoom100,
    /// Another seed for the render (turns test-time dropout on).
    Vary,
    RandomSample,
    /// Opens a project (.ron) or imports a label image, as File → Open does.
    Open(PathBuf),
    ImportLabels(PathBuf),
    /// Saves the project to this path (and makes it the project's path).
    Save(PathBuf),
    /// Waits for the render of the painting as it is at this step, then writes it.
    ExportRender(PathBuf),
    ExportLabels(PathBuf),
    ExportSideBySide(PathBuf),
    /// Labels, render, material maps and facade.json into this folder (File → Export for game
    /// engine); waits for the render like `ExportRender`.
    ExportBundle(PathBuf),
    /// The painting as the front of a whole building, into this folder (File → Export
    /// building); waits for the render like `ExportRender`.
    ExportBuilding(PathBuf),
    /// Task → a shipped task by name (`labels`, `sketch`, `grey`): its input on the canvas, its
    /// shipped model in the preview. The classes of later steps are the task's.
    SetTask(String),
    /// Task → Open task file.
    OpenTaskFile(PathBuf),
    /// Sets one class's style colour, as its swatch does.
    Colour {
        class: ClassRef,
        rgb: (u8, u8, u8),
    },
    /// Frees every class (the gallery's "No style").
    NoStyle,
    /// Takes the style of a facade photo or pix2pix pair (File → Style from photo).
    StyleFromPhoto(PathBuf),
    /// File → Open photo as labels (the segmenter's labels, the photo's colours).
    OpenPhotoAsLabels(PathBuf),
    /// File → Import photo to colourise (the grey task).
    ColourisePhoto(PathBuf),
    /// Closes the window (asking first when there are unsaved changes, as File → Quit does).
    Quit,
}

impl ScriptStep {
    /// The app command this step runs, its classes checked against `palette`.
    pub fn resolve(&self, palette: &Palette) -> std::result::Result<Command, String> {
        let class = |c: &ClassRef| c.resolve(palette);
        Ok(match self {
            ScriptStep::Stroke {
                points,
                radius,
                class: c,
            } => Command::Edit(Edit::Stroke {
                points: points.clone(),
                radius: *radius,
                class: class(c)?,
            }),
            ScriptStep::Rect { a, b, class: c } => Command::Edit(Edit::Rect {
                a: *a,
                b: *b,
                class: class(c)?,
            }),
            ScriptStep::Line {
                a,
                b,
                radius,
                class: c,
            } => Command::Edit(Edit::Line {
                a: *a,
                b: *b,
                radius: *radius,
                class: class(c)?,
            }),
            ScriptStep::Fill { at, class: c } => Command::Edit(Edit::Fill {
                at: *at,
                class: class(c)?,
            }),
            ScriptStep::Colour { class: c, rgb } => {
                Command::SetClassColour(class(c)?, Some([rgb.0, rgb.1, rgb.2]))
            }
            ScriptStep::Undo => Command::Undo,
            ScriptStep::Redo => Command::Redo,
            ScriptStep::ZoomIn => Command::ZoomIn,
            ScriptStep::ZoomOut => Command::ZoomOut,
            ScriptStep::ZoomFit => Command::ZoomFit,
            ScriptStep::Zoom100 => Command::Zoom100,
            ScriptStep::Vary => Command::Vary,
            ScriptStep::RandomSample => Command::RandomSample,
            ScriptStep::NoStyle => Command::SetStyle(Box::default()),
            ScriptStep::Quit => Command::Quit,
            ScriptStep::Open(p) => Command::Open(Some(p.clone())),
            ScriptStep::ImportLabels(p) => Command::ImportLabels(Some(p.clone())),
            ScriptStep::Save(p) => Command::SaveAs(Some(p.clone())),
            ScriptStep::ExportRender(p) => Command::ExportRender(Some(p.clone())),
            ScriptStep::ExportLabels(p) => Command::ExportLabels(Some(p.clone())),
            ScriptStep::ExportSideBySide(p) => Command::ExportSideBySide(Some(p.clone())),
            ScriptStep::ExportBundle(p) => Command::ExportBundle(Some(p.clone())),
            ScriptStep::ExportBuilding(p) => Command::ExportBuilding(Some(p.clone())),
            ScriptStep::SetTask(name) => Command::SetTask(name.clone()),
            ScriptStep::OpenTaskFile(p) => Command::OpenTaskFile(Some(p.clone())),
            ScriptStep::StyleFromPhoto(p) => Command::StyleFromPhoto(Some(p.clone())),
            ScriptStep::OpenPhotoAsLabels(p) => Command::OpenPhotoAsLabels(Some(p.clone())),
            ScriptStep::ColourisePhoto(p) => Command::ColourisePhoto(Some(p.clone())),
        })
    }
}

/// Reads a script: a RON list of edits and app commands, e.g.
/// `[Rect(a: (10, 10), b: (40, 60), class: "window"), Fill(at: (0, 0), class: 1), Undo,
/// Save("out.ron")]`, every class checked against `palette` — or after a `SetTask`, that task's —
/// (an unknown class or task is an error naming the edit; nothing is run).
pub fn load_steps(path: &Path, palette: &Palette) -> Result<Vec<Command>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let steps: Vec<ScriptStep> = ron::from_str(&text).map_err(|e| {
        Error::bad_file(
            path,
            format!("is not a list of edits and commands ({e}); see `facade-studio --help`"),
        )
    })?;
    let mut palette = palette.clone();
    let mut commands = Vec::with_capacity(steps.len());
    for (i, e) in steps.iter().enumerate() {
        let failed = |m: String| Error::bad_file(path, format!("edit {} ({e:?}): {m}", i + 1));
        if let ScriptStep::SetTask(name) = e {
            let task = crate::task::Task::named(name).map_err(|t| failed(t.to_string()))?;
            palette = task.palette();
        }
        commands.push(e.resolve(&palette).map_err(failed)?);
    }
    Ok(commands)
}

/// A loaded script: its steps as commands, run by `StudioApp::advance_script`.
pub struct Script {
    pub(super) path: PathBuf,
    /// The steps not run yet, and how many ran before them.
    pub(super) steps: VecDeque<Command>,
    pub(super) done: usize,
}

impl Script {
    /// Reads and checks the whole script (nothing runs if any step is wrong).
    pub fn load(path: &Path, palette: &Palette) -> Result<Script> {
        let steps = load_steps(path, palette)?;
        Ok(Script {
            path: path.to_path_buf(),
            steps: steps.into(),
            done: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(text: &str) -> crate::error::Result<Vec<Command>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits.ron");
        std::fs::write(&path, text).unwrap();
        load_steps(&path, &Palette::cmp_facades())
    }

    #[test]
    fn scripts_take_class_names_and_indices() {
        let edits =
            script(r#"[Rect(a: (1, 1), b: (4, 4), class: "Window"), Fill(at: (0, 0), class: 11)]"#)
                .unwrap();
        assert_eq!(
            edits,
            vec![
                Command::Edit(Edit::Rect {
                    a: (1, 1),
                    b: (4, 4),
                    class: 2
                }),
                Command::Edit(Edit::Fill {
                    at: (0, 0),
                    class: 11
                })
            ]
        );
    }

    #[test]
    fn a_class_outside_the_palette_is_refused_naming_the_edit_and_the_range() {
        let err =
            script("[Fill(at: (0, 0), class: 1), Rect(a: (10, 10), b: (100, 100), class: 12)]")
                .unwrap_err()
                .to_string();
        assert!(err.contains("edits.ron"), "{err}");
        assert!(err.contains("edit 2"), "{err}");
        assert!(err.contains("class 12 does not exist"), "{err}");
        assert!(err.contains("0–11"), "{err}");
        let err = script(r#"[Fill(at: (0, 0), class: "roof")]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no class \"roof\""), "{err}");
        assert!(err.contains("window"), "{err}");
    }

    #[test]
    fn scripts_mix_edits_and_app_commands_in_order() {
        let steps = script(
            r#"[Rect(a: (1, 1), b: (9, 9), class: "window"), Undo, Redo, ZoomFit, Zoom100,
                ZoomIn, ZoomOut, Vary, RandomSample, Save("out.ron"), ExportLabels("l.png"),
                ExportRender("r.png"), ExportSideBySide("p.png"), Open("in.ron"),
                ImportLabels("in.png"), OpenPhotoAsLabels("a.jpg"), ColourisePhoto("b.jpg"), Quit]"#,
        )
        .unwrap();
        let expected = vec![
            Command::Edit(Edit::Rect {
                a: (1, 1),
                b: (9, 9),
                class: 2,
            }),
            Command::Undo,
            Command::Redo,
            Command::ZoomFit,
            Command::Zoom100,
            Command::ZoomIn,
            Command::ZoomOut,
            Command::Vary,
            Command::RandomSample,
            Command::SaveAs(Some("out.ron".into())),
            Command::ExportLabels(Some("l.png".into())),
            Command::ExportRender(Some("r.png".into())),
            Command::ExportSideBySide(Some("p.png".into())),
            Command::Open(Some("in.ron".into())),
            Command::ImportLabels(Some("in.png".into())),
            Command::OpenPhotoAsLabels(Some("a.jpg".into())),
            Command::ColourisePhoto(Some("b.jpg".into())),
            Command::Quit,
        ];
        assert_eq!(steps.len(), expected.len());
        for (i, (got, want)) in steps.iter().zip(&expected).enumerate() {
            assert_eq!(got, want, "step {}", i + 1);
        }
    }

    #[test]
    fn an_unknown_command_names_the_file_and_the_step_syntax() {
        let err = script(r#"[Undo, Rotate(90)]"#).unwrap_err().to_string();
        assert!(err.contains("edits.ron"), "{err}");
        assert!(err.contains("is not a list of edits and commands"), "{err}");
        assert!(err.contains("Rotate"), "{err}");
        // A bad class after a command still stops the whole script before anything runs.
        let err = script(r#"[Undo, Save("x.ron"), Fill(at: (0, 0), class: 40)]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("edit 3"), "{err}");
        assert!(err.contains("class 40 does not exist"), "{err}");
    }

    #[test]
    fn after_set_task_classes_are_the_tasks() {
        let steps = script(r#"[SetTask("sketch"), Fill(at: (0, 0), class: "ink")]"#).unwrap();
        let ink = crate::task::Task::named("sketch").unwrap().palette();
        let ink = ink.index_of("ink").unwrap();
        let expected = [
            Command::SetTask("sketch".into()),
            Command::Edit(Edit::Fill {
                at: (0, 0),
                class: ink,
            }),
        ];
        assert_eq!(steps, expected);
        let err = script(r#"[SetTask("sketch"), Fill(at: (0, 0), class: "window")]"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("edit 2") && err.contains("no class \"window\""),
            "{err}"
        );
        let err = script(r#"[SetTask("watercolour")]"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("edit 1") && err.contains("unknown task"),
            "{err}"
        );
    }
}
