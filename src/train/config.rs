//! Training hyper-parameters: the one place where every default of a run lives (the CLI's flags
//! and the training panel's fields are laid over these). Saved as the run folder's `config.json`
//! and in every checkpoint, and read back into this same type.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::ModelConfig;

#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// The model trained (its shape and architecture options).
    #[config(default = "ModelConfig::new()")]
    pub model: ModelConfig,
    /// The task (`palettes/tasks/`): what the input is, and so its palette.
    #[config(default = "crate::task::labels()")]
    pub task: String,
    /// The dataset folder (pix2pix or CMP base layout).
    #[config(default = "PathBuf::from(\"facades/train\")")]
    pub data: PathBuf,
    /// The last `holdout` pairs (in natural file order) are not trained on; the fixed sample
    /// renders and the checkpoint figures come from them (the samples from the training pairs
    /// when it is 0).
    #[config(default = 0)]
    pub holdout: usize,
    /// Total epochs of the run (a resumed run trains until this many are done).
    #[config(default = 200)]
    pub epochs: u64,
    /// The learning rate decays linearly to zero over the last `decay_epochs` epochs.
    #[config(default = 100)]
    pub decay_epochs: u64,
    #[config(default = 1)]
    pub batch: usize,
    #[config(default = 2e-4)]
    pub lr: f64,
    #[config(default = 0.5)]
    pub beta1: f32,
    /// Weight of the L1 term in the generator loss (100 in the paper).
    #[config(default = 100.0)]
    pub l1_weight: f32,
    /// Weight of the discriminator feature-matching loss (pix2pixHD's `lambda_feat`, 10; 0 =
    /// off, as in pix2pix).
    #[config(default = 10.0)]
    pub lambda_feat: f32,
    /// The adversarial loss: pix2pix's binary cross-entropy or SPADE's hinge.
    #[config(default = "GanLoss::Bce")]
    pub gan_loss: GanLoss,
    /// The discriminator's learning rate as a multiple of `lr` (1 in pix2pix; 4 in SPADE's two
    /// time-scale recipe, G 1e-4 and D 4e-4), decayed with it.
    #[config(default = 1.0)]
    pub d_lr_scale: f64,
    /// Differentiable augmentation of both pairs the discriminator sees (see
    /// [`super::diff_augment`]).
    #[config(default = false)]
    pub diff_augment: bool,
    /// Whether DiffAugment also jitters the photo's colours (brightness, saturation, contrast);
    /// off: translation and cutout only.
    #[config(default = true)]
    pub diff_augment_colour: bool,
    /// Weight of the focal frequency loss (see [`crate::model::focal_frequency`]; 0 = off).
    #[config(default = 0.0)]
    pub ffl_weight: f32,
    /// Weight of the spectral envelope loss (see [`crate::model::spectral_envelope`]; 0 = off).
    #[config(default = 0.0)]
    pub spectral_weight: f32,
    /// The spectral envelope weight at the end of the learning rate's decay: the weight moves
    /// from `spectral_weight` to this as the rate falls to zero (none: constant), so that the
    /// demand for texture grows while the discriminator's pull towards the photos does.
    pub spectral_weight_end: Option<f32>,
    /// Whether the spectral envelope loss leaves the grid's lattice frequencies out of its
    /// rings, so that lattice peaks earn no credit for missing texture.
    #[config(default = false)]
    pub spectral_skip_lattice: bool,
    /// The spectral envelope loss compares only the frequencies at least this far from zero
    /// (cycles per pixel; 0 = all), so that its demand for texture falls on the finest scales.
    #[config(default = 0.0)]
    pub spectral_from: f32,
    /// Whether an OASIS discriminator starts from the shipped segmenter when that has its
    /// shape (off: from fresh weights, for ablations).
    #[config(default = true)]
    pub oasis_from_segmenter: bool,
    /// Whether an OASIS discriminator segments the photos into the CMP facade classes of the
    /// labels kept beside derived pairs (`dataset derive`'s `labels/`) rather than into the
    /// input's classes: a sketch's lines and hints do not say what the photo shows (whether a
    /// window is hinted is drawn per sketch), its facade labels do.
    #[config(default = false)]
    pub oasis_layout: bool,
    /// Decay of the exponential moving average of the generator's weights that samples and
    /// exports use (0 = off: the trained weights themselves, as in pix2pix).
    #[config(default = 0.999)]
    pub ema_decay: f64,
    /// Share of the steps of a style-capable model that show the generator no style at all
    /// (the rest show the target photo's style whole or in part, see [`crate::style::Style::dropped`]).
    #[config(default = 0.25)]
    pub style_none: f64,
    #[config(default = 1)]
    pub seed: u64,
    /// Write a checkpoint every this many steps (and at the end).
    #[config(default = 1000)]
    pub checkpoint_every: u64,
    /// Render the fixed samples every this many steps.
    #[config(default = 200)]
    pub sample_every: u64,
    /// Number of fixed sample pairs rendered.
    #[config(default = 4)]
    pub samples: usize,
    /// Checkpoints kept in the run folder (the newest ones).
    #[config(default = 3)]
    pub keep_checkpoints: usize,
    /// Stop after this many steps in total, whatever `epochs` says (quick runs, tests).
    pub max_steps: Option<u64>,
    /// Train the learned judges (`eval --judge both`) on the held-out renders at each checkpoint:
    /// how often a render's patches are told from the photos', over the run. Costs about 2.6
    /// minutes a checkpoint for 40 pairs on a 2-core CPU; far less on a GPU.
    #[config(default = false)]
    pub checkpoint_judges: bool,
    /// Threads decoding the dataset at the start of a run.
    #[config(default = 2)]
    pub loader_threads: usize,
}

impl Default for TrainConfig {
    /// This app's default recipe (see [`TrainConfig::paper`] for the published one).
    fn default() -> Self {
        TrainConfig::new()
    }
}

/// Where a run's model and losses come from before any option is laid over them: the one choice
/// the CLI (`--preset`), the Train tab (its recipe buttons) and `bench` (`--paper`) all make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
pub enum Recipe {
    /// This app's: nearest + 3×3 upsampling, two discriminators, feature matching, weight average.
    #[default]
    Default,
    /// pix2pix exactly as published.
    Paper,
    /// The photographs issue's second step: this app's model with a label modulation in the
    /// decoder, hinge loss, D at 4× G's rate with β1 0 (SPADE's), DiffAugment, focal frequency
    /// loss and L1 ×10.
    SecondStep,
    /// The second step with an OASIS discriminator (from the shipped segmenter, width
    /// [`OASIS_NDF`]) in place of the PatchGANs and feature matching, and without the label
    /// modulation or DiffAugment's colour jitter: β1 0, D at 4×, DiffAugment (translation and
    /// cutout), focal frequency loss, L1 ×10, lr 1e-4.
    Oasis,
}

impl Recipe {
    pub fn name(self) -> &'static str {
        match self {
            Recipe::Default => "default",
            Recipe::Paper => "paper",
            Recipe::SecondStep => "second-step",
            Recipe::Oasis => "oasis",
        }
    }
}

/// The adversarial loss of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
pub enum GanLoss {
    /// Binary cross-entropy on the patch logits (pix2pix).
    #[default]
    Bce,
    /// Hinge loss (Lim & Ye 2017; SPADE, OASIS).
    Hinge,
}

/// The learning rate in `epoch` (0-based) of a run of `epochs`: `lr`, then a linear decay to
/// zero over the last `decay_epochs` (pix2pix's "linear" policy; every trainer here uses it).
pub fn linear_decay(lr: f64, epochs: u64, decay_epochs: u64, epoch: u64) -> f64 {
    let decay = decay_epochs.min(epochs);
    let constant = epochs - decay;
    if epoch < constant || decay == 0 {
        return lr;
    }
    let into = (epoch - constant + 1) as f64;
    lr * (1.0 - into / (decay as f64 + 1.0)).max(0.0)
}

/// The decay a run of `epochs` gets unless told otherwise: half of it.
pub fn default_decay(epochs: u64) -> u64 {
    epochs / 2
}

/// Hidden features of the second-step recipe's label modulation.
pub const SECOND_STEP_MODULATION: usize = 64;

/// The classes an OASIS discriminator tells apart for `task`: the CMP facade classes when it
/// reads the pairs' kept labels (`layout`, see [`TrainConfig::oasis_layout`]), else the task
/// palette's (0 for a task that does not resolve, whose run stops with that error before any
/// step).
pub fn discriminator_classes(task: &str, layout: bool) -> usize {
    if layout {
        return crate::palette::Palette::cmp_facades().len();
    }
    crate::task::Task::resolve(task).map_or(0, |t| t.palette().len())
}

/// Whether an OASIS discriminator for `task` on the pairs in `data` reads their kept facade
/// labels (see [`TrainConfig::oasis_layout`]): for any task but the labels one (whose input is
/// that layout), when every pair has them.
pub fn reads_layout(task: &str, data: &Path) -> bool {
    task != crate::task::LABELS && crate::data::Dataset::open(data).is_ok_and(|d| d.has_layouts())
}

/// Width of the OASIS recipe's discriminator: the shipped segmenter's, which it starts from.
pub const OASIS_NDF: usize = 16;

/// Generator width of the runs started in the app: trains on a CPU, renders in ~50 ms there.
pub const APP_NGF: usize = 32;

/// Fills the keys `value` lacks from `defaults` (both JSON objects; nested objects key by key).
pub(crate) fn fill_missing(value: &mut serde_json::Value, defaults: serde_json::Value) {
    let (serde_json::Value::Object(fields), serde_json::Value::Object(defaults)) =
        (value, defaults)
    else {
        return;
    };
    for (key, default) in defaults {
        match fields.get_mut(&key) {
            Some(existing) if existing.is_object() && default.is_object() => {
                fill_missing(existing, default)
            }
            Some(_) => {}
            None => {
                fields.insert(key, default);
            }
        }
    }
}

/// `Err` naming `what` unless `weight` is finite and 0 or more.
fn non_negative(what: &str, weight: f32) -> std::result::Result<(), String> {
    match weight >= 0.0 && weight.is_finite() {
        true => Ok(()),
        false => Err(format!("{what} {weight} must be 0 or more")),
    }
}

impl TrainConfig {
    /// `recipe`'s settings at generator width `ngf`; every other setting its default.
    pub fn recipe(recipe: Recipe, ngf: usize) -> TrainConfig {
        match recipe {
            Recipe::Default => {
                TrainConfig::default().with_model(ModelConfig::new().with_width(ngf))
            }
            Recipe::Paper => TrainConfig {
                model: ModelConfig::paper(ngf),
                lambda_feat: 0.0,
                ema_decay: 0.0,
                ..TrainConfig::default()
            },
            Recipe::SecondStep => TrainConfig {
                model: ModelConfig::new()
                    .with_width(ngf)
                    .with_modulation(SECOND_STEP_MODULATION),
                lr: 1e-4,
                beta1: 0.0,
                l1_weight: 10.0,
                gan_loss: GanLoss::Hinge,
                d_lr_scale: 4.0,
                diff_augment: true,
                ffl_weight: 10.0,
                ..TrainConfig::default()
            },
            Recipe::Oasis => TrainConfig {
                model: ModelConfig::new()
                    .with_width(ngf)
                    .with_ndf(OASIS_NDF)
                    .with_d_classes(crate::palette::Palette::cmp_facades().len()),
                lr: 1e-4,
                beta1: 0.0,
                l1_weight: 10.0,
                lambda_feat: 0.0,
                d_lr_scale: 4.0,
                diff_augment: true,
                diff_augment_colour: false,
                ffl_weight: 10.0,
                ..TrainConfig::default()
            },
        }
    }

    /// The published pix2pix recipe (Isola et al. 2017) at width `ngf`: its model
    /// ([`ModelConfig::paper`]) and its losses (no feature matching, no weight average).
    pub fn paper(ngf: usize) -> TrainConfig {
        TrainConfig::recipe(Recipe::Paper, ngf)
    }

    /// Takes `recipe`'s model (at width `ngf`) and losses, keeping the resolution and every
    /// other setting. Styles are class colours of facade labels: other tasks train without
    /// style inputs.
    pub fn apply_recipe(&mut self, recipe: Recipe, ngf: usize) {
        let chosen = TrainConfig::recipe(recipe, ngf);
        self.model = chosen.model.with_size(self.model.size);
        if self.task != crate::task::LABELS {
            self.model.style_channels = 0;
        }
        if self.model.d_classes > 0 {
            self.model.d_classes = discriminator_classes(&self.task, self.oasis_layout);
        }
        self.lambda_feat = chosen.lambda_feat;
        self.ema_decay = chosen.ema_decay;
        self.lr = chosen.lr;
        self.beta1 = chosen.beta1;
        self.l1_weight = chosen.l1_weight;
        self.gan_loss = chosen.gan_loss;
        self.d_lr_scale = chosen.d_lr_scale;
        self.diff_augment = chosen.diff_augment;
        self.diff_augment_colour = chosen.diff_augment_colour;
        self.ffl_weight = chosen.ffl_weight;
        self.spectral_weight = chosen.spectral_weight;
        self.spectral_weight_end = chosen.spectral_weight_end;
        self.spectral_skip_lattice = chosen.spectral_skip_lattice;
        self.spectral_from = chosen.spectral_from;
    }

    /// The recipe these settings follow at their own width, if one does (its model and losses
    /// unchanged); `None` for settings changed beyond a recipe.
    pub fn follows(&self) -> Option<Recipe> {
        [
            Recipe::Default,
            Recipe::Paper,
            Recipe::SecondStep,
            Recipe::Oasis,
        ]
        .into_iter()
        .find(|&recipe| {
            let mut chosen = self.clone();
            chosen.apply_recipe(recipe, self.model.ngf);
            chosen == *self
        })
    }

    /// A run started in the app: the default recipe at [`APP_NGF`], the held-out split, and
    /// checkpoints and samples often enough to watch (the dataset from `FACADES_DIR/train` when
    /// that is set).
    pub fn in_app() -> TrainConfig {
        TrainConfig {
            data: std::env::var("FACADES_DIR")
                .map(|d| PathBuf::from(d).join("train"))
                .unwrap_or_else(|_| PathBuf::from("facades/train")),
            holdout: 40,
            checkpoint_every: 500,
            sample_every: 100,
            samples: 3,
            ..TrainConfig::recipe(Recipe::Default, APP_NGF)
        }
    }

    /// Sets the run's length: `epochs`, the last `decay_epochs` of them with a decaying rate
    /// (half of them when not given), never more than the run.
    pub fn set_length(&mut self, epochs: u64, decay_epochs: Option<u64>) {
        self.epochs = epochs;
        self.decay_epochs = decay_epochs.unwrap_or(default_decay(epochs)).min(epochs);
    }

    /// Reads settings written by any version: today's form, the run folders' older
    /// `{"model": …, "train": …}`, or a checkpoint's training settings saved beside its model.
    /// A field the text lacks predates its option, so it takes the published recipe's value
    /// (a run saved before feature matching existed had none).
    pub fn from_json_value(mut value: serde_json::Value) -> serde_json::Result<TrainConfig> {
        if let Some(serde_json::Value::Object(mut old)) = value.get_mut("train").map(|t| t.take()) {
            if let Some(model) = value.get_mut("model") {
                old.insert("model".into(), model.take());
            }
            value = serde_json::Value::Object(old);
        }
        if let Some(model) = value.get_mut("model") {
            let model_config = ModelConfig::from_json_value(model.take())?;
            *model = serde_json::to_value(model_config)?;
        }
        fill_missing(&mut value, serde_json::to_value(TrainConfig::paper(64))?);
        serde_json::from_value(value)
    }

    /// Reads a `config.json` (any version; see [`TrainConfig::from_json_value`]).
    pub fn read(path: &Path) -> Result<TrainConfig> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_slice(&bytes)
            .and_then(TrainConfig::from_json_value)
            .map_err(|e| Error::bad_file(path, format!("is not a run's settings ({e})")))
    }

    /// Writes the settings as JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::msg(e.to_string()))?;
        crate::fsutil::atomic_write(path, &text)
    }

    /// The learning rate in `epoch` (0-based): [`linear_decay`] of `lr` over the last
    /// `decay_epochs` epochs.
    pub fn lr_at(&self, epoch: u64) -> f64 {
        linear_decay(self.lr, self.epochs, self.decay_epochs, epoch)
    }

    /// The share of style-free steps for a style-capable model; `None` for a model without
    /// style inputs.
    pub fn style_share(&self) -> Option<f64> {
        self.model.takes_style().then_some(self.style_none)
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        self.model.validate()?;
        crate::task::Task::resolve(&self.task).map_err(|e| e.to_string())?;
        if self.batch == 0 {
            return Err("batch size must be at least 1".into());
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(format!("learning rate {} must be positive", self.lr));
        }
        non_negative("feature-matching weight", self.lambda_feat)?;
        if !(self.d_lr_scale > 0.0 && self.d_lr_scale.is_finite()) {
            return Err(format!(
                "discriminator learning-rate scale {} must be positive",
                self.d_lr_scale
            ));
        }
        non_negative("focal frequency weight", self.ffl_weight)?;
        non_negative("spectral envelope weight", self.spectral_weight)?;
        if let Some(end) = self.spectral_weight_end {
            non_negative("spectral envelope end weight", end)?;
        }
        if !(0.0..0.5).contains(&self.spectral_from) {
            return Err(format!(
                "--spectral-from {} must be in [0, 0.5) cycles per pixel (0.5 is the finest)",
                self.spectral_from
            ));
        }
        if !(0.0..=1.0).contains(&self.beta1) {
            return Err(format!("Adam beta1 {} must be in [0, 1]", self.beta1));
        }
        if !(0.0..1.0).contains(&self.ema_decay) {
            return Err(format!("EMA decay {} must be in [0, 1)", self.ema_decay));
        }
        if !(0.0..=1.0).contains(&self.style_none) {
            return Err(format!(
                "style-free share {} must be in [0, 1]",
                self.style_none
            ));
        }
        if self.checkpoint_every == 0 || self.sample_every == 0 {
            return Err("checkpoint and sample intervals must be at least 1 step".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spectral_start_past_the_finest_frequency_is_refused() {
        let at = |from: f32| TrainConfig {
            spectral_from: from,
            ..TrainConfig::default()
        };
        assert!(at(0.3).validate().is_ok());
        let err = at(0.5).validate().unwrap_err();
        assert!(err.contains("--spectral-from 0.5"), "{err}");
        assert!(at(-0.1).validate().is_err());
    }

    #[test]
    fn the_spectral_weight_moves_to_its_end_as_the_rate_decays() {
        let t = TrainConfig {
            lr: 1e-4,
            epochs: 6,
            decay_epochs: 3,
            spectral_weight: 0.5,
            spectral_weight_end: Some(2.0),
            ..TrainConfig::default()
        };
        let o = crate::train::gan::Objective::from(&t);
        let at_epoch = |e: u64| o.spectral_weight_at(t.lr_at(e));
        assert_eq!(
            (at_epoch(0), at_epoch(2)),
            (0.5, 0.5),
            "constant before the decay"
        );
        // decay epochs 3, 4, 5 run at 3/4, 2/4 and 1/4 of the rate
        for (epoch, want) in [(3, 0.875), (4, 1.25), (5, 1.625)] {
            assert!(
                (at_epoch(epoch) - want).abs() < 1e-6,
                "{epoch}: {}",
                at_epoch(epoch)
            );
        }
        assert_eq!(o.spectral_weight_at(0.0), 2.0);
        let constant = TrainConfig {
            spectral_weight_end: None,
            ..t.clone()
        };
        let o = crate::train::gan::Objective::from(&constant);
        assert_eq!(o.spectral_weight_at(t.lr_at(5)), 0.5, "no end: constant");
        let negative = TrainConfig {
            spectral_weight_end: Some(-1.0),
            ..t
        };
        let err = negative.validate().unwrap_err();
        assert!(err.contains("spectral envelope end weight"), "{err}");
    }

    #[test]
    fn the_learning_rate_is_constant_then_decays_linearly_to_zero() {
        let t = TrainConfig {
            epochs: 4,
            decay_epochs: 2,
            lr: 1.0,
            ..TrainConfig::default()
        };
        let lrs: Vec<f64> = (0..4).map(|e| t.lr_at(e)).collect();
        assert_eq!(lrs[..2], [1.0, 1.0]);
        assert!(
            (lrs[2] - 2.0 / 3.0).abs() < 1e-12 && (lrs[3] - 1.0 / 3.0).abs() < 1e-12,
            "{lrs:?}"
        );
        let constant = TrainConfig {
            decay_epochs: 0,
            ..t.clone()
        };
        assert_eq!(constant.lr_at(3), 1.0);
    }

    #[test]
    fn the_decay_is_half_the_run_unless_given_and_never_longer_than_the_run() {
        let mut t = TrainConfig::default();
        assert_eq!(t.decay_epochs, t.epochs / 2, "the defaults follow the rule");
        t.set_length(31, None);
        assert_eq!((t.epochs, t.decay_epochs), (31, 15));
        t.set_length(10, Some(40));
        assert_eq!((t.epochs, t.decay_epochs), (10, 10));
        t.set_length(10, Some(3));
        assert_eq!(t.decay_epochs, 3);
    }

    #[test]
    fn a_recipe_replaces_model_and_losses_and_keeps_the_rest() {
        let mut t = TrainConfig {
            holdout: 40,
            ..TrainConfig::recipe(Recipe::Default, 32)
        };
        t.model.size = 128;
        t.apply_recipe(Recipe::Paper, 64);
        let paper = TrainConfig::paper(64);
        assert_eq!(t.model, paper.model.clone().with_size(128));
        assert_eq!((t.lambda_feat, t.ema_decay, t.holdout), (0.0, 0.0, 40));
        t.apply_recipe(Recipe::Default, 32);
        assert_eq!(t.model.ngf, 32);
        assert!(t.model.takes_style() && t.lambda_feat > 0.0 && t.ema_decay > 0.0);
        assert_eq!(t.follows(), Some(Recipe::Default));
        t.task = "sketch".into();
        t.apply_recipe(Recipe::Default, 32);
        assert!(!t.model.takes_style(), "styles are for label maps only");
        assert_eq!(TrainConfig::paper(48).follows(), Some(Recipe::Paper));
        // Measuring the checkpoints with the judges is no part of a recipe.
        t.checkpoint_judges = true;
        assert_eq!(t.follows(), Some(Recipe::Default));
        t.lambda_feat = 3.0;
        assert_eq!(t.follows(), None);
        // The second step and back: its losses come and go with it.
        t.apply_recipe(Recipe::SecondStep, 32);
        assert_eq!(t.follows(), Some(Recipe::SecondStep));
        assert_eq!(
            (t.gan_loss, t.diff_augment, t.l1_weight),
            (GanLoss::Hinge, true, 10.0)
        );
        assert_eq!(
            (t.model.modulation, t.model.size),
            (SECOND_STEP_MODULATION, 128)
        );
        t.apply_recipe(Recipe::Default, 32);
        assert_eq!(t.follows(), Some(Recipe::Default));
        assert_eq!(
            (t.gan_loss, t.diff_augment, t.ffl_weight),
            (GanLoss::Bce, false, 0.0)
        );
        // OASIS: its discriminator tells this task's classes apart (the sketch palette's).
        t.apply_recipe(Recipe::Oasis, 32);
        assert_eq!(t.follows(), Some(Recipe::Oasis));
        let sketch_classes = crate::task::Task::named("sketch").unwrap().palette().len();
        assert!(sketch_classes > 1);
        assert_eq!(
            (t.model.d_classes, t.model.ndf),
            (sketch_classes, OASIS_NDF)
        );
        assert_eq!(TrainConfig::recipe(Recipe::Oasis, 32).model.d_classes, 12);
        t.apply_recipe(Recipe::Default, 32);
        assert_eq!((t.model.d_classes, t.model.ndf), (0, 32));
    }

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        let bad = |t: TrainConfig| t.validate().unwrap_err();
        let d = TrainConfig::default;
        assert!(bad(d().with_model(ModelConfig::new().with_size(100))).contains("power of two"));
        assert!(bad(TrainConfig { batch: 0, ..d() }).contains("batch"));
        assert!(bad(TrainConfig { lr: -1.0, ..d() }).contains("learning rate"));
        assert!(
            bad(TrainConfig {
                ema_decay: 1.0,
                ..d()
            })
            .contains("EMA decay")
        );
        assert!(
            bad(TrainConfig {
                lambda_feat: f32::NAN,
                ..d()
            })
            .contains("feature-matching")
        );
        assert!(d().validate().is_ok() && TrainConfig::paper(64).validate().is_ok());
    }

    #[test]
    fn settings_round_trip_and_older_forms_are_read() {
        let t = TrainConfig::default()
            .with_epochs(7)
            .with_max_steps(Some(9));
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(TrainConfig::from_json_value(json).unwrap(), t);
        // A run folder's config.json before this version: model and train side by side, no
        // feature matching or weight average, no upsampling or discriminator-scale options.
        let old = serde_json::json!({
            "model": {"ngf": 32, "ndf": 32, "dropout": 0.5, "norm": "Batch", "size": 256,
                      "in_channels": 3, "out_channels": 3},
            "train": {"data": "d", "holdout": 40, "epochs": 27, "decay_epochs": 14, "batch": 1,
                      "lr": 0.0002, "beta1": 0.5, "l1_weight": 100.0, "seed": 1,
                      "checkpoint_every": 1500, "sample_every": 1000, "samples": 4,
                      "keep_checkpoints": 3, "max_steps": null, "loader_threads": 2}
        });
        let read = TrainConfig::from_json_value(old).unwrap();
        assert_eq!(read.model, ModelConfig::paper(32));
        assert_eq!(
            (read.epochs, read.lambda_feat, read.ema_decay),
            (27, 0.0, 0.0)
        );
        assert_eq!(read.data, PathBuf::from("d"));
    }
}
