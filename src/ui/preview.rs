//! The live render: sends the newest label map to the render worker, shows what comes back,
//! and offers the seed / vary controls.

use egui::{Color32, TextureHandle, TextureOptions, Ui};
use image::RgbImage;

use super::command::Command;
use super::gallery::Gallery;
use crate::document::Document;
use crate::events::{LoadedModel, RenderEvent, RenderRequest};
use crate::render::worker::RenderWorker;
use crate::style::{Style, classes_of};

#[derive(Default)]
pub struct Preview {
    texture: Option<TextureHandle>,
    /// The last render, kept for export.
    pub image: Option<RgbImage>,
    /// Revision and seed of what is shown / was last asked for.
    pub shown: Option<(u64, u64)>,
    pub requested: Option<(u64, u64)>,
    pub last_ms: Option<f64>,
    /// Test-time dropout seed; 0 = deterministic. It also draws the colours of the classes the
    /// style leaves free (see [`Preview::style_for`]).
    pub seed: u64,
    /// Leave the classes the style leaves free to the model (its average colours) instead of
    /// drawing them from the style prior.
    pub model_colours: bool,
    /// The detail step's amount (see [`crate::render::detail`]).
    pub detail: crate::render::detail::Amount,
    /// The model in use (None until the worker has loaded one).
    pub model: Option<LoadedModel>,
    /// The task of a model that has just loaded, until the studio follows it (palette, tools,
    /// canvas).
    pub loaded_task: Option<(String, Option<String>)>,
    /// The style gallery drawn under the render.
    pub gallery: Gallery,
    pub error: Option<String>,
    /// Renders received (tests and the status bar).
    pub renders: u64,
}

impl Preview {
    /// The file of the model in use.
    pub fn model_path(&self) -> Option<std::path::PathBuf> {
        self.model.as_ref().map(|m| m.path.clone())
    }

    /// The name of the model in use.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_ref().map(|m| m.name.as_str())
    }

    /// Asks the worker for the current map when it (or the seed) changed.
    pub fn request_if_stale(&mut self, worker: &RenderWorker, doc: &Document) {
        let key = (doc.revision, self.seed);
        if self.requested == Some(key) {
            return;
        }
        worker.request(RenderRequest {
            revision: doc.revision,
            map: doc.map.clone(),
            style: self.style_for(doc),
            seed: self.seed,
            detail: self.detail.0,
        });
        self.requested = Some(key);
    }

    /// The style `doc` renders in: its own, with the classes it leaves free drawn by the model's
    /// style prior for the layout and the seed (so Vary gives another plausible facade, in other
    /// colours) — unless the model takes no style, "Draw colours" is off, or the style is a
    /// photo's (its grid of light and shade says what the photo looked like).
    pub fn style_for(&self, doc: &Document) -> Style {
        match &self.gallery.bank {
            Some(bank) if !self.model_colours && doc.style.cells.is_empty() => {
                bank.sample_for(&classes_of(&doc.map), &doc.style, self.seed)
            }
            _ => doc.style.clone(),
        }
    }

    /// Re-requests the current map (after a model swap).
    pub fn invalidate(&mut self) {
        self.requested = None;
    }

    /// Takes the worker's events. Returns true if anything changed.
    pub fn drain(&mut self, ctx: &egui::Context, worker: &RenderWorker) -> bool {
        let mut changed = false;
        while let Ok(event) = worker.events.try_recv() {
            changed = true;
            match event {
                RenderEvent::ModelReady {
                    model,
                    styles,
                    task,
                    palette,
                } => {
                    self.loaded_task = Some((task, palette));
                    self.gallery.set_bank(styles);
                    self.model = Some(model);
                    self.error = None;
                    self.invalidate();
                }
                RenderEvent::ModelFailed(e) => self.error = Some(e),
                RenderEvent::Rendered {
                    revision,
                    seed,
                    image,
                    millis,
                } => {
                    let color = super::color_image(&image);
                    match &mut self.texture {
                        Some(t) => t.set(color, TextureOptions::LINEAR),
                        None => {
                            self.texture = Some(ctx.load_texture(
                                "render-preview",
                                color,
                                TextureOptions::LINEAR,
                            ))
                        }
                    }
                    self.image = Some(image);
                    self.shown = Some((revision, seed));
                    self.last_ms = Some(millis);
                    self.renders += 1;
                }
                RenderEvent::RenderFailed { error, .. } => {
                    self.error = Some(error);
                }
                RenderEvent::Thumbnail { index, image, .. } => {
                    self.gallery.receive(ctx, index, &image);
                }
            }
        }
        changed
    }

    /// Another seed: another plausible facade for the same layout.
    pub fn vary(&mut self) {
        use rand::{Rng, SeedableRng};
        // Drawn from the current seed, so a sequence of Vary clicks is the same every time.
        self.seed = rand::rngs::StdRng::seed_from_u64(self.seed).random_range(1..1 << 31);
    }

    /// Whether the image shown is the render of `doc` as it is now, with the current seed.
    pub fn is_current(&self, doc: &Document) -> bool {
        self.shown == Some((doc.revision, self.seed))
    }

    pub fn is_rendering(&self) -> bool {
        self.requested.is_some() && self.requested != self.shown && self.error.is_none()
    }

    /// The render and its controls, leaving `below` points of height for what follows.
    pub fn ui(&mut self, ui: &mut Ui, aspect: f32, below: f32, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.heading("Render");
            if self.is_rendering() {
                ui.spinner();
                ui.weak("rendering…");
            }
        });
        // Wrapped rows: a ten-digit seed or a narrow window moves Vary to the next line instead
        // of widening the panel (which remembers its width).
        ui.horizontal_wrapped(|ui| {
            let mut deterministic = self.seed == 0;
            if ui
                .checkbox(&mut deterministic, "Deterministic")
                .on_hover_text(
                    "Off: test-time dropout as in the paper, a different facade per seed",
                )
                .changed()
            {
                self.seed = if deterministic { 0 } else { 1 };
            }
            let label = ui.label("Seed");
            ui.add(egui::DragValue::new(&mut self.seed).range(0..=u32::MAX as u64))
                .labelled_by(label.id);
            super::command::button(ui, Command::Vary, true, commands);
        });
        ui.horizontal_wrapped(|ui| {
            if self.gallery.bank.is_some() {
                let mut draw = !self.model_colours;
                let hover = "On: classes without a colour take one drawn from the training photos' styles (another with each seed). Off: the model's own average colours";
                if ui.checkbox(&mut draw, "Draw colours").on_hover_text(hover).changed() {
                    self.model_colours = !draw;
                    self.invalidate();
                    self.shown = None;
                }
            }
            ui.spacing_mut().slider_width = 60.0;
            let max = crate::render::detail::MAX_AMOUNT;
            let slider = egui::Slider::new(&mut self.detail.0, 0.0..=max)
                .text("Detail")
                .fixed_decimals(1);
            let hover = "Raises the finest detail after the model (an unsharp mask: the renders are softer than photos at that scale); 0 = the model's own output";
            if ui.add(slider).on_hover_text(hover).changed() {
                self.invalidate();
                self.shown = None;
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(Color32::from_rgb(255, 120, 100), e);
        }
        let width = ui.available_width();
        let height = (width / aspect)
            .min(ui.available_height() - below - 8.0)
            .max(32.0);
        let size = egui::vec2(height * aspect, height);
        match &self.texture {
            Some(t) => {
                let tint = if self.is_rendering() {
                    Color32::from_gray(215)
                } else {
                    Color32::WHITE
                };
                ui.add(
                    egui::Image::from_texture(t)
                        .fit_to_exact_size(size)
                        .tint(tint),
                );
            }
            None => {
                let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
                ui.painter().text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    if self.error.is_some() {
                        "no model"
                    } else {
                        "loading the model…"
                    },
                    egui::FontId::proportional(14.0),
                    ui.visuals().weak_text_color(),
                );
            }
        }
    }
}
