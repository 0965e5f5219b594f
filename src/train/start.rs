//! Where a run's models come from: a fresh seeded start, a fine-tune of a model file, a resumed
//! checkpoint — and, after a failed step, the run's last good state.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::prelude::Device;
use crossbeam_channel::Sender;

use super::TrainConfig;
use super::ema::Ema;
use super::gan::{GanTrainer, Objective, adam};
use super::state::{TrainState, load_checkpoint};
use crate::checkpoint::{self, FileKind};
use crate::error::{Error, Result};
use crate::events::TrainEvent;
use crate::model::{Discriminator, ModelConfig, Upsample};
use crate::models::{RunDir, default_segmenter_path};

/// How a run begins.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Seeded starting weights (the run folder must hold no checkpoint).
    Fresh,
    /// The run folder's newest good checkpoint, with its own settings (epochs, data, max steps
    /// and, after a divergence, the learning rate can change).
    Resume,
    /// A fresh run whose generator starts from this model file.
    FineTune(PathBuf),
}

/// A run ready to train: its trainer, its settings, and how far it already is.
pub struct Begun {
    pub trainer: GanTrainer,
    pub config: TrainConfig,
    pub step: u64,
    pub seconds: f64,
    /// The checkpoint resumed from, if any.
    pub from: Option<PathBuf>,
}

/// The run's starting point for `start` on `device` (the settings are `config`'s, or the
/// checkpoint's when resuming).
pub fn begin(
    run: &RunDir,
    start: &Start,
    config: &TrainConfig,
    lr_override: Option<f64>,
    device: &Device,
    events: &Sender<TrainEvent>,
) -> Result<Begun> {
    match start {
        Start::Resume => resumed(run, config, lr_override, device, events),
        Start::Fresh | Start::FineTune(_) => {
            if !run.checkpoints().is_empty() {
                return Err(Error::bad_file(
                    run.path(),
                    "already holds checkpoints of a run: pass --resume to continue it, or choose another --out",
                ));
            }
            let trainer = starting_trainer(config, fine_tune_source(start), device)?;
            let config = config.clone().with_model(trainer.config.clone());
            Ok(Begun {
                trainer,
                config,
                step: 0,
                seconds: 0.0,
                from: None,
            })
        }
    }
}

fn fine_tune_source(start: &Start) -> Option<&Path> {
    match start {
        Start::FineTune(p) => Some(p),
        _ => None,
    }
}

/// A resumed run keeps its checkpoint's settings; what may change between sessions is laid
/// over them: the planned length, the data's location and, after a divergence, the rate.
fn resumed(
    run: &RunDir,
    given: &TrainConfig,
    lr_override: Option<f64>,
    device: &Device,
    events: &Sender<TrainEvent>,
) -> Result<Begun> {
    let (state, from) = load_resume_state(run, given.beta1, device, events)?;
    let mut config = state.config().unwrap_or_else(|| given.clone());
    config.model = state.meta.model.clone();
    config.set_length(given.epochs, Some(given.decay_epochs));
    config.max_steps = given.max_steps;
    config.checkpoint_judges = given.checkpoint_judges;
    config.data = given.data.clone();
    if let Some(lr) = lr_override {
        config.lr = lr;
    }
    if state.meta.model != given.model {
        let _ = events.send(TrainEvent::Warning(format!(
            "the run folder's model (ngf {}, size {}) is used; model options given now are ignored",
            state.meta.model.ngf, state.meta.model.size
        )));
    }
    let (step, seconds) = (state.meta.step, state.meta.seconds);
    Ok(Begun {
        trainer: trainer_from_state(state, device, &config),
        config,
        step,
        seconds,
        from: Some(from),
    })
}

/// The newest readable checkpoint of `run` (loaded without autodiff), falling back to older
/// ones with a warning.
fn load_resume_state(
    run: &RunDir,
    beta1: f32,
    device: &Device,
    events: &Sender<TrainEvent>,
) -> Result<(TrainState, PathBuf)> {
    let found = run.checkpoints();
    if found.is_empty() {
        return Err(Error::bad_file(
            run.path(),
            "holds no checkpoint to resume; start the run without --resume",
        ));
    }
    let mut last_error = None;
    for (_, path) in found {
        // Loaded without autodiff and switched to training (autodiff) once it is known good:
        // tracked tensors that never take part in a backward pass are never freed by Burn's
        // autodiff graph (tracel-ai/burn#4970), so a failed or discarded load must not make any.
        match load_checkpoint(&path, device, adam(beta1), adam(beta1)) {
            Ok(state) => {
                if state.fresh_optimizer {
                    let _ = events.send(TrainEvent::Warning(format!(
                        "{}: written by an earlier version; its models are used and Adam starts afresh",
                        path.display()
                    )));
                }
                return Ok((state, path));
            }
            Err(e) => {
                let _ = events.send(TrainEvent::Warning(format!(
                    "{e} — trying the previous checkpoint"
                )));
                last_error = Some(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| Error::msg("no readable checkpoint")))
}

/// A trainer holding a checkpoint's state (loaded without autodiff), switched to training.
/// Built directly: a freshly initialised model that is replaced unused would never be freed.
fn trainer_from_state(state: TrainState, device: &Device, config: &TrainConfig) -> GanTrainer {
    let mut trainer = GanTrainer::from_models(
        state.meta.model.clone(),
        device.clone().autodiff(),
        state.generator.train(),
        state.discriminator.train(),
        config.seed,
        Objective::from(config),
    );
    trainer.opt_g = state.opt_g;
    trainer.opt_d = state.opt_d;
    // A checkpoint written before the run kept an average starts it at the trained weights.
    if let Some(ema) = &mut trainer.ema {
        ema.updates = state.meta.step;
        if let Some(saved) = state.generator_ema {
            ema.generator = saved;
        }
    }
    trainer
}

/// The run's starting weights: seeded from `config.seed`, with the generator of `init_from`
/// when fine-tuning. Deterministic, so a run can always go back to them.
///
/// A fine-tune keeps the loaded generator's shape (widths, levels, norm) and takes the run's
/// upsampling, styles (a model of another task loses its style planes), label modulation (added
/// at zero) and discriminator scales: a generator with transposed convolutions fine-tuned into a nearest + 3×3 model
/// starts from their least-squares projection.
pub fn starting_trainer(
    config: &TrainConfig,
    init_from: Option<&Path>,
    device: &Device,
) -> Result<GanTrainer> {
    let mut model = config.model.clone();
    let mut init = None;
    let mut critic = None;
    if let Some(from) = init_from {
        let bytes = std::fs::read(from).map_err(|e| Error::io(from, e))?;
        let loaded = checkpoint::generator_from_bytes(&bytes, from, device)?;
        let mut generator = loaded.generator;
        if loaded.meta.model.upsample != model.upsample {
            if model.upsample != Upsample::NearestConv {
                return Err(Error::bad_file(
                    from,
                    "uses nearest + 3×3 upsampling, which cannot be turned back into transposed convolutions; fine-tune it with --upsample nearest-conv",
                ));
            }
            generator = generator.into_resize_upsampling();
        }
        let (theirs, ours) = (loaded.meta.model.style_channels, model.style_channels);
        if ours < theirs && loaded.meta.task == config.task {
            return Err(Error::bad_file(
                from,
                "takes a style, which a fine-tune cannot remove; fine-tune it with the default --style",
            ));
        }
        // Another task's style planes mean nothing here: their weights go.
        let inputs = generator.inputs();
        generator = match ours < theirs {
            true => generator.with_first_inputs(inputs - (theirs - ours)),
            false => generator.with_extra_inputs(ours - theirs),
        };
        // A modulation is added (starting at zero), never removed.
        let modulation = match (loaded.meta.model.modulation, model.modulation) {
            (0, hidden) if hidden > 0 => {
                let g = generator;
                generator = crate::model::seeded_init(device, config.seed ^ 0x30D, || {
                    let g = g.with_modulation(hidden, device);
                    crate::model::materialize(&g);
                    g
                });
                hidden
            }
            (theirs, _) => theirs,
        };
        // The discriminator is the run's when it changes kind (a fine-tune's D starts afresh).
        let ndf = match model.d_classes == loaded.meta.model.d_classes {
            true => loaded.meta.model.ndf,
            false => model.ndf,
        };
        model = ModelConfig {
            upsample: model.upsample,
            num_d: model.num_d,
            style_channels: model.style_channels,
            modulation,
            d_classes: model.d_classes,
            ndf,
            ..loaded.meta.model.clone()
        };
        init = Some(generator);
        critic = super::state::matching_discriminator(&bytes, from, &model, device)?;
    }
    if critic.is_none() && config.oasis_from_segmenter {
        critic = oasis_from_segmenter(&model, device);
    }
    let mut trainer = GanTrainer::new(model, device, config.seed, Objective::from(config));
    if let Some(d) = critic {
        trainer.discriminator = d.train();
    }
    if let Some(g) = init {
        trainer.generator = g.train();
        if let Some(ema) = &mut trainer.ema {
            *ema = Ema::new(ema.decay, &trainer.generator);
        }
    }
    Ok(trainer)
}

/// The OASIS discriminator a run without one starts from: the shipped segmenter given a
/// "fake" output (at zero), when it has the discriminator's shape (width `ndf`, norm,
/// upsampling, size, the task's classes); else None, and the discriminator starts afresh.
pub fn oasis_from_segmenter(model: &ModelConfig, device: &Device) -> Option<Discriminator> {
    let network = model.oasis_network()?;
    let loaded = checkpoint::load_generator(&default_segmenter_path(), device).ok()?;
    let m = &loaded.meta.model;
    let fits = loaded.meta.kind == FileKind::Segmenter
        && (
            m.ngf,
            m.norm,
            m.upsample,
            m.size,
            m.in_channels,
            m.out_channels + 1,
        ) == (
            network.ngf,
            network.norm,
            network.upsample,
            network.size,
            network.in_channels,
            network.out_channels,
        )
        && (m.style_channels, m.modulation) == (0, 0);
    let network = fits.then_some(loaded.generator)?.with_extra_outputs(1)?;
    Some(Discriminator::oasis(network, device))
}

/// The run's last good state on `device`: its newest readable checkpoint, or its starting
/// weights when none is written yet. Returns the trainer, its step, and the checkpoint (if any).
pub fn last_good_state(
    run: &RunDir,
    start: &Start,
    config: &TrainConfig,
    device: &Device,
    events: &Sender<TrainEvent>,
) -> Result<(GanTrainer, u64, Option<PathBuf>)> {
    if run.checkpoints().is_empty() {
        let trainer = starting_trainer(config, fine_tune_source(start), device)?;
        return Ok((trainer, 0, None));
    }
    let (state, path) = load_resume_state(run, config.beta1, device, events)?;
    let step = state.meta.step;
    Ok((trainer_from_state(state, device, config), step, Some(path)))
}
