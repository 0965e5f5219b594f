//! The style gallery under the render: the current layout in styles drawn from the model's
//! training photos, rendered by the worker whenever no preview render waits. A click applies a
//! style, "More" draws another set.

use egui::{Color32, TextureHandle, TextureOptions, Ui};
use image::RgbImage;

use super::command::Command;
use crate::document::Document;
use crate::events::ThumbnailRequest;
use crate::label_map::LabelMap;
use crate::render::worker::RenderWorker;
use crate::style::{Style, StyleBank};

/// Thumbnails in the strip.
pub const COUNT: usize = 6;

#[derive(Default)]
pub struct Gallery {
    /// The model's training styles; None while the model takes no style (no gallery then).
    pub bank: Option<StyleBank>,
    /// Which draw the strip shows ("More" steps it).
    pub draw: u64,
    /// The styles shown, in order.
    pub styles: Vec<Style>,
    /// Per class, the mean colour of the bank: what a class's empty swatch starts from.
    pub typical: Vec<[u8; 3]>,
    thumbs: Vec<Option<TextureHandle>>,
    /// The layout and draw the thumbnails were asked for.
    requested: Option<(LabelMap, u64)>,
    requested_revision: u64,
    /// Thumbnails received (tests).
    pub received: u64,
}

impl Gallery {
    /// A newly loaded model's styles (None: it takes no style).
    pub fn set_bank(&mut self, bank: Option<StyleBank>) {
        self.typical = bank.as_ref().map(typical_colours).unwrap_or_default();
        self.bank = bank;
        self.redraw();
    }

    /// The next set of styles.
    pub fn more(&mut self) {
        self.draw += 1;
        self.redraw();
    }

    fn redraw(&mut self) {
        let first = self.draw * COUNT as u64 + 1;
        self.styles = match &self.bank {
            Some(bank) => bank.draw_many(first, COUNT),
            None => Vec::new(),
        };
        self.thumbs = vec![None; self.styles.len()];
        self.requested = None;
    }

    /// Asks for the thumbnails when the layout (not its style) or the draw changed.
    pub fn request_if_stale(&mut self, worker: &RenderWorker, doc: &Document) {
        if self.styles.is_empty() {
            return;
        }
        if let Some((map, draw)) = &self.requested
            && *draw == self.draw
            && (self.requested_revision == doc.revision || *map == doc.map)
        {
            self.requested_revision = doc.revision;
            return;
        }
        let requests = self
            .styles
            .iter()
            .enumerate()
            .map(|(index, style)| ThumbnailRequest {
                revision: doc.revision,
                index,
                map: doc.map.clone(),
                style: style.clone(),
            })
            .collect();
        worker.request_thumbnails(requests);
        self.requested = Some((doc.map.clone(), self.draw));
        self.requested_revision = doc.revision;
    }

    /// A thumbnail from the worker (one for an older layout still beats an empty slot).
    pub fn receive(&mut self, ctx: &egui::Context, index: usize, image: &RgbImage) {
        let Some(slot) = self.thumbs.get_mut(index) else {
            return;
        };
        let color = super::color_image(image);
        match slot {
            Some(t) => t.set(color, TextureOptions::LINEAR),
            None => {
                *slot =
                    Some(ctx.load_texture(format!("style-{index}"), color, TextureOptions::LINEAR))
            }
        }
        self.received += 1;
    }

    /// Height the strip takes in a panel `width` wide.
    pub fn height(&self, width: f32) -> f32 {
        match self.bank {
            Some(_) => 2.0 * thumb_side(width) + 48.0,
            None => 24.0,
        }
    }

    /// The strip: thumbnails (click to apply), "More", "No style", "From photo…".
    pub fn ui(&self, ui: &mut Ui, current: &Style, commands: &mut Vec<Command>) {
        if self.bank.is_none() {
            ui.weak("Styles: this model takes none (train one with --style on).");
            return;
        }
        ui.horizontal(|ui| {
            ui.strong("Styles");
            for command in [
                Command::MoreStyles,
                Command::SetStyle(Box::default()),
                Command::StyleFromPhoto(None),
            ] {
                super::command::button(ui, command, true, commands);
            }
        });
        let side = thumb_side(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            for (index, style) in self.styles.iter().enumerate() {
                let clicked = self.thumb(ui, index, side, style == current);
                if clicked {
                    commands.push(Command::SetStyle(Box::new(style.clone())));
                }
            }
        });
    }

    /// One thumbnail (its style's colours while the render is on its way); true when clicked.
    fn thumb(&self, ui: &mut Ui, index: usize, side: f32, selected: bool) -> bool {
        let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::click());
        let name = format!("style {}", index + 1);
        response
            .widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name));
        match self.thumbs.get(index).and_then(Option::as_ref) {
            Some(t) => {
                egui::Image::from_texture(t).paint_at(ui, rect);
            }
            None => paint_colours(ui, rect, &self.styles[index]),
        }
        if selected || response.hovered() {
            let colour = match selected {
                true => ui.visuals().selection.stroke.color,
                false => ui.visuals().strong_text_color(),
            };
            ui.painter().rect_stroke(
                rect,
                2.0,
                egui::Stroke::new(2.0, colour),
                egui::StrokeKind::Outside,
            );
        }
        response
            .on_hover_text("Render the painting in this style")
            .clicked()
    }
}

/// Side of a thumbnail: three to a row, within limits.
fn thumb_side(width: f32) -> f32 {
    ((width - 8.0) / 3.0 - 6.0).clamp(40.0, 120.0)
}

/// A style as stripes of its colours (a thumbnail's stand-in).
fn paint_colours(ui: &Ui, rect: egui::Rect, style: &Style) {
    let colours: Vec<[u8; 3]> = style.colours.iter().flatten().copied().collect();
    let n = colours.len().max(1) as f32;
    for (k, [r, g, b]) in colours.iter().enumerate() {
        let x0 = rect.left() + rect.width() * k as f32 / n;
        let x1 = rect.left() + rect.width() * (k + 1) as f32 / n;
        let stripe = egui::Rect::from_x_y_ranges(x0..=x1, rect.y_range());
        ui.painter()
            .rect_filled(stripe, 0.0, Color32::from_rgb(*r, *g, *b));
    }
}

/// Per class, the mean of the bank's colours for it (mid grey for a class no style sets).
fn typical_colours(bank: &StyleBank) -> Vec<[u8; 3]> {
    let classes = bank
        .styles
        .iter()
        .map(|s| s.colours.len())
        .max()
        .unwrap_or(0);
    (0..classes as u8)
        .map(|class| {
            let set: Vec<[u8; 3]> = bank.styles.iter().filter_map(|s| s.get(class)).collect();
            if set.is_empty() {
                return [128; 3];
            }
            let mean =
                |c: usize| (set.iter().map(|v| v[c] as usize).sum::<usize>() / set.len()) as u8;
            [mean(0), mean(1), mean(2)]
        })
        .collect()
}
