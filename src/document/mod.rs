//! The painting: a label map edited through explicit commands, so undo/redo, keyboard shortcuts
//! and tests all go through one mechanism (after rx, the pixel editor).

pub mod history;
pub mod project;
pub mod raster;
pub mod sample;

use crate::label_map::LabelMap;
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

/// The document a painter edits: the map, its history, and whether it changed since saving.
#[derive(Debug, Clone)]
pub struct Document {
    pub map: LabelMap,
    history: History,
    /// Bumped on every change (including undo/redo): the render worker's request id.
    pub revision: u64,
    /// Revision of the last save.
    pub saved_revision: u64,
    /// A stroke being drawn: the map before it started and the points so far.
    live_stroke: Option<(LabelMap, Vec<Point>, u32, u8)>,
}

impl Document {
    pub fn new(map: LabelMap) -> Document {
        Document {
            map,
            history: History::default(),
            revision: 0,
            saved_revision: 0,
            live_stroke: None,
        }
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
        self.live_stroke = Some((before, vec![at], radius, class));
        self.revision += 1;
    }

    /// Extends the stroke in progress to `to`.
    pub fn extend_stroke(&mut self, to: Point) {
        if let Some((_, points, radius, class)) = &mut self.live_stroke {
            let from = *points.last().unwrap_or(&to);
            if from == to {
                return;
            }
            points.push(to);
            raster::stamp_segment(&mut self.map, from, to, *radius, *class);
            self.revision += 1;
        }
    }

    /// Ends the stroke in progress (if any) as one undo step. The map does not change here, so
    /// the revision (already bumped while painting) stays: no extra render.
    pub fn finish_stroke(&mut self) {
        if let Some((before, _, _, _)) = self.live_stroke.take() {
            self.record(before);
        }
    }

    pub fn is_stroking(&self) -> bool {
        self.live_stroke.is_some()
    }

    pub fn can_undo(&self) -> bool {
        self.history.can_undo() || self.live_stroke.is_some()
    }

    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    pub fn undo(&mut self) -> bool {
        self.finish_stroke();
        let changed = self.history.undo(&mut self.map);
        if changed {
            self.revision += 1;
        }
        changed
    }

    pub fn redo(&mut self) -> bool {
        self.finish_stroke();
        let changed = self.history.redo(&mut self.map);
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
        let names = || {
            palette
                .classes
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
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

/// An edit as a script writes it (classes by name or index), checked against the palette
/// before anything is painted.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub enum ScriptEdit {
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
}

impl ScriptEdit {
    pub fn resolve(&self, palette: &crate::palette::Palette) -> Result<Edit, String> {
        Ok(match self {
            ScriptEdit::Stroke {
                points,
                radius,
                class,
            } => Edit::Stroke {
                points: points.clone(),
                radius: *radius,
                class: class.resolve(palette)?,
            },
            ScriptEdit::Rect { a, b, class } => Edit::Rect {
                a: *a,
                b: *b,
                class: class.resolve(palette)?,
            },
            ScriptEdit::Line {
                a,
                b,
                radius,
                class,
            } => Edit::Line {
                a: *a,
                b: *b,
                radius: *radius,
                class: class.resolve(palette)?,
            },
            ScriptEdit::Fill { at, class } => Edit::Fill {
                at: *at,
                class: class.resolve(palette)?,
            },
        })
    }
}

/// Reads a script: a RON list of edits, e.g.
/// `[Rect(a: (10, 10), b: (40, 60), class: "window"), Fill(at: (0, 0), class: 1)]`, every class
/// checked against `palette` (an unknown one is an error naming the edit; nothing is applied).
pub fn load_script(
    path: &std::path::Path,
    palette: &crate::palette::Palette,
) -> crate::error::Result<Vec<Edit>> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::error::Error::io(path, e))?;
    let edits: Vec<ScriptEdit> = ron::from_str(&text).map_err(|e| {
        crate::error::Error::bad_file(
            path,
            format!("is not a list of edits ({e}); see `facade-studio --help`"),
        )
    })?;
    edits
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

    fn script(text: &str) -> crate::error::Result<Vec<Edit>> {
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
                Edit::Rect {
                    a: (1, 1),
                    b: (4, 4),
                    class: 2
                },
                Edit::Fill {
                    at: (0, 0),
                    class: 11
                }
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
}
