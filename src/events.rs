//! Every message that crosses a thread boundary: trainer ⇄ its owner (CLI or UI).

use std::path::PathBuf;

use image::RgbImage;

/// Losses of one training step, as logged (one row per step in `losses.csv`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepLosses {
    pub step: u64,
    pub epoch: u64,
    pub g_gan: f32,
    pub g_l1: f32,
    /// Feature-matching loss (0 when the run has none).
    #[serde(default)]
    pub g_feat: f32,
    pub d_real: f32,
    pub d_fake: f32,
    pub lr: f64,
    /// Wall-clock seconds since the run (first start) began, across resumes.
    pub seconds: f64,
    /// Focal frequency loss (0 when the run has none; last, so older logs read).
    #[serde(default)]
    pub g_freq: f32,
    /// Spectral envelope loss (0 when the run has none; after `g_freq`, so older logs read).
    #[serde(default)]
    pub g_spec: f32,
}

impl StepLosses {
    /// The names of [`StepLosses::values`], as the loss plot and the progress line show them.
    pub const NAMES: [&'static str; 7] = [
        "G_GAN", "G_L1", "G_feat", "G_freq", "G_spec", "D_real", "D_fake",
    ];

    /// Every loss of the step, in the order of [`StepLosses::NAMES`].
    pub fn values(&self) -> [f32; 7] {
        [
            self.g_gan,
            self.g_l1,
            self.g_feat,
            self.g_freq,
            self.g_spec,
            self.d_real,
            self.d_fake,
        ]
    }

    /// Whether the loss at `index` is one that a run may leave out (feature matching, the focal
    /// frequency and the spectral envelope losses: 0 throughout when it does).
    pub fn optional(index: usize) -> bool {
        (2..=4).contains(&index)
    }

    /// The losses as one line (`G_GAN 0.693 G_L1 0.250 …`), leaving out the optional ones this
    /// step does not have.
    pub fn to_line(&self) -> String {
        let shown = Self::NAMES.iter().zip(self.values()).enumerate();
        let parts: Vec<String> = shown
            .filter(|&(i, (_, v))| !Self::optional(i) || v != 0.0)
            .map(|(_, (name, v))| format!("{name} {v:.3}"))
            .collect();
        parts.join(" ")
    }
}

/// What the trainer reports, in order: `Started`, then any of `Losses`/`Sample`/`Epoch`/
/// `Checkpoint`/`Warning`/`Restored`, and finally exactly one of `Finished`, `Stopped` or `Failed`.
#[derive(Debug, Clone)]
pub enum TrainEvent {
    /// Data decoded (bad files skipped), model ready.
    Started {
        start_step: u64,
        total_steps: u64,
        steps_per_epoch: u64,
        train_pairs: usize,
        skipped: usize,
        backend: String,
    },
    /// Progress of decoding the dataset before the first step.
    Loading {
        done: usize,
        total: usize,
    },
    Losses(StepLosses),
    /// input | ground truth | prediction for the fixed sample pairs, one row each.
    Sample {
        step: u64,
        image: RgbImage,
    },
    Epoch {
        epoch: u64,
        mean_l1: f32,
        seconds: f64,
    },
    Checkpoint {
        step: u64,
        path: PathBuf,
    },
    /// The held-out pairs measured at a checkpoint (rendered by the generator that renders).
    Evaluated {
        step: u64,
        figures: Box<crate::eval::Figures>,
    },
    Warning(String),
    /// A step went wrong and the run went back to its last good state (see `Restore`).
    Restored(Restore),
    Paused {
        step: u64,
    },
    Resumed {
        step: u64,
    },
    Finished {
        step: u64,
        checkpoint: PathBuf,
    },
    Stopped {
        step: u64,
        checkpoint: Option<PathBuf>,
    },
    Failed(String),
}

/// Step `failed_step` went wrong (`reason`: a loss or weight not finite, or the GPU failed).
/// Nothing of it was kept: the run went back to its last good state (`from`: a checkpoint, or
/// `None` for the starting weights) and goes on at `step` with learning rate `lr` on `backend`
/// (the CPU after a GPU failure). Logged steps from `step` on are trained again.
#[derive(Debug, Clone, PartialEq)]
pub struct Restore {
    pub failed_step: u64,
    pub step: u64,
    pub from: Option<PathBuf>,
    pub lr: f64,
    pub backend: String,
    pub reason: String,
}

impl std::fmt::Display for Restore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let from = self
            .from
            .as_ref()
            .map_or("the starting weights".to_string(), |p| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        write!(
            f,
            "step {}: {}. Went back to {from} (step {}); continuing on {} at lr {:.2e}",
            self.failed_step, self.reason, self.step, self.backend, self.lr
        )
    }
}

/// What the owner can ask of a running trainer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainCommand {
    Pause,
    Resume,
    /// Stop after the current step and write a checkpoint.
    Stop,
}

/// A render the UI wants: the newest one replaces any that has not started (latest wins).
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// The document revision it shows; results carry it back.
    pub revision: u64,
    pub map: crate::label_map::LabelMap,
    /// The per-class colours asked for (none: the model's choice).
    pub style: crate::style::Style,
    /// 0 = deterministic; otherwise the test-time dropout seed.
    pub seed: u64,
    /// The detail step's amount (see [`crate::render::detail`]).
    pub detail: f32,
}

/// A gallery thumbnail the UI wants: the layout in one style, rendered when no preview render
/// is waiting. A new set replaces the thumbnails not yet rendered.
#[derive(Debug, Clone)]
pub struct ThumbnailRequest {
    pub revision: u64,
    /// Its place in the gallery strip.
    pub index: usize,
    pub map: crate::label_map::LabelMap,
    pub style: crate::style::Style,
}

/// The model the render worker has loaded, and where it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedModel {
    pub name: String,
    /// The device in use, in words.
    pub device: String,
    pub ngf: usize,
    pub path: PathBuf,
}

/// What the render worker reports.
#[derive(Debug, Clone)]
pub enum RenderEvent {
    /// A model is loaded and ready.
    ModelReady {
        model: LoadedModel,
        /// The training styles of a model that takes a style; None for one that does not.
        styles: Option<crate::style::StyleBank>,
        /// The model's task (`palettes/tasks/`): what its input is.
        task: String,
        /// The input palette a model of a task file keeps (None for a shipped task's model).
        palette: Option<String>,
    },
    /// Loading a model failed; the previous one (if any) stays in use.
    ModelFailed(String),
    Rendered {
        revision: u64,
        seed: u64,
        image: RgbImage,
        millis: f64,
    },
    RenderFailed {
        revision: u64,
        error: String,
    },
    /// A gallery thumbnail (failures are not reported: the slot stays empty).
    Thumbnail {
        revision: u64,
        index: usize,
        image: RgbImage,
    },
}
