//! The application: owns the document, the panels and the render worker, lays the panels out,
//! and runs every command in one place (`execute`). File work is in `file_actions`, the modal
//! dialogs in `dialogs`, `--script` in `script`, the environment-switched tooling in `dev_tools`.

use std::path::{Path, PathBuf};

use egui::Ui;

use super::ask;
use super::canvas::Canvas;
use super::command::{Command, Mode, TrainStart};
use super::dev_tools::DevTools;
use super::dialogs::Dialogs;
use super::generate_panel::GeneratePanel;
use super::options::StudioOptions;
use super::persisted::Persisted;
use super::preview::Preview;
use super::script_steps::Script;
use super::storage::Recovery;
use super::tool::ToolState;
use super::training_panel::TrainingPanel;
use crate::document::Document;
use crate::document::project::Project;
use crate::generate::sample::random_sample;
use crate::label_map::LabelMap;
use crate::models::default_model_path;
use crate::palette::Palette;
use crate::render::worker::RenderWorker;

pub struct StudioApp {
    pub(super) mode: Mode,
    pub(super) training: TrainingPanel,
    pub(super) palette: Palette,
    pub(super) doc: Document,
    pub(super) tools: ToolState,
    pub(super) generate: GeneratePanel,
    pub(super) canvas: Canvas,
    pub(super) preview: Preview,
    pub(super) worker: Option<RenderWorker>,
    pub(super) options: StudioOptions,
    pub(super) project_path: Option<PathBuf>,
    pub(super) recent: Vec<PathBuf>,
    /// Errors waiting to be shown in a dialog (oldest first).
    pub(super) errors: Vec<String>,
    /// A one-line message for the status bar.
    pub(super) notice: Option<String>,
    /// The task whose model the studio asked the worker for; models of other tasks that load
    /// before it (earlier requests) are not followed.
    pub(super) pending_task: Option<String>,
    pub(super) recovery: Recovery,
    /// A recovery file found at start, offered to the user.
    pub(super) offer_recovery: Option<Project>,
    pub(super) dialogs: Dialogs,
    /// The close was confirmed (or needs no confirming): let the window go.
    allow_close: bool,
    /// A command asked for the window to close (sent with the next frame's context).
    close_window: bool,
    pub(super) sample_seed: u64,
    /// The `--script` steps still to run.
    pub(super) script: Option<Script>,
    pub(super) dev: DevTools,
    /// File → Export building: the export under way and the last building's 3D preview.
    pub(super) building: super::building_job::BuildingExport,
}

impl StudioApp {
    pub fn new(options: StudioOptions) -> StudioApp {
        let palette = Palette::cmp_facades();
        let recovery = Recovery::new(options.state_dir.clone());
        let offer_recovery = recovery.pending();
        let map = match options.blank {
            Some((width, height)) => LabelMap::filled(width, height, palette.background),
            None => random_sample(256, 256, 1, &palette),
        };
        let mut app = StudioApp {
            mode: Mode::Paint,
            training: TrainingPanel::default(),
            tools: ToolState::new(&palette),
            generate: GeneratePanel::default(),
            doc: Document::new(map),
            palette,
            canvas: Canvas::default(),
            preview: Preview::default(),
            worker: None,
            project_path: None,
            recent: Vec::new(),
            errors: Vec::new(),
            notice: None,
            pending_task: None,
            recovery,
            offer_recovery,
            dialogs: Dialogs::default(),
            allow_close: false,
            close_window: false,
            sample_seed: 1,
            script: None,
            building: Default::default(),
            options: options.clone(),
            dev: DevTools::from_env(),
        };
        if let Some(path) = &options.open {
            app.execute(Command::Open(Some(path.clone())));
        }
        if let Some(path) = &options.script {
            match Script::load(path, &app.palette) {
                Ok(script) => app.script = Some(script),
                Err(e) => app.fail(e),
            }
            app.advance_script();
        }
        app.open_training_folders(options.train_data.as_deref(), options.run_dir.as_deref());
        app
    }

    /// The app as the last session left it (recent files, tools, the Train tab's settings, the
    /// Generate panel's parameters), with the command line's folders over the remembered ones.
    pub fn restored(mut options: StudioOptions, persisted: Option<Persisted>) -> StudioApp {
        // The folders are opened once, after the remembered settings are in place.
        let (train_data, run_dir) = (options.train_data.take(), options.run_dir.take());
        let mut app = StudioApp::new(options);
        if let Some(p) = persisted {
            app.recent = p.recent;
            if let Some(t) = p.tools {
                app.tools = t;
            }
            if let Some(s) = p.training {
                app.training.restore(s);
            }
            if let Some(g) = p.generate {
                app.generate.params = g;
            }
        }
        app.open_training_folders(train_data.as_deref(), run_dir.as_deref());
        app
    }

    /// `--train-data` and `--run`: the Train tab on these folders (over any remembered settings).
    fn open_training_folders(&mut self, train_data: Option<&Path>, run_dir: Option<&Path>) {
        if let Some(data) = train_data {
            self.mode = Mode::Train;
            self.training.open_data(data);
        }
        if let Some(run) = run_dir {
            self.mode = Mode::Train;
            self.training.follow_run(run);
        }
    }

    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        options: StudioOptions,
    ) -> StudioApp {
        let persisted = cc
            .storage
            .and_then(|storage| eframe::get_value::<Persisted>(storage, eframe::APP_KEY));
        let mut app = StudioApp::restored(options, persisted);
        app.ensure_worker(&cc.egui_ctx);
        app
    }

    fn ensure_worker(&mut self, ctx: &egui::Context) {
        if self.worker.is_none() && self.options.render {
            // The task's shipped model: a sketch project opened at start renders with the
            // sketch model.
            let model = self.options.model.clone().unwrap_or_else(|| {
                self.task()
                    .map(|t| t.default_model_path())
                    .unwrap_or_else(default_model_path)
            });
            let ctx = ctx.clone();
            self.worker = Some(RenderWorker::start(
                model,
                self.options.backend,
                Box::new(move || ctx.request_repaint()),
            ));
        }
        if let Some(resume) = self.options.start_training.take() {
            self.training.set_backend(self.options.backend);
            self.start_training(match resume {
                true => TrainStart::ResumeRun,
                false => TrainStart::Fresh,
            });
        }
    }

    /// Starts a run in the Train tab; the trainer waits while the preview renders.
    fn start_training(&mut self, how: TrainStart) {
        let yield_to = self.worker.as_ref().map(|w| w.busy.clone());
        let current = self.preview.model_path();
        match how {
            TrainStart::Fresh => self.training.start(false, None, yield_to),
            TrainStart::ResumeRun => self.training.start(true, None, yield_to),
            TrainStart::FineTuneCurrentModel => self.training.start(false, current, yield_to),
        }
    }

    /// Runs one command: the only place menus, toolbar, keys, drag-and-drop, dialogs, the
    /// training panel and scripts change the app.
    pub fn execute(&mut self, command: Command) {
        match command {
            Command::New { width, height } => self.new_canvas(width, height),
            Command::Open(path) => self.with_path(path, ask::open, |app, p| {
                app.open_any(p);
                Ok(())
            }),
            Command::Save => self.save(),
            Command::SaveAs(path) => self.with_path(path, ask::save_project, Self::save_project),
            Command::ImportLabels(path) => {
                self.with_path(path, || ask::image(None), Self::import_labels)
            }
            Command::OpenPhotoAsLabels(path) => {
                self.with_path(path, || ask::image(None), Self::open_photo_as_labels)
            }
            Command::ColourisePhoto(path) => {
                self.with_path(path, || ask::image(None), Self::colourise_photo)
            }
            Command::ExportRender(path) => self.export(path, "render.png", Self::export_render),
            Command::ExportLabels(path) => self.export(path, "labels.png", Self::export_labels),
            Command::ExportSideBySide(path) => {
                self.export(path, "pair.png", Self::export_side_by_side)
            }
            Command::ExportBundle(path) => {
                self.with_path(path, ask::folder, |app, p| app.export_bundle(p))
            }
            Command::ExportBuilding(path) => {
                self.with_path(path, ask::folder, |app, p| app.export_building(p))
            }
            Command::RandomSample => self.random_sample(),
            Command::Generate(params) => self.generate_facade(&params),
            Command::LoadModel(path) => {
                if let Some(p) = path.or_else(ask::model)
                    && let Some(w) = &self.worker
                {
                    w.load_model(p);
                    // The user's choice: the studio follows this model's task.
                    self.pending_task = None;
                }
            }
            Command::UsePreviewCheckpoint(path) => match &self.worker {
                Some(w) => {
                    w.load_model(path.clone());
                    self.notice = Some(format!("preview now uses {}", path.display()));
                }
                None => self.notice = Some("no render worker to load the model into".into()),
            },
            Command::StartTraining(how) => self.start_training(how),
            Command::ControlTraining(c) => self.training.send(c),
            Command::Quit => self.close_window = true,
            Command::RestoreRecovery => self.restore_recovery(),
            Command::DiscardRecovery => self.discard_recovery(),
            Command::SaveAndClose => {
                self.save();
                if !self.doc.is_dirty() {
                    self.allow_close = true;
                    self.close_window = true;
                }
            }
            Command::CloseWithoutSaving => {
                self.allow_close = true;
                self.recovery.clear();
                self.close_window = true;
            }
            Command::Edit(edit) => {
                self.doc.apply(edit);
            }
            Command::Undo => {
                self.doc.undo();
            }
            Command::Redo => {
                self.doc.redo();
            }
            Command::Show(mode) => self.mode = mode,
            Command::ZoomIn => self.canvas.zoom_by(1.25),
            Command::ZoomOut => self.canvas.zoom_by(0.8),
            Command::ZoomFit => self.canvas.fit = true,
            Command::Zoom100 => self.canvas.zoom_to_100(),
            Command::SelectTool(tool) => self.tools.tool = tool,
            Command::SelectClass(index) => self.tools.select_class(index, &self.palette),
            Command::BrushBigger => self.tools.bigger(),
            Command::BrushSmaller => self.tools.smaller(),
            Command::SetBrushRadius(radius) => self.tools.set_radius(radius),
            Command::Vary => self.preview.vary(),
            Command::SetStyle(style) => self.doc.set_style(*style, None),
            Command::SetClassColour(class, colour) => {
                let mut style = self.doc.style.clone();
                style.set(class, colour);
                // A picker dragged over a colour is one step; setting or freeing a class is one.
                let key = colour.and(self.doc.style.get(class)).map(|_| class);
                self.doc.set_style(style, key);
            }
            Command::StyleFromPhoto(path) => {
                self.with_path(path, || ask::image(None), Self::style_from_photo)
            }
            Command::MoreStyles => self.preview.gallery.more(),
            Command::SetTask(name) => self.set_task(&name),
            Command::OpenTaskFile(path) => {
                self.with_path(path, ask::task_file, Self::open_task_file)
            }
        }
    }

    /// Runs (and empties) the queued commands, then sends what needs the window. A frame runs
    /// each panel's commands before it draws the next panel, so those show their result at once.
    fn run_all(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if !commands.is_empty() {
            for command in commands.drain(..) {
                self.execute(command);
            }
            // The panels drawn before the commands ran show the new state in the next frame.
            ctx.request_repaint();
        }
        if std::mem::take(&mut self.close_window) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

/// What the app shows, read-only: tests and the binary look, and change it only through
/// [`StudioApp::execute`] (panels' settings through their own views below).
impl StudioApp {
    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn doc(&self) -> &Document {
        &self.doc
    }

    pub fn palette(&self) -> &Palette {
        &self.palette
    }

    pub fn tools(&self) -> &ToolState {
        &self.tools
    }

    pub fn canvas(&self) -> &Canvas {
        &self.canvas
    }

    pub fn preview(&self) -> &Preview {
        &self.preview
    }

    pub fn training(&self) -> &TrainingPanel {
        &self.training
    }

    pub fn generate(&self) -> &GeneratePanel {
        &self.generate
    }

    /// File → Export building: the export under way and the last building's 3D preview.
    pub fn building(&self) -> &super::building_job::BuildingExport {
        &self.building
    }

    /// Errors waiting in the dialog, oldest first.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The status bar's one-line message.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    pub fn project_path(&self) -> Option<&Path> {
        self.project_path.as_deref()
    }

    /// Recently opened or saved files, newest first.
    pub fn recent(&self) -> &[PathBuf] {
        &self.recent
    }

    /// The recovery file from an earlier session that the app offers to restore.
    pub fn offered_recovery(&self) -> Option<&Project> {
        self.offer_recovery.as_ref()
    }

    /// The Train tab, to change its settings (`restore`, `set_backend`) or follow a run folder,
    /// as its fields and buttons do.
    pub fn training_mut(&mut self) -> &mut TrainingPanel {
        &mut self.training
    }

    /// The Generate panel's parameters, as its sliders edit them.
    pub fn generate_params_mut(&mut self) -> &mut crate::generate::FacadeParams {
        &mut self.generate.params
    }
}

impl eframe::App for StudioApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.dev.begin_frame();
        self.ensure_worker(ctx);
        if ctx.input(|i| i.viewport().close_requested()) {
            if self.doc.is_dirty() && !self.allow_close {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.dialogs.confirm_close = true;
            } else if !self.doc.is_dirty() {
                self.recovery.clear();
            }
        }
        // Dropped files open like File → Open.
        let mut commands: Vec<Command> = ctx.input(|i| {
            let dropped = i.raw.dropped_files.iter();
            dropped
                .map(|f| Command::Open(Some(f.path().to_path_buf())))
                .collect()
        });
        commands.extend(Command::from_keys(ctx, &self.palette));
        if let Some(worker) = &self.worker {
            self.preview.drain(ctx, worker);
        }
        self.follow_model_task();
        self.poll_building(ctx);
        // The trainer's events are taken even when its panel is hidden, so nothing is lost.
        if self.training.poll(ctx, &mut commands) {
            // Curves refresh once a second: repainting more often costs a software-rendered
            // window CPU time that the trainer needs.
            ctx.request_repaint_after(std::time::Duration::from_millis(1000));
        }
        self.run_all(ctx, &mut commands);
        self.advance_script();
        if let Err(e) =
            self.recovery
                .maybe_write(&self.doc, self.preview.seed, "", &self.palette.name, false)
        {
            self.notice = Some(format!("autosave failed: {e}"));
        }
        if self.doc.is_dirty() {
            // Wake up for the next autosave even when idle.
            ctx.request_repaint_after(super::storage::AUTOSAVE_EVERY);
        }
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.dev.on_ui(&ctx, &self.preview);
        let mut commands = Vec::new();
        let menu = super::menu::MenuView {
            palette: &self.palette,
            doc: &self.doc,
            mode: self.mode,
            training: self.training.is_active(),
            recent: &self.recent,
            task: self.task().map(|t| t.name),
        };
        egui::Panel::top("menu").show(ui, |ui| super::menu::menu_bar(ui, &menu, &mut commands));
        self.run_all(&ctx, &mut commands);
        let status = super::status_bar::StatusView {
            preview: &self.preview,
            doc: &self.doc,
            palette: &self.palette,
            hover: self.canvas.hover,
            notice: self.notice.as_deref(),
        };
        egui::Panel::bottom("status").show(ui, |ui| super::status_bar::status_bar(ui, &status));
        egui::Panel::left("tools")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let gallery = &self.preview.gallery;
                    let style = gallery
                        .bank
                        .as_ref()
                        .map(|_| (&self.doc.style, &gallery.typical[..]));
                    self.tools.ui(ui, &self.palette, style, &mut commands);
                    // Generated facades are CMP labels: the labels task's.
                    if self.paints_facade_labels() {
                        ui.separator();
                        egui::CollapsingHeader::new("Generate facade")
                            .show(ui, |ui| self.generate.ui(ui, &mut commands));
                    }
                });
            });
        self.run_all(&ctx, &mut commands);
        let aspect = self.doc.map.width as f32 / self.doc.map.height as f32;
        let right = (ui.available_width() * 0.42).max(260.0);
        egui::Panel::right("preview")
            .resizable(true)
            .default_size(right)
            .show(ui, |ui| {
                let gallery = self.preview.gallery.height(ui.available_width());
                self.preview.ui(ui, aspect, gallery, &mut commands);
                // Styles are facade class colours: the labels task's.
                if self.paints_facade_labels() {
                    ui.separator();
                    self.preview.gallery.ui(ui, &self.doc.style, &mut commands);
                }
            });
        self.run_all(&ctx, &mut commands);
        egui::CentralPanel::default().show(ui, |ui| match self.mode {
            Mode::Train => {
                let current = self.preview.model_path();
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.training.ui(ui, current.as_deref(), &mut commands)
                });
            }
            Mode::Paint => {
                let zoom = self.canvas.zoom;
                super::menu::canvas_toolbar(ui, &self.doc, zoom, &mut commands);
                self.run_all(&ctx, &mut commands);
                self.canvas
                    .ui(ui, &mut self.doc, &mut self.tools, &self.palette);
            }
        });
        if let Some(view) = &mut self.building.view {
            view.show(&ctx);
        }
        let offer = self.offer_recovery.as_ref();
        self.dialogs.ui(ui, &mut self.errors, offer, &mut commands);
        self.run_all(&ctx, &mut commands);
        // After the canvas and the commands: the map as it is after this frame's edits goes to
        // the worker.
        if let Some(worker) = &self.worker {
            self.preview.request_if_stale(worker, &self.doc);
            self.preview.gallery.request_if_stale(worker, &self.doc);
        }
        self.dev.end_frame();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let p = Persisted {
            recent: self.recent.clone(),
            tools: Some(self.tools.clone()),
            training: Some(self.training.settings()),
            generate: Some(self.generate.params.clone()),
        };
        eframe::set_value(storage, eframe::APP_KEY, &p);
    }

    fn on_exit(&mut self) {
        self.dev.on_exit();
        if !self.doc.is_dirty() {
            self.recovery.clear();
        }
    }
}
