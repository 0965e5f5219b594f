//! Photos onto the canvas: a facade photo read into labels by the segmenter, its own colours
//! the style (restyling: "this building, in red brick, with more windows"), and a photo to
//! colourise on the grey task's canvas. Both read the file before anything changes, so a refused
//! photo leaves the painting as it was.

use std::path::Path;

use super::app::StudioApp;
use crate::document::Edit;
use crate::error::Result;
use crate::label_map::LabelMap;
use crate::segment::Segmenter;
use crate::style::photo::{LabelSource, restyle_file};
use crate::task::{self, Task};

/// The shorter side of a photo's labels on the canvas: the scale the facade models learned.
const LABELS_SIDE: u32 = 256;

/// The longer side of a photo to colourise on the canvas at most, so that the live preview
/// stays live (`render --task grey` colourises any size, tile by tile).
const COLOURISE_SIDE: u32 = 512;

impl StudioApp {
    /// File → Open photo as labels: the photo's labels (the segmenter's, or a pair's own) on
    /// the labels task's canvas and its colours as the style. Undoable on the labels task.
    pub(super) fn open_photo_as_labels(&mut self, path: &Path) -> Result<()> {
        let labels = Task::named(task::LABELS)?;
        let (map, style, source) = restyle_file(
            path,
            &labels.palette(),
            LABELS_SIDE,
            Segmenter::shipped_on_cpu,
        )?;
        self.show_task(&labels)?;
        self.doc.apply(Edit::Replace(map));
        self.doc.set_style(style, None);
        self.canvas.fit = true;
        let how = match source {
            LabelSource::Pair => "the pair's own labels",
            LabelSource::Segmenter => "labels read by the segmenter",
        };
        self.notice = Some(format!(
            "{}: {how} and its colours; paint to change the building, pick a style to recolour it",
            path.display()
        ));
        Ok(())
    }

    /// File → Import photo to colourise: the photo (made grey when in colour) on the grey
    /// task's canvas, at most [`COLOURISE_SIDE`] on its longer side.
    pub(super) fn colourise_photo(&mut self, path: &Path) -> Result<()> {
        let grey = Task::named(task::GREY)?;
        let read = grey.load_input(path)?;
        self.show_task(&grey)?;
        self.doc
            .apply(Edit::Replace(fit_within(&read.map, COLOURISE_SIDE)));
        self.canvas.fit = true;
        self.notice = Some(match read.note {
            Some(note) => format!("{}: {note}", path.display()),
            None => format!("{}: colourising", path.display()),
        });
        Ok(())
    }

    /// Switches to `task` (and its shipped model) unless the studio is on it.
    fn show_task(&mut self, task: &Task) -> Result<()> {
        if self.task().is_some_and(|t| t.name == task.name) {
            return Ok(());
        }
        self.switch_to(task)?;
        self.load_task_model(task);
        Ok(())
    }
}

/// `map` scaled down (nearest) so that its longer side is at most `side`.
fn fit_within(map: &LabelMap, side: u32) -> LabelMap {
    let longer = map.width.max(map.height);
    if longer <= side {
        return map.clone();
    }
    let scale = side as f32 / longer as f32;
    let size = |v: u32| ((v as f32 * scale).round() as u32).max(1);
    map.resized(size(map.width), size(map.height))
}
