//! The training panel: train or fine-tune in the app and watch the GAN learn — live loss
//! curves, sample renders with a history slider, pause/resume/stop, and hot-swapping the newest
//! checkpoint into the preview. Here: its state, the run it drives and the events it reads;
//! `view` lays the tab out, `charts` draws the curves, figures and samples, and `figure_chart`
//! the held-out figures over the run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use egui::{TextureHandle, TextureOptions};

use super::command::Command;
use crate::backend::BackendChoice;
use crate::data::Dataset;
use crate::events::{TrainCommand, TrainEvent};
use crate::train::history::{Curve, RunHistory, SHOWN_SAMPLES};
use crate::train::{APP_NGF, Recipe, RunDir, Start, TrainConfig, TrainHandle, TrainJob, spawn};

mod charts;
mod figure_chart;
mod view;

pub use figure_chart::FigureGroup;

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
    /// The held-out figures of each checkpoint of the run, oldest first.
    figures: Vec<(u64, crate::eval::Figures)>,
    /// Which of them the chart over the run draws.
    figure_group: FigureGroup,
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
            figures: Vec::new(),
            figure_group: FigureGroup::Realism,
        }
    }
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
        self.figures.last()
    }

    /// The held-out figures of each checkpoint of the run, oldest first.
    pub fn figure_history(&self) -> &[(u64, crate::eval::Figures)] {
        &self.figures
    }

    /// Which group of held-out figures the chart over the run draws.
    pub fn figure_group(&self) -> FigureGroup {
        self.figure_group
    }

    /// A checkpoint's figures; those of later steps are dropped (a resumed run measures its
    /// checkpoints again).
    fn record_figures(&mut self, step: u64, figures: crate::eval::Figures) {
        self.figures.retain(|(s, _)| *s < step);
        self.figures.push((step, figures));
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
        self.figures.clear();
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
                    self.figures.retain(|(s, _)| *s <= start_step);
                    self.started = Some((Instant::now(), start_step));
                    self.messages.push(format!(
                        "training on {backend}: {train_pairs} pairs, {skipped} skipped, steps {start_step}..{total_steps}"
                    ));
                }
                TrainEvent::Losses(l) => self.curve.push(l),
                TrainEvent::Sample { step, image } => self.add_sample(ctx, step, &image),
                TrainEvent::Epoch { .. } => {}
                TrainEvent::Evaluated { step, figures } => self.record_figures(step, *figures),
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
}

#[cfg(test)]
mod tests {
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
