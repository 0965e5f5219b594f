//! The application: composes the panels, owns the document and the render worker, and does the
//! file work (projects, import, export, recovery).

use std::path::{Path, PathBuf};

use egui::{Key, KeyboardShortcut, Modifiers, Ui};

use super::canvas::Canvas;
use super::files::{Recovery, state_dir};
use super::preview::Preview;
use super::tools::ToolState;
use super::training_panel::TrainingPanel;
use crate::backend::BackendChoice;
use crate::document::project::Project;
use crate::document::sample::facade_layout;
use crate::document::{Document, Edit};
use crate::error::{Error, Result};
use crate::image_io::save_png;
use crate::label_map::LabelMap;
use crate::palette::Palette;
use crate::render::default_model_path;
use crate::render::worker::RenderWorker;

const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
const REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
const REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);

/// How the app starts.
#[derive(Debug, Clone)]
pub struct StudioOptions {
    /// Model file or run folder; None = the shipped default model.
    pub model: Option<PathBuf>,
    pub backend: BackendChoice,
    /// Where the recovery file lives.
    pub state_dir: PathBuf,
    /// A project or label image to open at start.
    pub open: Option<PathBuf>,
    /// Start the render worker (tests of pure editing turn it off).
    pub render: bool,
    /// Open the training tab on this dataset folder.
    pub train_data: Option<PathBuf>,
    /// The training tab's run folder (its curve and samples are shown).
    pub run_dir: Option<PathBuf>,
    /// Start training at once: Some(false) a new run, Some(true) resume the run folder.
    pub start_training: Option<bool>,
    /// Edits to apply at start (a RON list of `Edit`s): scripting, and crash tests.
    pub script: Option<PathBuf>,
}

impl Default for StudioOptions {
    fn default() -> Self {
        StudioOptions {
            model: None,
            backend: BackendChoice::Auto,
            state_dir: state_dir(),
            open: None,
            render: true,
            train_data: None,
            run_dir: None,
            start_training: None,
            script: None,
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Persisted {
    recent: Vec<PathBuf>,
    tools: Option<ToolState>,
}

/// What the central area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Paint,
    Train,
}

pub struct StudioApp {
    pub mode: Mode,
    pub training: TrainingPanel,
    pub palette: Palette,
    pub doc: Document,
    pub tools: ToolState,
    pub canvas: Canvas,
    pub preview: Preview,
    pub worker: Option<RenderWorker>,
    options: StudioOptions,
    pub project_path: Option<PathBuf>,
    pub recent: Vec<PathBuf>,
    /// Errors waiting to be shown in a dialog (oldest first).
    pub errors: Vec<String>,
    /// A one-line message for the status bar.
    pub notice: Option<String>,
    pub recovery: Recovery,
    /// A recovery file found at start, offered to the user.
    pub offer_recovery: Option<Project>,
    confirm_close: bool,
    allow_close: bool,
    sample_seed: u64,
    /// `FACADE_SCREENSHOT=path.png`: save a screenshot once the first render is shown, then quit
    /// (for the README and for looking at the app in CI-like environments).
    screenshot: Option<PathBuf>,
    frames: u64,
    opened: std::time::Instant,
    /// Milliseconds the UI thread spent in each frame's logic + ui (the last 4096 frames).
    pub frame_ms: std::collections::VecDeque<f32>,
    frame_started: Option<std::time::Instant>,
}

impl StudioApp {
    pub fn new(options: StudioOptions) -> StudioApp {
        let palette = Palette::cmp_facades();
        let recovery = Recovery::new(options.state_dir.clone());
        let offer_recovery = recovery.pending();
        let map = facade_layout(256, 256, 1, &palette);
        let mut app = StudioApp {
            mode: Mode::Paint,
            training: TrainingPanel::default(),
            tools: ToolState::new(&palette),
            doc: Document::new(map),
            palette,
            canvas: Canvas::default(),
            preview: Preview::default(),
            worker: None,
            project_path: None,
            recent: Vec::new(),
            errors: Vec::new(),
            notice: None,
            recovery,
            offer_recovery,
            confirm_close: false,
            allow_close: false,
            sample_seed: 1,
            options: options.clone(),
            screenshot: std::env::var_os("FACADE_SCREENSHOT").map(PathBuf::from),
            frames: 0,
            opened: std::time::Instant::now(),
            frame_ms: std::collections::VecDeque::new(),
            frame_started: None,
        };
        if let Some(path) = &options.open {
            app.open_any(path);
        }
        if let Some(script) = &options.script {
            match crate::document::load_script(script, &app.palette) {
                Ok(edits) => {
                    for edit in edits {
                        app.doc.apply(edit);
                    }
                }
                Err(e) => app.fail(e),
            }
        }
        if let Some(data) = &options.train_data {
            app.mode = Mode::Train;
            app.training.data_dir = data.display().to_string();
            app.training.scan_dataset();
        }
        if let Some(run) = &options.run_dir {
            app.mode = Mode::Train;
            app.training.run_dir = run.display().to_string();
            app.training.load_history(run);
        }
        app
    }

    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        options: StudioOptions,
    ) -> StudioApp {
        let mut app = StudioApp::new(options);
        if let Some(storage) = cc.storage
            && let Some(p) = eframe::get_value::<Persisted>(storage, eframe::APP_KEY)
        {
            app.recent = p.recent;
            if let Some(t) = p.tools {
                app.tools = t;
            }
        }
        app.ensure_worker(&cc.egui_ctx);
        app
    }

    fn ensure_worker(&mut self, ctx: &egui::Context) {
        if self.worker.is_none() && self.options.render {
            let model = self
                .options
                .model
                .clone()
                .unwrap_or_else(default_model_path);
            let ctx = ctx.clone();
            self.worker = Some(RenderWorker::start(
                model,
                self.options.backend,
                Box::new(move || ctx.request_repaint()),
            ));
        }
        if let Some(resume) = self.options.start_training.take() {
            self.training.backend = self.options.backend;
            let yield_to = self.worker.as_ref().map(|w| w.busy.clone());
            self.training.start(resume, None, yield_to);
        }
    }

    fn fail(&mut self, e: Error) {
        self.errors.push(e.to_string());
    }

    fn remember(&mut self, path: &Path) {
        let path = path.to_path_buf();
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(8);
    }

    // ---- file actions (all leave the painting untouched on error) ----

    pub fn new_canvas(&mut self, width: u32, height: u32) {
        let map = LabelMap::filled(width, height, self.palette.background);
        self.doc.apply(Edit::Replace(map));
        self.project_path = None;
        self.canvas.fit = true;
    }

    pub fn random_sample(&mut self) {
        self.sample_seed += 1;
        let map = facade_layout(
            self.doc.map.width,
            self.doc.map.height,
            self.sample_seed,
            &self.palette,
        );
        self.doc.apply(Edit::Replace(map));
    }

    /// Opens a project (.ron) or imports a label image, by extension.
    pub fn open_any(&mut self, path: &Path) {
        let is_project = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ron"));
        let result = if is_project {
            self.open_project(path)
        } else {
            self.import_labels(path)
        };
        if let Err(e) = result {
            self.fail(e);
        }
    }

    pub fn open_project(&mut self, path: &Path) -> Result<()> {
        let project = Project::load(path)?;
        let map = project.to_map(self.palette.len(), path)?;
        self.doc = Document::new(map);
        self.preview.seed = project.seed;
        self.project_path = Some(path.to_path_buf());
        self.canvas.fit = true;
        self.remember(path);
        Ok(())
    }

    pub fn save_project(&mut self, path: &Path) -> Result<()> {
        let model = self.preview.model_name.clone().unwrap_or_default();
        Project::from_map(&self.doc.map, &self.palette.name, self.preview.seed, &model)
            .save(path)?;
        self.doc.mark_saved();
        self.project_path = Some(path.to_path_buf());
        self.recovery.clear();
        self.remember(path);
        self.notice = Some(format!("saved {}", path.display()));
        Ok(())
    }

    /// Imports a colour label image: colours snapped to the palette, resized (nearest) to the
    /// canvas. One undo step.
    pub fn import_labels(&mut self, path: &Path) -> Result<()> {
        let (map, report) = LabelMap::load_image(path, &self.palette)?;
        let map = map.resized(self.doc.map.width, self.doc.map.height);
        if report.is_suspicious() {
            self.notice = Some(format!(
                "{}: {:.0}% of pixels were far from every class colour and were snapped to the nearest",
                path.display(),
                report.unknown_fraction() * 100.0
            ));
        }
        self.doc.apply(Edit::Replace(map));
        Ok(())
    }

    pub fn export_labels(&self, path: &Path) -> Result<()> {
        save_png(&self.doc.map.to_rgb(&self.palette), path)
    }

    pub fn export_render(&self, path: &Path) -> Result<()> {
        let image =
            self.preview.image.as_ref().ok_or_else(|| {
                Error::msg("there is no render yet; wait for the preview to appear")
            })?;
        save_png(image, path)
    }

    /// Labels and render side by side (the pix2pix pair layout, labels right).
    pub fn export_side_by_side(&self, path: &Path) -> Result<()> {
        let render =
            self.preview.image.as_ref().ok_or_else(|| {
                Error::msg("there is no render yet; wait for the preview to appear")
            })?;
        let labels = self.doc.map.to_rgb(&self.palette);
        let labels = image::imageops::resize(
            &labels,
            render.width(),
            render.height(),
            image::imageops::FilterType::Nearest,
        );
        let mut out = image::RgbImage::new(render.width() * 2, render.height());
        image::imageops::replace(&mut out, render, 0, 0);
        image::imageops::replace(&mut out, &labels, render.width() as i64, 0);
        save_png(&out, path)
    }

    fn dialog_then(
        &mut self,
        dialog: rfd::FileDialog,
        save: bool,
        action: impl FnOnce(&mut Self, &Path) -> Result<()>,
    ) {
        let picked = if save {
            dialog.save_file()
        } else {
            dialog.pick_file()
        };
        if let Some(path) = picked
            && let Err(e) = action(self, &path)
        {
            self.fail(e);
        }
    }

    fn save(&mut self) {
        match self.project_path.clone() {
            Some(p) => {
                if let Err(e) = self.save_project(&p) {
                    self.fail(e);
                }
            }
            None => self.save_as(),
        }
    }

    fn save_as(&mut self) {
        let d = rfd::FileDialog::new()
            .add_filter("Facade project", &["ron"])
            .set_file_name("facade.ron");
        self.dialog_then(d, true, |app, p| app.save_project(p));
    }

    fn images_dialog(name: &str) -> rfd::FileDialog {
        rfd::FileDialog::new()
            .add_filter("Images", &crate::image_io::IMAGE_EXTENSIONS)
            .set_file_name(name)
    }

    // ---- per-frame work ----

    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let (undo, redo, save, open) = ctx.input_mut(|i| {
            let redo = i.consume_shortcut(&REDO) || i.consume_shortcut(&REDO_Y);
            let undo = i.consume_shortcut(&UNDO);
            (
                undo,
                redo,
                i.consume_shortcut(&SAVE),
                i.consume_shortcut(&OPEN),
            )
        });
        if redo {
            self.doc.redo();
        } else if undo {
            self.doc.undo();
        }
        if save {
            self.save();
        }
        if open {
            let d = rfd::FileDialog::new().add_filter(
                "Facade project or label image",
                &[
                    "ron",
                    crate::image_io::IMAGE_EXTENSIONS[0],
                    crate::image_io::IMAGE_EXTENSIONS[1],
                    crate::image_io::IMAGE_EXTENSIONS[2],
                ],
            );
            if let Some(p) = d.pick_file() {
                self.open_any(&p);
            }
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        for path in dropped {
            self.open_any(&path);
        }
    }

    fn menu_bar(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.selectable_value(&mut self.mode, Mode::Paint, "Paint");
            let train_label = if self.training.is_active() {
                "Train (running)"
            } else {
                "Train"
            };
            ui.selectable_value(&mut self.mode, Mode::Train, train_label);
            ui.separator();
            ui.menu_button("File", |ui| {
                ui.menu_button("New", |ui| {
                    for (w, h) in [(256, 256), (512, 256), (256, 512), (512, 512), (768, 256)] {
                        if ui.button(format!("{w} × {h}")).clicked() {
                            self.new_canvas(w, h);
                            ui.close();
                        }
                    }
                });
                if ui.button("Open…").clicked() {
                    ui.close();
                    let d = rfd::FileDialog::new().add_filter("Facade project", &["ron"]);
                    self.dialog_then(d, false, |app, p| app.open_project(p));
                }
                ui.menu_button("Open recent", |ui| {
                    for p in self.recent.clone() {
                        if ui.button(p.display().to_string()).clicked() {
                            self.open_any(&p);
                            ui.close();
                        }
                    }
                });
                if ui.button("Save").clicked() {
                    ui.close();
                    self.save();
                }
                if ui.button("Save as…").clicked() {
                    ui.close();
                    self.save_as();
                }
                ui.separator();
                if ui.button("Import label image…").clicked() {
                    ui.close();
                    self.dialog_then(Self::images_dialog(""), false, |app, p| {
                        app.import_labels(p)
                    });
                }
                if ui.button("Export render…").clicked() {
                    ui.close();
                    self.dialog_then(Self::images_dialog("render.png"), true, |app, p| {
                        app.export_render(p)
                    });
                }
                if ui.button("Export labels…").clicked() {
                    ui.close();
                    self.dialog_then(Self::images_dialog("labels.png"), true, |app, p| {
                        app.export_labels(p)
                    });
                }
                if ui.button("Export side by side…").clicked() {
                    ui.close();
                    self.dialog_then(Self::images_dialog("pair.png"), true, |app, p| {
                        app.export_side_by_side(p)
                    });
                }
                ui.separator();
                if ui.button("Random sample").clicked() {
                    ui.close();
                    self.random_sample();
                }
                if ui.button("Load model…").clicked() {
                    ui.close();
                    if let Some(p) = rfd::FileDialog::new()
                        .add_filter("Facade model", &["fsw"])
                        .pick_file()
                        && let Some(w) = &self.worker
                    {
                        w.load_model(p);
                    }
                }
                if ui.button("Quit").clicked() {
                    ui.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui
                    .add_enabled(self.doc.can_undo(), egui::Button::new("Undo (Ctrl+Z)"))
                    .clicked()
                {
                    self.doc.undo();
                }
                if ui
                    .add_enabled(
                        self.doc.can_redo(),
                        egui::Button::new("Redo (Ctrl+Shift+Z)"),
                    )
                    .clicked()
                {
                    self.doc.redo();
                }
            });
            ui.menu_button("View", |ui| {
                if ui.button("Fit").clicked() {
                    self.canvas.fit = true;
                }
                if ui.button("100 %").clicked() {
                    self.canvas.zoom_to_100();
                }
            });
        });
    }

    fn status_bar(&self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let device = self
                .preview
                .device
                .clone()
                .unwrap_or_else(|| "starting…".into());
            ui.label(format!("Backend: {device}"));
            ui.separator();
            match (&self.preview.model_name, self.preview.model_ngf) {
                (Some(name), Some(ngf)) => ui.label(format!("Model: {name}, ngf {ngf}")),
                _ => ui.label("Model: none"),
            };
            ui.separator();
            match self.preview.last_ms {
                Some(ms) => ui.label(format!("Render {ms:.0} ms")),
                None => ui.label("Render —"),
            };
            ui.separator();
            ui.label(format!("{} × {}", self.doc.map.width, self.doc.map.height));
            if let Some((x, y)) = self.canvas.hover
                && x >= 0
                && y >= 0
                && (x as u32) < self.doc.map.width
                && (y as u32) < self.doc.map.height
            {
                let c = self.doc.map.get(x as u32, y as u32);
                let name = self
                    .palette
                    .classes
                    .get(c as usize)
                    .map_or("(not in the palette)", |k| k.name.as_str());
                ui.label(format!("({x}, {y}) {name}"));
            }
            if let Some(n) = &self.notice {
                ui.separator();
                ui.weak(n);
            }
        });
    }

    fn dialogs(&mut self, ui: &mut Ui) {
        if let Some(error) = self.errors.first().cloned() {
            let modal = egui::Modal::new(egui::Id::unique("error-dialog")).show(ui.ctx(), |ui| {
                ui.heading("Something went wrong");
                ui.label(&error);
                ui.label("Your painting is unchanged.");
                if ui.button("OK").clicked() {
                    ui.close();
                }
            });
            if modal.should_close() {
                self.errors.remove(0);
            }
            return;
        }
        if let Some(project) = self.offer_recovery.clone() {
            let mut decided = None;
            egui::Modal::new(egui::Id::unique("recovery-dialog")).show(ui.ctx(), |ui| {
                ui.heading("Restore unsaved painting?");
                ui.label(format!(
                    "Facade Studio did not close normally. A {}×{} painting was saved automatically.",
                    project.width, project.height
                ));
                ui.horizontal(|ui| {
                    if ui.button("Restore").clicked() {
                        decided = Some(true);
                    }
                    if ui.button("Discard").clicked() {
                        decided = Some(false);
                    }
                });
            });
            match decided {
                Some(true) => {
                    let path = self.recovery.path.clone();
                    match project.to_map(self.palette.len(), &path) {
                        Ok(map) => {
                            self.doc.apply(Edit::Replace(map));
                            self.preview.seed = project.seed;
                        }
                        Err(e) => self.fail(e),
                    }
                    self.offer_recovery = None;
                }
                Some(false) => {
                    self.recovery.clear();
                    self.offer_recovery = None;
                }
                None => {}
            }
            return;
        }
        if self.confirm_close {
            let modal = egui::Modal::new(egui::Id::unique("close-dialog")).show(ui.ctx(), |ui| {
                ui.heading("Unsaved changes");
                ui.label("Save the painting before closing?");
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        self.save();
                        if !self.doc.is_dirty() {
                            self.allow_close = true;
                            ui.send_viewport_cmd(egui::ViewportCommand::Close);
                        }
                        ui.close();
                    }
                    if ui.button("Close without saving").clicked() {
                        self.allow_close = true;
                        self.recovery.clear();
                        ui.send_viewport_cmd(egui::ViewportCommand::Close);
                        ui.close();
                    }
                    if ui.button("Cancel").clicked() {
                        ui.close();
                    }
                });
            });
            if modal.should_close() {
                self.confirm_close = false;
            }
        }
    }
}

impl StudioApp {
    fn end_frame(&mut self) {
        if let Some(t) = self.frame_started.take() {
            if self.frame_ms.len() >= 4096 {
                self.frame_ms.pop_front();
            }
            self.frame_ms.push_back(t.elapsed().as_secs_f32() * 1000.0);
        }
    }

    fn take_screenshot_when_ready(&mut self, ctx: &egui::Context) {
        let delay = std::env::var("FACADE_SCREENSHOT_AFTER")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
        let waited = self.opened.elapsed().as_secs_f64() >= delay;
        let ready = waited
            && (self.preview.renders > 0 || self.preview.error.is_some() || self.frames > 600);
        if !ready || self.frames < 5 {
            if self.screenshot.is_some() {
                ctx.request_repaint_after(std::time::Duration::from_millis(1000));
            }
            return;
        }
        let Some(path) = self.screenshot.take() else {
            return;
        };
        let ctx2 = ctx.clone();
        ctx.request_screenshot(move |img: std::sync::Arc<egui::ColorImage>| {
            let [w, h] = img.size;
            let rgba: Vec<u8> = img.pixels.iter().flat_map(|c| c.to_array()).collect();
            if let Some(buf) = image::RgbaImage::from_raw(w as u32, h as u32, rgba) {
                let rgb = image::DynamicImage::ImageRgba8(buf).to_rgb8();
                match save_png(&rgb, &path) {
                    Ok(()) => eprintln!("screenshot saved to {}", path.display()),
                    Err(e) => eprintln!("screenshot failed: {e}"),
                }
            }
            ctx2.send_viewport_cmd(egui::ViewportCommand::Close);
        });
        ctx.request_repaint();
    }
}

impl eframe::App for StudioApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.frame_started = Some(std::time::Instant::now());
        self.ensure_worker(ctx);
        if ctx.input(|i| i.viewport().close_requested()) {
            if self.doc.is_dirty() && !self.allow_close {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.confirm_close = true;
            } else if !self.doc.is_dirty() {
                self.recovery.clear();
            }
        }
        self.handle_dropped_files(ctx);
        self.handle_shortcuts(ctx);
        if let Some(worker) = &self.worker {
            self.preview.drain(ctx, worker);
        }
        // The trainer's events are taken even when its panel is hidden, so nothing is lost.
        if self.training.poll(ctx) {
            // Curves refresh once a second: repainting more often costs a software-rendered
            // window CPU time that the trainer needs.
            ctx.request_repaint_after(std::time::Duration::from_millis(1000));
        }
        if let Some(path) = self.training.swap_request.take() {
            match &self.worker {
                Some(w) => {
                    w.load_model(path.clone());
                    self.notice = Some(format!("preview now uses {}", path.display()));
                }
                None => self.notice = Some("no render worker to load the model into".into()),
            }
        }
        if let Err(e) = self
            .recovery
            .maybe_write(&self.doc, self.preview.seed, "", false)
        {
            self.notice = Some(format!("autosave failed: {e}"));
        }
        if self.doc.is_dirty() {
            // Wake up for the next autosave even when idle.
            ctx.request_repaint_after(super::files::AUTOSAVE_EVERY);
        }
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.frames += 1;
        self.take_screenshot_when_ready(ui.ctx());
        self.tools.handle_keys(ui, &self.palette);
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("tools")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.tools.ui(ui, &self.palette));
            });
        let aspect = self.doc.map.width as f32 / self.doc.map.height as f32;
        let right = (ui.available_width() * 0.42).max(260.0);
        egui::Panel::right("preview")
            .resizable(true)
            .default_size(right)
            .show(ui, |ui| {
                self.preview.ui(ui, aspect);
            });
        if self.mode == Mode::Train {
            let current = self.preview.model_path.clone();
            let yield_to = self.worker.as_ref().map(|w| w.busy.clone());
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| self.training.ui(ui, current.as_deref(), yield_to));
            });
            if let Some(worker) = &self.worker {
                self.preview.request_if_stale(worker, &self.doc);
            }
            self.dialogs(ui);
            self.end_frame();
            return;
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button("Fit").clicked() {
                    self.canvas.fit = true;
                }
                if ui.button("100 %").clicked() {
                    self.canvas.zoom_to_100();
                }
                ui.weak(format!("{:.0} %", self.canvas.zoom * 100.0));
                ui.separator();
                if ui
                    .add_enabled(self.doc.can_undo(), egui::Button::new("Undo"))
                    .clicked()
                {
                    self.doc.undo();
                }
                if ui
                    .add_enabled(self.doc.can_redo(), egui::Button::new("Redo"))
                    .clicked()
                {
                    self.doc.redo();
                }
                if ui.button("Random sample").clicked() {
                    self.random_sample();
                }
            });
            self.canvas
                .ui(ui, &mut self.doc, &mut self.tools, &self.palette);
        });
        // After the canvas: the map as it is after this frame's edits goes to the worker.
        if let Some(worker) = &self.worker {
            self.preview.request_if_stale(worker, &self.doc);
        }
        self.dialogs(ui);
        self.end_frame();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let p = Persisted {
            recent: self.recent.clone(),
            tools: Some(self.tools.clone()),
        };
        eframe::set_value(storage, eframe::APP_KEY, &p);
    }

    fn on_exit(&mut self) {
        if std::env::var_os("FACADE_FRAME_STATS").is_some() {
            let mut v: Vec<f64> = self.frame_ms.iter().map(|&x| x as f64).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            eprintln!(
                "UI frame time over {} frames: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
                v.len(),
                crate::bench::percentile(&v, 50.0),
                crate::bench::percentile(&v, 95.0),
                v.last().copied().unwrap_or(0.0)
            );
        }
        if !self.doc.is_dirty() {
            self.recovery.clear();
        }
    }
}
