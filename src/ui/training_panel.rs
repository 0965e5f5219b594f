//! The training panel: train or fine-tune in the app and watch the GAN learn — live loss
//! curves, sample renders with a history slider, pause/resume/stop, and hot-swapping the newest
//! checkpoint into the preview.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use egui::{Color32, TextureHandle, TextureOptions, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};

use super::command::{Command, TrainStart};
use crate::backend::BackendChoice;
use crate::data::Dataset;
use crate::events::{StepLosses, TrainCommand, TrainEvent};
use crate::train::history::{Curve, RunHistory, SHOWN_SAMPLES};
use crate::train::{APP_NGF, Recipe, RunDir, Start, TrainConfig, TrainHandle, TrainJob, spawn};

/// The generator width buttons (the variant names are kept in saved settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ModelWidth {
    /// ngf 32: trains on a CPU, renders in ~50 ms.
    FastCpu,
    /// ngf 64: the paper's width, for a GPU.
    Full,
}

impl ModelWidth {
    /// The button for a width, if there is one.
    pub fn of(ngf: usize) -> Option<ModelWidth> {
        [ModelWidth::FastCpu, ModelWidth::Full]
            .into_iter()
            .find(|w| w.ngf() == ngf)
    }

    pub fn ngf(self) -> usize {
        match self {
            ModelWidth::FastCpu => APP_NGF,
            ModelWidth::Full => 64,
        }
    }
}

/// The panel's settings as the app keeps them between sessions.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingSettings {
    pub data_dir: String,
    pub run_dir: String,
    #[serde(rename = "preset")]
    pub width: ModelWidth,
    #[serde(default)]
    pub recipe: Recipe,
    /// How settings saved before `recipe` existed chose the published recipe (read, never
    /// written).
    #[serde(default, skip_serializing)]
    pub paper_recipe: bool,
    pub config: TrainConfig,
}

/// Where a run stands, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Idle,
    Loading,
    Running,
    Paused,
    Finished,
    Stopped,
    Failed(String),
}

pub struct TrainingPanel {
    data_dir: String,
    run_dir: String,
    width: ModelWidth,
    /// The recipe buttons (the CLI's `--preset`).
    recipe: Recipe,
    /// The opened run's settings follow no recipe (flags beyond a preset): no recipe button is
    /// lit until one is chosen, which replaces them.
    custom: bool,
    /// The settings a run starts with: the width and recipe buttons set its model, the fields
    /// below them edit it directly (the data folder comes from `data_dir` when a run starts).
    config: TrainConfig,
    backend: BackendChoice,
    auto_swap: bool,
    log_scale: bool,
    /// What the dataset folder holds ("360 pairs, pix2pix layout" or the problem).
    dataset_summary: Option<Result<String, String>>,
    handle: Option<TrainHandle>,
    state: RunState,
    /// The loss curve: the run folder's log, then the live steps.
    curve: Curve,
    samples: Vec<(u64, TextureHandle)>,
    sample_index: usize,
    messages: Vec<String>,
    latest_checkpoint: Option<PathBuf>,
    total_steps: u64,
    started: Option<(Instant, u64)>,
    /// Samples read from a run folder, waiting to be uploaded as textures.
    pending_samples: Vec<(u64, image::RgbImage)>,
    /// Fold the settings away when a run starts (more room for curves and samples).
    fold_settings: Option<bool>,
    /// The held-out figures of the newest checkpoint.
    figures: Option<(u64, crate::eval::Figures)>,
}

impl Default for TrainingPanel {
    fn default() -> Self {
        let config = TrainConfig::in_app();
        TrainingPanel {
            data_dir: config.data.display().to_string(),
            run_dir: "runs/studio".into(),
            width: ModelWidth::FastCpu,
            recipe: Recipe::Default,
            custom: false,
            config,
            backend: BackendChoice::Auto,
            auto_swap: false,
            log_scale: true,
            dataset_summary: None,
            handle: None,
            state: RunState::Idle,
            curve: Curve::default(),
            samples: Vec::new(),
            sample_index: 0,
            messages: Vec::new(),
            latest_checkpoint: None,
            total_steps: 0,
            started: None,
            pending_samples: Vec::new(),
            fold_settings: None,
            figures: None,
        }
    }
}

/// The recipe buttons: recipe, label, what it is.
const RECIPE_BUTTONS: [(Recipe, &str, &str); 4] = [
    (
        Recipe::Default,
        "photographic",
        "nearest + 3×3 upsampling, two discriminators with feature matching, weight average (the default)",
    ),
    (
        Recipe::Paper,
        "as published",
        "pix2pix exactly as in the paper: transposed convolutions, one discriminator, no weight average",
    ),
    (
        Recipe::SecondStep,
        "second step",
        "photographic, plus a label modulation in the decoder, hinge loss, a 4× faster discriminator, DiffAugment, focal frequency loss and L1 ×10 (see assets/MODEL.md for what it measured)",
    ),
    (
        Recipe::Oasis,
        "OASIS",
        "an OASIS discriminator that segments each photo into the layout's classes or \"fake\" (it starts from the shipped segmenter), a 4× faster discriminator, DiffAugment without colour jitter, focal frequency loss and L1 ×10 (see assets/MODEL.md for what it measured)",
    ),
];

/// A folder path field with a picker button; true when the picker chose a folder.
fn folder_field(ui: &mut Ui, path: &mut String, name: &str, button: &str) -> bool {
    ui.add(egui::TextEdit::singleline(path).desired_width(260.0))
        .on_hover_text(name);
    if ui.button(button).clicked()
        && let Some(d) = rfd::FileDialog::new().pick_folder()
    {
        *path = d.display().to_string();
        return true;
    }
    false
}

/// The losses of `StepLosses::NAMES` that the plot draws: all but those the run leaves out
/// (0 throughout: feature matching off, no focal frequency or spectral envelope loss).
fn plotted_losses(history: &[StepLosses]) -> Vec<usize> {
    (0..StepLosses::NAMES.len())
        .filter(|&k| !StepLosses::optional(k) || history.iter().any(|l| l.values()[k] != 0.0))
        .collect()
}

fn ema(values: impl Iterator<Item = (f64, f64)>, alpha: f64) -> Vec<[f64; 2]> {
    let mut acc: Option<f64> = None;
    values
        .map(|(x, y)| {
            let v = match acc {
                Some(a) => a + alpha * (y - a),
                None => y,
            };
            acc = Some(v);
            [x, v]
        })
        .collect()
}

impl TrainingPanel {
    /// Where the run stands.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// The loss curve shown: the run folder's log, then the live steps.
    pub fn curve(&self) -> &Curve {
        &self.curve
    }

    /// How many sample images the panel holds (uploaded as textures).
    pub fn sample_count(&self) -> usize {
        self.samples.len()
    }

    /// What the dataset folder holds, or the problem with it, once scanned.
    pub fn dataset_summary(&self) -> Option<&Result<String, String>> {
        self.dataset_summary.as_ref()
    }

    /// The newest checkpoint of the run ("Use for preview" loads it).
    pub fn latest_checkpoint(&self) -> Option<&Path> {
        self.latest_checkpoint.as_deref()
    }

    /// The held-out figures of the newest checkpoint, with its step.
    pub fn figures(&self) -> Option<&(u64, crate::eval::Figures)> {
        self.figures.as_ref()
    }

    pub fn data_dir(&self) -> &str {
        &self.data_dir
    }

    pub fn run_dir(&self) -> &str {
        &self.run_dir
    }

    /// The backend a run started here trains on.
    pub fn set_backend(&mut self, backend: BackendChoice) {
        self.backend = backend;
    }

    /// The dataset folder (`--train-data`, a picked folder), scanned at once.
    pub fn open_data(&mut self, data: &Path) {
        self.data_dir = data.display().to_string();
        self.scan_dataset();
    }

    /// Follows a run folder (`--run`): its curve, samples, figures and newest checkpoint.
    pub fn follow_run(&mut self, run: &Path) {
        self.run_dir = run.display().to_string();
        self.load_history(run);
    }

    pub fn is_active(&self) -> bool {
        matches!(
            self.state,
            RunState::Loading | RunState::Running | RunState::Paused
        )
    }

    /// The settings to keep between sessions.
    pub fn settings(&self) -> TrainingSettings {
        TrainingSettings {
            data_dir: self.data_dir.clone(),
            run_dir: self.run_dir.clone(),
            width: self.width,
            recipe: self.recipe,
            paper_recipe: false,
            config: self.config.clone(),
        }
    }

    /// Takes settings kept from an earlier session.
    pub fn restore(&mut self, s: TrainingSettings) {
        self.data_dir = s.data_dir;
        self.run_dir = s.run_dir;
        self.width = s.width;
        self.recipe = match s.paper_recipe {
            true => Recipe::Paper,
            false => s.recipe,
        };
        self.config = s.config;
        self.custom = self.config.follows().is_none();
    }

    /// Sets the model and losses from the width and recipe buttons (keeping the resolution and
    /// every other field).
    fn apply_recipe(&mut self) {
        self.config.apply_recipe(self.recipe, self.width.ngf());
    }

    fn scan_dataset(&mut self) {
        self.dataset_summary = Some(match Dataset::open(Path::new(&self.data_dir)) {
            Ok(ds) => Ok(format!(
                "{} pairs found ({:?} layout) in {}",
                ds.len(),
                ds.layout,
                ds.root.display()
            )),
            Err(e) => Err(e.to_string()),
        });
    }

    /// Loads a run folder's loss history (a resumed or finished run shows its curve) and its
    /// settings, so "Resume run" continues with them.
    fn load_history(&mut self, run_dir: &Path) {
        let run = RunHistory::read(&RunDir::new(run_dir));
        if let Some(config) = run.config.clone() {
            self.width = ModelWidth::of(config.model.ngf).unwrap_or(self.width);
            self.custom = config.follows().is_none();
            self.recipe = config.follows().unwrap_or(self.recipe);
            self.config = config;
        }
        self.figures = run.figures.clone();
        self.latest_checkpoint = run.newest_checkpoint.clone();
        self.samples.clear();
        self.sample_index = 0;
        self.pending_samples = run.recent_samples(SHOWN_SAMPLES);
        self.messages.extend(run.problems);
        self.curve = run.curve;
    }

    /// Starts a run: fresh, resumed (`resume`), or fine-tuning `init_from`.
    pub fn start(
        &mut self,
        resume: bool,
        init_from: Option<PathBuf>,
        yield_to: Option<Arc<AtomicBool>>,
    ) {
        if self.is_active() {
            return;
        }
        let run_dir = PathBuf::from(&self.run_dir);
        self.curve.clear();
        self.samples.clear();
        self.sample_index = 0;
        self.messages.clear();
        if resume {
            self.load_history(&run_dir);
        }
        let config = TrainConfig {
            data: PathBuf::from(&self.data_dir),
            ..self.config.clone()
        };
        let start = match (resume, init_from) {
            (true, _) => Start::Resume,
            (false, Some(model)) => Start::FineTune(model),
            (false, None) => Start::Fresh,
        };
        self.handle = Some(spawn(TrainJob {
            start,
            yield_to,
            ..TrainJob::new(run_dir, config, self.backend)
        }));
        self.state = RunState::Loading;
        self.started = None;
        self.fold_settings = Some(true);
    }

    /// Uploads a sample render; the slider follows it when it was at the newest one.
    fn add_sample(&mut self, ctx: &egui::Context, step: u64, image: &image::RgbImage) {
        let tex = ctx.load_texture(
            format!("train-sample-{step}"),
            super::color_image(image),
            TextureOptions::LINEAR,
        );
        let follow = self.sample_index + 1 >= self.samples.len();
        self.samples.push((step, tex));
        if follow {
            self.sample_index = self.samples.len() - 1;
        }
    }

    pub fn send(&self, command: TrainCommand) {
        if let Some(h) = &self.handle {
            h.send(command);
        }
    }

    /// Takes the trainer's events; uploads sample images; queues `UsePreviewCheckpoint` for a
    /// new checkpoint when "at every checkpoint" is on. Returns true while a run is active.
    pub fn poll(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) -> bool {
        for (step, image) in std::mem::take(&mut self.pending_samples) {
            self.add_sample(ctx, step, &image);
        }
        let Some(handle) = &self.handle else {
            return false;
        };
        // Asked before draining: a trainer that has ended has queued everything it will send.
        let ended = handle.is_finished();
        let events: Vec<TrainEvent> = handle.events.try_iter().collect();
        for event in events {
            match event {
                TrainEvent::Loading { .. } => {}
                TrainEvent::Started {
                    start_step,
                    total_steps,
                    train_pairs,
                    skipped,
                    backend,
                    ..
                } => {
                    self.state = RunState::Running;
                    self.total_steps = total_steps;
                    // Steps after the checkpoint a run resumes from are trained again.
                    self.curve.truncate(start_step);
                    self.started = Some((Instant::now(), start_step));
                    self.messages.push(format!(
                        "training on {backend}: {train_pairs} pairs, {skipped} skipped, steps {start_step}..{total_steps}"
                    ));
                }
                TrainEvent::Losses(l) => self.curve.push(l),
                TrainEvent::Sample { step, image } => self.add_sample(ctx, step, &image),
                TrainEvent::Epoch { .. } => {}
                TrainEvent::Evaluated { step, figures } => self.figures = Some((step, *figures)),
                TrainEvent::Checkpoint { path, .. } => {
                    if self.auto_swap {
                        commands.push(Command::UsePreviewCheckpoint(path.clone()));
                    }
                    self.latest_checkpoint = Some(path);
                }
                TrainEvent::Warning(w) => self.messages.push(w),
                TrainEvent::Restored(r) => {
                    // The failed stretch is trained again: drop it from the curve.
                    self.curve.truncate(r.step);
                    self.messages.push(r.to_string());
                }
                TrainEvent::Paused { .. } => self.state = RunState::Paused,
                TrainEvent::Resumed { .. } => self.state = RunState::Running,
                TrainEvent::Finished { checkpoint, .. } => {
                    self.state = RunState::Finished;
                    self.latest_checkpoint = Some(checkpoint);
                }
                TrainEvent::Stopped { checkpoint, .. } => {
                    self.state = RunState::Stopped;
                    if checkpoint.is_some() {
                        self.latest_checkpoint = checkpoint;
                    }
                }
                TrainEvent::Failed(e) => self.state = RunState::Failed(e),
            }
        }
        if ended && self.is_active() {
            self.state = RunState::Failed(
                "the trainer ended without a word; the run folder keeps its last checkpoint".into(),
            );
        }
        if !self.is_active() && self.handle.as_ref().is_some_and(|h| h.is_finished()) {
            self.handle = None;
        }
        self.is_active()
    }

    /// Steps per second since this run (re)started, and the ETA in seconds.
    pub fn speed(&self) -> Option<(f64, f64)> {
        let (t0, s0) = self.started?;
        let done = self.curve.rows.last()?.step + 1;
        let secs = t0.elapsed().as_secs_f64();
        if done <= s0 || secs <= 0.0 {
            return None;
        }
        let rate = (done - s0) as f64 / secs;
        Some((rate, self.total_steps.saturating_sub(done) as f64 / rate))
    }

    pub fn ui(&mut self, ui: &mut Ui, current_model: Option<&Path>, commands: &mut Vec<Command>) {
        ui.heading("Training");
        let open = self.fold_settings.take().map(|fold| !fold);
        egui::CollapsingHeader::new("Settings")
            .open(open)
            .default_open(true)
            .show(ui, |ui| {
                egui::Grid::new("train-settings")
                    .num_columns(2)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        ui.label("Dataset folder");
                        ui.horizontal(|ui| {
                            if folder_field(ui, &mut self.data_dir, "Dataset folder", "Browse…") {
                                self.scan_dataset();
                            }
                            if ui.button("Scan").clicked() {
                                self.scan_dataset();
                            }
                        });
                        ui.end_row();
                        ui.label("");
                        match &self.dataset_summary {
                            Some(Ok(s)) => ui.label(s),
                            Some(Err(e)) => ui.colored_label(Color32::from_rgb(255, 120, 100), e),
                            None => ui
                                .weak("pix2pix (N.jpg) or CMP base (cmp_bNNNN.jpg + .png) layouts"),
                        };
                        ui.end_row();
                        ui.label("Run folder");
                        ui.horizontal(|ui| {
                            if folder_field(ui, &mut self.run_dir, "Run folder", "Choose…") {
                                let run = PathBuf::from(&self.run_dir);
                                self.load_history(&run);
                            }
                        });
                        ui.end_row();
                        self.recipe_rows(ui);
                        self.number_rows(ui);
                        ui.label("Backend");
                        ui.horizontal(|ui| {
                            ui.selectable_value(&mut self.backend, BackendChoice::Auto, "auto");
                            ui.selectable_value(
                                &mut self.backend,
                                BackendChoice::Wgpu,
                                "GPU (wgpu)",
                            );
                            ui.selectable_value(&mut self.backend, BackendChoice::Cpu, "CPU");
                        });
                        ui.end_row();
                    });
            });
        ui.horizontal(|ui| {
            let active = self.is_active();
            let start = |s| Command::StartTraining(s);
            super::command::button(ui, start(TrainStart::Fresh), !active, commands);
            super::command::button(ui, start(TrainStart::ResumeRun), !active, commands);
            let can_fine_tune = !active && current_model.is_some();
            let fine_tune = start(TrainStart::FineTuneCurrentModel);
            super::command::button(ui, fine_tune, can_fine_tune, commands);
            let pause_or_resume = match self.state {
                RunState::Paused => TrainCommand::Resume,
                _ => TrainCommand::Pause,
            };
            let paused = self.state == RunState::Paused;
            let control = |c| Command::ControlTraining(c);
            super::command::button(ui, control(pause_or_resume), active || paused, commands);
            super::command::button(ui, control(TrainCommand::Stop), active, commands);
        });
        ui.horizontal(|ui| {
            let checkpoint = self.latest_checkpoint.clone().unwrap_or_default();
            let command = Command::UsePreviewCheckpoint(checkpoint);
            let enabled = self.latest_checkpoint.is_some();
            super::command::button(ui, command, enabled, commands);
            ui.checkbox(&mut self.auto_swap, "at every checkpoint");
        });
        self.status_line(ui);
        ui.separator();
        if ui.available_width() > 700.0 {
            ui.columns(2, |cols| {
                self.plots(&mut cols[0]);
                self.samples_ui(&mut cols[1]);
            });
        } else {
            self.plots(ui);
            self.samples_ui(ui);
        }
    }

    fn status_line(&self, ui: &mut Ui) {
        let step = self.curve.next_step();
        let state = match &self.state {
            RunState::Idle => "idle".to_string(),
            RunState::Loading => "loading the dataset…".into(),
            RunState::Running => "running".into(),
            RunState::Paused => "paused".into(),
            RunState::Finished => "finished".into(),
            RunState::Stopped => "stopped".into(),
            RunState::Failed(_) => "failed".into(),
        };
        ui.horizontal(|ui| {
            ui.label(format!("State: {state}"));
            // A run folder followed without training here has no known end.
            ui.label(match self.total_steps {
                0 => format!("step {step}"),
                total => format!("step {step} / {total}"),
            });
            if let Some((rate, eta)) = self.speed() {
                ui.label(format!("{rate:.2} steps/s, ETA {:.0} min", eta / 60.0));
            }
            if let Some(l) = self.curve.rows.last() {
                ui.label(format!("lr {:.2e}", l.lr));
            }
        });
        if let RunState::Failed(e) = &self.state {
            ui.colored_label(Color32::from_rgb(255, 120, 100), e);
        }
        for m in self.messages.iter().rev().take(3) {
            ui.weak(m);
        }
    }

    fn plots(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.strong("Losses");
            ui.checkbox(&mut self.log_scale, "log scale");
        });
        let log = self.log_scale;
        let value = move |v: f32| {
            if log {
                (v.max(1e-6) as f64).log10()
            } else {
                v as f64
            }
        };
        // One colour per loss of `StepLosses::NAMES`.
        let colours = [
            Color32::from_rgb(240, 160, 60),
            Color32::from_rgb(90, 170, 255),
            Color32::from_rgb(200, 130, 230),
            Color32::from_rgb(240, 220, 80),
            Color32::from_rgb(80, 210, 200),
            Color32::from_rgb(120, 220, 120),
            Color32::from_rgb(230, 90, 90),
        ];
        // Thin long histories for drawing.
        let stride = (self.curve.rows.len() / 4000).max(1);
        let history = &self.curve.rows;
        let marks = &self.curve.epoch_marks;
        let mut plot = Plot::new("loss-plot")
            .height(200.0)
            .legend(Legend::default())
            .x_axis_label("step");
        if log {
            plot = plot.y_axis_formatter(|mark, _| log_tick(mark.value));
        }
        let shown = plotted_losses(history);
        plot.show(ui, |p| {
            for k in shown {
                let (name, colour) = (StepLosses::NAMES[k], colours[k]);
                let get = |l: &StepLosses| l.values()[k];
                let raw: PlotPoints<'_> = history
                    .iter()
                    .step_by(stride)
                    .map(|l| [l.step as f64, value(get(l))])
                    .collect();
                p.line(Line::new(name, raw).color(colour.gamma_multiply(0.35)));
                let smooth = ema(history.iter().map(|l| (l.step as f64, value(get(l)))), 0.05);
                let smooth: PlotPoints<'_> = smooth.into_iter().step_by(stride).collect();
                p.line(Line::new(name, smooth).color(colour).width(2.0));
            }
            for &m in marks.iter().step_by((marks.len() / 50).max(1)) {
                p.vline(VLine::new("epoch", m as f64).color(Color32::from_gray(80)));
            }
        });
        Plot::new("lr-plot")
            .height(60.0)
            .x_axis_label("learning rate")
            .show(ui, |p| {
                let pts: PlotPoints<'_> = history
                    .iter()
                    .step_by(stride)
                    .map(|l| [l.step as f64, l.lr])
                    .collect();
                p.line(Line::new("lr", pts));
            });
    }

    /// Width and recipe: they set the model (and the recipe's losses).
    fn recipe_rows(&mut self, ui: &mut Ui) {
        let width_before = self.width;
        ui.label("Model");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.width, ModelWidth::FastCpu, "fast CPU (ngf 32)");
            ui.selectable_value(&mut self.width, ModelWidth::Full, "full (ngf 64)");
        });
        ui.end_row();
        ui.label("Recipe");
        let mut chosen = None;
        ui.horizontal(|ui| {
            for (recipe, name, what) in RECIPE_BUTTONS {
                let lit = !self.custom && self.recipe == recipe;
                if ui.selectable_label(lit, name).on_hover_text(what).clicked() {
                    chosen = Some(recipe);
                }
            }
            if self.custom {
                ui.selectable_label(true, "custom").on_hover_text(
                    "this run's settings follow none of the recipes (options beyond a preset: see its config.json); Resume run keeps them, choosing a recipe replaces them",
                );
            }
        });
        ui.end_row();
        if let Some(recipe) = chosen {
            self.recipe = recipe;
        }
        if chosen.is_some() || self.width != width_before {
            self.custom = false;
            self.apply_recipe();
        }
    }

    /// Epochs, batch, learning rate and L1 weight, edited in the run's settings.
    fn number_rows(&mut self, ui: &mut Ui) {
        let c = &mut self.config;
        let l = ui.label("Epochs");
        if ui
            .add(egui::DragValue::new(&mut c.epochs).range(1..=1000))
            .labelled_by(l.id)
            .changed()
        {
            c.set_length(c.epochs, None);
        }
        ui.end_row();
        let l = ui.label("Batch size");
        ui.add(egui::DragValue::new(&mut c.batch).range(1..=64))
            .labelled_by(l.id);
        ui.end_row();
        let l = ui.label("Learning rate");
        let lr = egui::DragValue::new(&mut c.lr)
            .range(1e-6..=1e-2)
            .speed(1e-5)
            .max_decimals(6);
        ui.add(lr).labelled_by(l.id);
        ui.end_row();
        let l = ui.label("L1 weight");
        ui.add(egui::DragValue::new(&mut c.l1_weight).range(0.0..=1000.0))
            .labelled_by(l.id);
        ui.end_row();
    }

    /// The newest checkpoint's held-out figures, each next to what real photos score.
    fn figures_ui(&self, ui: &mut Ui) {
        let Some((step, f)) = &self.figures else {
            return;
        };
        let r = &f.realism;
        ui.label(format!(
            "held out at step {step} ({} pairs): L1 {:.3} · PSNR {:.1} dB · SSIM {:.3}",
            f.pairs, f.l1, f.psnr, f.ssim
        ));
        ui.label(format!(
            "realism (1.00 = like the photos): sharpness {:.2} · HF {:.2} · grid {:.2} · colour spread {:.2} · saturation {:.2}",
            r.sharpness, r.hf_power, r.grid, r.colour_spread, r.saturation
        ))
        .on_hover_text("ratios of the renders' figures to the real photos' of the same pairs; grid above 1 is a stride-2 pattern");
        if let Some(c) = &f.consistency {
            ui.label(format!(
                "label consistency: mIoU {:.3} (real photos {:.3}) · pixel acc {:.3} ({:.3})",
                c.renders.mean_iou,
                c.real.mean_iou,
                c.renders.pixel_accuracy,
                c.real.pixel_accuracy
            ));
        }
        if let Some(k) = &f.kid {
            ui.label(format!(
                "distribution: KID {} (blurred photos {:.3}, photos against photos {:.3})",
                k.renders_text(),
                k.blurred,
                k.real_halves
            ))
            .on_hover_text("Kernel distance of the renders from the real photos as a set, on the segmenter's features: 0 = indistinguishable");
        }
    }

    fn samples_ui(&mut self, ui: &mut Ui) {
        self.figures_ui(ui);
        ui.strong("Samples: labels | truth | prediction");
        if self.samples.is_empty() {
            ui.weak("the first samples appear after 100 steps");
            return;
        }
        let last = self.samples.len() - 1;
        self.sample_index = self.sample_index.min(last);
        ui.add(egui::Slider::new(&mut self.sample_index, 0..=last).text("sample"));
        let (step, tex) = &self.samples[self.sample_index];
        ui.label(format!("step {step}"));
        let size = tex.size_vec2();
        let scale = (ui.available_width() / size.x).min(1.5);
        ui.add(egui::Image::from_texture(tex).fit_to_exact_size(size * scale));
    }
}

/// The label of a log-scale tick at `exponent` (10^exponent): plain decimals from 0.01 to 999,
/// powers of ten outside (never "0.000" for a small loss).
fn log_tick(exponent: f64) -> String {
    let v = 10f64.powf(exponent);
    if (0.01..1000.0).contains(&v) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

#[cfg(test)]
mod tests {

    /// The focal frequency and spectral losses of the second-step recipes are drawn; a loss
    /// the run leaves out is not, and a hinge D loss at exactly 0 for a while still is.
    #[test]
    fn the_plot_draws_every_loss_the_run_has() {
        let step = |g_feat: f32, g_freq: f32, d_real: f32| crate::events::StepLosses {
            step: 0,
            epoch: 0,
            g_gan: 1.0,
            g_l1: 0.2,
            g_feat,
            d_real,
            d_fake: 0.5,
            lr: 1e-4,
            seconds: 0.0,
            g_freq,
            g_spec: 0.0,
        };
        let names = |rows: &[crate::events::StepLosses]| -> Vec<&str> {
            let shown = super::plotted_losses(rows);
            shown
                .iter()
                .map(|&k| crate::events::StepLosses::NAMES[k])
                .collect()
        };
        let oasis = [step(0.0, 0.3, 0.0), step(0.0, 0.2, 0.0)];
        assert_eq!(
            names(&oasis),
            ["G_GAN", "G_L1", "G_freq", "D_real", "D_fake"]
        );
        let default = [step(4.0, 0.0, 0.7)];
        assert_eq!(
            names(&default),
            ["G_GAN", "G_L1", "G_feat", "D_real", "D_fake"]
        );
        assert_eq!(
            oasis[0].to_line(),
            "G_GAN 1.000 G_L1 0.200 G_freq 0.300 D_real 0.000 D_fake 0.500"
        );
    }

    #[test]
    fn log_ticks_read_as_numbers_at_every_scale() {
        assert_eq!(super::log_tick(0.0), "1");
        assert_eq!(super::log_tick(-1.0), "0.1");
        assert_eq!(super::log_tick(-2.0), "0.01");
        assert_eq!(super::log_tick(0.5f64.log10()), "0.5");
        assert_eq!(super::log_tick(-3.0), "1e-3");
        assert_eq!(super::log_tick(-4.0), "1e-4");
        assert_eq!(super::log_tick(3.0), "1e3");
    }
    use super::*;

    #[test]
    fn settings_survive_a_session() {
        let mut panel = TrainingPanel {
            width: ModelWidth::Full,
            recipe: Recipe::Paper,
            data_dir: "d".into(),
            ..TrainingPanel::default()
        };
        panel.apply_recipe();
        panel.config.epochs = 33;
        let kept = serde_json::to_string(&panel.settings()).unwrap();
        let mut next = TrainingPanel::default();
        next.restore(serde_json::from_str(&kept).unwrap());
        assert_eq!(next.settings(), panel.settings());
        assert!(!next.custom);
        assert_eq!(next.config.model, crate::model::ModelConfig::paper(64));
        assert_eq!((next.config.epochs, next.config.ema_decay), (33, 0.0));
    }

    /// A trainer that ends without its last event (it could not start, or died) does not leave
    /// the tab loading for ever; one that said why keeps its own message.
    #[test]
    fn a_trainer_that_ends_silently_is_reported_as_failed() {
        let ctx = egui::Context::default();
        let mut panel = TrainingPanel {
            state: RunState::Loading,
            handle: Some(TrainHandle::ended(crossbeam_channel::unbounded().1)),
            ..TrainingPanel::default()
        };
        assert!(!panel.poll(&ctx, &mut Vec::new()));
        let RunState::Failed(why) = &panel.state else {
            panic!("{:?}", panel.state)
        };
        assert!(why.contains("ended without a word"), "{why}");
        let (tx, rx) = crossbeam_channel::unbounded();
        tx.send(TrainEvent::Failed("could not start (no threads)".into()))
            .unwrap();
        panel.state = RunState::Loading;
        panel.handle = Some(TrainHandle::ended(rx));
        panel.poll(&ctx, &mut Vec::new());
        assert_eq!(
            panel.state,
            RunState::Failed("could not start (no threads)".into())
        );
    }

    /// Opening a run shows its width and recipe on the buttons.
    #[test]
    fn an_opened_run_sets_the_width_and_recipe_buttons() {
        let dir = std::env::temp_dir().join(format!("fs-panel-recipe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = RunDir::new(&dir);
        TrainConfig::paper(64)
            .with_epochs(9)
            .write(&run.config())
            .unwrap();
        let mut panel = TrainingPanel::default();
        panel.load_history(&dir);
        assert_eq!(
            (panel.width, panel.recipe),
            (ModelWidth::Full, Recipe::Paper)
        );
        assert_eq!(panel.config.epochs, 9);
        TrainConfig::recipe(Recipe::Default, 32)
            .write(&run.config())
            .unwrap();
        panel.load_history(&dir);
        assert_eq!(
            (panel.width, panel.recipe),
            (ModelWidth::FastCpu, Recipe::Default)
        );
        assert!(!panel.custom);
        // A run with options beyond its preset (the OASIS recipe plus a spectral loss) lights
        // no recipe: it is shown as custom, its own settings kept for Resume run.
        let mut beyond = TrainConfig::recipe(Recipe::Oasis, 32);
        beyond.spectral_weight = 1.0;
        beyond.write(&run.config()).unwrap();
        panel.load_history(&dir);
        assert!(panel.custom);
        assert_eq!(panel.config.spectral_weight, 1.0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Settings saved before the recipe had its own type said `paper_recipe: true`; they still
    /// restore, with the published recipe chosen (eframe drops every kept setting, recent
    /// files included, when one field fails to read).
    #[test]
    fn settings_from_before_the_recipe_type_still_restore() {
        let panel = TrainingPanel {
            recipe: Recipe::Paper,
            ..TrainingPanel::default()
        };
        let saved = ron::to_string(&panel.settings()).unwrap();
        assert!(
            saved.contains("recipe:Paper") && saved.contains("preset:FastCpu"),
            "{saved}"
        );
        assert!(!saved.contains("paper_recipe"), "{saved}");
        let old = saved.replace("recipe:Paper", "paper_recipe:true");
        let mut next = TrainingPanel::default();
        next.restore(ron::from_str(&old).unwrap());
        assert_eq!(
            (next.width, next.recipe),
            (ModelWidth::FastCpu, Recipe::Paper)
        );
        let older = saved.replace("recipe:Paper", "paper_recipe:false");
        next.restore(ron::from_str(&older).unwrap());
        assert_eq!(next.recipe, Recipe::Default);
    }
}
