//! The painting: a label map edited through explicit commands, so undo/redo, keyboard shortcuts
//! and tests all go through one mechanism (after rx, the pixel editor).

pub mod history;
pub mod project;
pub mod raster;

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
