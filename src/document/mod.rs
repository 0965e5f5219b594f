//! The painting: a label map edited through explicit commands, so undo/redo, keyboard shortcuts
//! and tests all go through one mechanism (after rx, the pixel editor).

pub mod history;
pub mod project;
pub mod raster;
pub mod sample;

use std::path::PathBuf;

use crate::label_map::LabelMap;
use crate::style::Style;
use history::{History, Patch};

/// A point on the canvas in map pixels (may lie outside the map while dragging).
pub type Point = (i32, i32);

/// One editing command. Each is one undo step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Edit {
    /// A freehand stroke through `points` with a round brush of `radius` (0 = one pixel).
    Stroke {
        points: Vec<Point>,
        radius: u32,
        class: u8,
    },
    /// A filled axis-aligned rectangle between two corners (inclusive).
    Rect { a: Point, b: Point, class: u8 },
    /// A straight line of `radius` between two points.
    Line {
        a: Point,
        b: Point,
        radius: u32,
        class: u8,
    },
    /// Flood fill of the 4-connected region of equal class at `at`.
    Fill { at: Point, class: u8 },
    /// Replace the whole map (new canvas, import, random sample).
    Replace(LabelMap),
}

/// A freehand stroke being painted.
#[derive(Debug, Clone)]
struct LiveStroke {
    points: Vec<Point>,
    radius: u32,
    class: u8,
}

/// The document a painter edits: the map, its history, and whether it changed since saving.
#[derive(Debug, Clone)]
pub struct Document {
    pub map: LabelMap,
    /// The colours the render should take per class (saved with the project).
    pub style: Style,
    history: History,
    /// Bumped on every change (including undo/redo): the render worker's request id.
    pub revision: u64,
    /// Revision of the last save.
    pub saved_revision: u64,
    /// A stroke being drawn: the map before it started and the points so far.
    /// A change in progress that becomes one undo step when finished: the map before it, and
    /// the stroke being painted (None while a generated facade is being adjusted).
    live: Option<(LabelMap, Option<LiveStroke>)>,
}

impl Document {
    pub fn new(map: LabelMap) -> Document {
        Document {
            map,
            style: Style::none(),
            history: History::default(),
            revision: 0,
            saved_revision: 0,
            live: None,
        }
    }

    /// Changes the style, one undo step; the render follows like after a stroke. Changes with
    /// the same `key` in a row (a colour picker dragged over one class) are one step.
    pub fn set_style(&mut self, style: Style, key: Option<u8>) {
        if style == self.style {
            return;
        }
        self.finish_stroke();
        self.history.push(history::Patch::Style {
            before: Box::new(std::mem::replace(&mut self.style, style)),
            after: Box::new(self.style.clone()),
            key,
        });
        self.revision += 1;
    }

    pub fn is_dirty(&self) -> bool {
        self.revision != self.saved_revision
    }

    pub fn mark_saved(&mut self) {
        self.saved_revision = self.revision;
    }

    /// Applies `edit` as one undo step. Returns false (and records nothing) if nothing changed.
    pub fn apply(&mut self, edit: Edit) -> bool {
        self.finish_stroke();
        let before = self.map.clone();
        paint(&mut self.map, &edit);
        let changed = self.record(before);
        if changed {
            self.revision += 1;
        }
        changed
    }

    /// Pushes the undo step from `before` to the current map (the revision is the caller's).
    fn record(&mut self, before: LabelMap) -> bool {
        match Patch::diff(&before, &self.map) {
            Some(patch) => {
                self.history.push(patch);
                true
            }
            None => false,
        }
    }

    /// Starts a freehand stroke: it paints as it goes and becomes one undo step when finished.
    pub fn begin_stroke(&mut self, at: Point, radius: u32, class: u8) {
        self.finish_stroke();
        let before = self.map.clone();
        raster::stamp_segment(&mut self.map, at, at, radius, class);
        let stroke = LiveStroke {
            points: vec![at],
            radius,
            class,
        };
        self.live = Some((before, Some(stroke)));
        self.revision += 1;
    }

    /// Extends the stroke in progress to `to`.
    pub fn extend_stroke(&mut self, to: Point) {
        if let Some((_, Some(s))) = &mut self.live {
            let from = *s.points.last().unwrap_or(&to);
            if from == to {
                return;
            }
            s.points.push(to);
            raster::stamp_segment(&mut self.map, from, to, s.radius, s.class);
            self.revision += 1;
        }
    }

    /// Replaces the whole map, again and again while a generated facade is being adjusted: all
    /// the replacements until the next other change are one undo step.
    pub fn replace_live(&mut self, map: LabelMap) {
        if !matches!(self.live, Some((_, None))) {
            self.finish_stroke();
            self.live = Some((self.map.clone(), None));
        }
        if self.map != map {
            self.map = map;
            self.revision += 1;
        }
    }

    /// Ends the change in progress (if any) as one undo step. The map does not change here, so
    /// the revision (already bumped while painting) stays: no extra render.
    pub fn finish_stroke(&mut self) {
        if let Some((before, _)) = self.live.take() {
            self.record(before);
        }
    }

    pub fn is_stroking(&self) -> bool {
        matches!(self.live, Some((_, Some(_))))
    }

    pub fn can_undo(&self) -> bool {
        self.history.can_undo() || self.live.is_some()
    }

    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    pub fn undo(&mut self) -> bool {
        self.finish_stroke();
        let changed = self.history.undo(&mut self.map, &mut self.style);
        if changed {
            self.revision += 1;
        }
        changed
    }

    pub fn redo(&mut self) -> bool {
        self.finish_stroke();
        let changed = self.history.redo(&mut self.map, &mut self.style);
        if changed {
            self.revision += 1;
        }
        changed
    }
}

/// A class in a script: its name in the palette (`"window"`, any case) or its 0-based position
/// there (`0` = the first class, "background", which the app's key 1 selects; `2` = "window").
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum ClassRef {
    Index(i64),
    Name(String),
}

impl ClassRef {
    fn resolve(&self, palette: &crate::palette::Palette) -> Result<u8, String> {
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

/// A script step checked against the palette: what the app runs.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptCommand {
    Edit(Edit),
    Undo,
    Redo,
    ZoomIn,
    ZoomOut,
    ZoomFit,
    Zoom100,
    Vary,
    RandomSample,
    Open(PathBuf),
    ImportLabels(PathBuf),
    Save(PathBuf),
    ExportRender(PathBuf),
    ExportLabels(PathBuf),
    ExportSideBySide(PathBuf),
    ExportBundle(PathBuf),
    Colour(u8, [u8; 3]),
    NoStyle,
    StyleFromPhoto(PathBuf),
    OpenPhotoAsLabels(PathBuf),
    ColourisePhoto(PathBuf),
    Quit,
}

impl ScriptStep {
    pub fn resolve(&self, palette: &crate::palette::Palette) -> Result<ScriptCommand, String> {
        Ok(match self {
            ScriptStep::Stroke {
                points,
                radius,
                class,
            } => ScriptCommand::Edit(Edit::Stroke {
                points: points.clone(),
                radius: *radius,
                class: class.resolve(palette)?,
            }),
            ScriptStep::Rect { a, b, class } => ScriptCommand::Edit(Edit::Rect {
                a: *a,
                b: *b,
                class: class.resolve(palette)?,
            }),
            ScriptStep::Line {
                a,
                b,
                radius,
                class,
            } => ScriptCommand::Edit(Edit::Line {
                a: *a,
                b: *b,
                radius: *radius,
                class: class.resolve(palette)?,
            }),
            ScriptStep::Fill { at, class } => ScriptCommand::Edit(Edit::Fill {
                at: *at,
                class: class.resolve(palette)?,
            }),
            ScriptStep::Undo => ScriptCommand::Undo,
            ScriptStep::Redo => ScriptCommand::Redo,
            ScriptStep::ZoomIn => ScriptCommand::ZoomIn,
            ScriptStep::ZoomOut => ScriptCommand::ZoomOut,
            ScriptStep::ZoomFit => ScriptCommand::ZoomFit,
            ScriptStep::Zoom100 => ScriptCommand::Zoom100,
            ScriptStep::Vary => ScriptCommand::Vary,
            ScriptStep::RandomSample => ScriptCommand::RandomSample,
            ScriptStep::Open(p) => ScriptCommand::Open(p.clone()),
            ScriptStep::ImportLabels(p) => ScriptCommand::ImportLabels(p.clone()),
            ScriptStep::Save(p) => ScriptCommand::Save(p.clone()),
            ScriptStep::ExportRender(p) => ScriptCommand::ExportRender(p.clone()),
            ScriptStep::ExportLabels(p) => ScriptCommand::ExportLabels(p.clone()),
            ScriptStep::ExportSideBySide(p) => ScriptCommand::ExportSideBySide(p.clone()),
            ScriptStep::ExportBundle(p) => ScriptCommand::ExportBundle(p.clone()),
            ScriptStep::Colour { class, rgb } => {
                ScriptCommand::Colour(class.resolve(palette)?, [rgb.0, rgb.1, rgb.2])
            }
            ScriptStep::NoStyle => ScriptCommand::NoStyle,
            ScriptStep::StyleFromPhoto(p) => ScriptCommand::StyleFromPhoto(p.clone()),
            ScriptStep::OpenPhotoAsLabels(p) => ScriptCommand::OpenPhotoAsLabels(p.clone()),
            ScriptStep::ColourisePhoto(p) => ScriptCommand::ColourisePhoto(p.clone()),
            ScriptStep::Quit => ScriptCommand::Quit,
        })
    }
}

/// Reads a script: a RON list of edits and app commands, e.g.
/// `[Rect(a: (10, 10), b: (40, 60), class: "window"), Fill(at: (0, 0), class: 1), Undo,
/// Save("out.ron")]`, every class checked against `palette` (an unknown one is an error naming
/// the edit; nothing is run).
pub fn load_script(
    path: &std::path::Path,
    palette: &crate::palette::Palette,
) -> crate::error::Result<Vec<ScriptCommand>> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::error::Error::io(path, e))?;
    let steps: Vec<ScriptStep> = ron::from_str(&text).map_err(|e| {
        crate::error::Error::bad_file(
            path,
            format!("is not a list of edits and commands ({e}); see `facade-studio --help`"),
        )
    })?;
    steps
        .iter()
        .enumerate()
        .map(|(i, e)| {
            e.resolve(palette).map_err(|m| {
                crate::error::Error::bad_file(path, format!("edit {} ({e:?}): {m}", i + 1))
            })
        })
        .collect()
}

/// Applies an edit to a map (no history).
pub fn paint(map: &mut LabelMap, edit: &Edit) {
    match edit {
        Edit::Stroke {
            points,
            radius,
            class,
        } => {
            let mut prev = points.first().copied();
            for &p in points {
                raster::stamp_segment(map, prev.unwrap_or(p), p, *radius, *class);
                prev = Some(p);
            }
        }
        Edit::Rect { a, b, class } => raster::fill_rect(map, *a, *b, *class),
        Edit::Line {
            a,
            b,
            radius,
            class,
        } => raster::stamp_segment(map, *a, *b, *radius, *class),
        Edit::Fill { at, class } => raster::flood_fill(map, *at, *class),
        Edit::Replace(new) => *map = new.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::palette::Palette;

    fn script(text: &str) -> crate::error::Result<Vec<ScriptCommand>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits.ron");
        std::fs::write(&path, text).unwrap();
        load_script(&path, &Palette::cmp_facades())
    }

    #[test]
    fn scripts_take_class_names_and_indices() {
        let edits =
            script(r#"[Rect(a: (1, 1), b: (4, 4), class: "Window"), Fill(at: (0, 0), class: 11)]"#)
                .unwrap();
        assert_eq!(
            edits,
            vec![
                ScriptCommand::Edit(Edit::Rect {
                    a: (1, 1),
                    b: (4, 4),
                    class: 2
                }),
                ScriptCommand::Edit(Edit::Fill {
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
            ScriptCommand::Edit(Edit::Rect {
                a: (1, 1),
                b: (9, 9),
                class: 2,
            }),
            ScriptCommand::Undo,
            ScriptCommand::Redo,
            ScriptCommand::ZoomFit,
            ScriptCommand::Zoom100,
            ScriptCommand::ZoomIn,
            ScriptCommand::ZoomOut,
            ScriptCommand::Vary,
            ScriptCommand::RandomSample,
            ScriptCommand::Save("out.ron".into()),
            ScriptCommand::ExportLabels("l.png".into()),
            ScriptCommand::ExportRender("r.png".into()),
            ScriptCommand::ExportSideBySide("p.png".into()),
            ScriptCommand::Open("in.ron".into()),
            ScriptCommand::ImportLabels("in.png".into()),
            ScriptCommand::OpenPhotoAsLabels("a.jpg".into()),
            ScriptCommand::ColourisePhoto("b.jpg".into()),
            ScriptCommand::Quit,
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
}
