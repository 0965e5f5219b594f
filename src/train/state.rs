//! Training state and its checkpoint files: generator, its weight average, discriminator, both
//! Adam states, the step, and the run's settings, in the `.fsw` container of `crate::checkpoint`.

use std::path::Path;

use burn::prelude::*;

use super::TrainConfig;
use super::adam::Adam;
use super::gan::GanTrainer;
use crate::checkpoint::{Container, FileKind, Meta, load_module, meta_of, module_bytes};
use crate::error::{Error, Result};
use crate::model::{Discriminator, Generator, ModelConfig, template_init};

/// Everything a training run needs to continue exactly where it stopped.
pub struct TrainState {
    pub meta: Meta,
    pub generator: Generator,
    pub discriminator: Discriminator,
    /// The average of the generator's weights, when the run keeps one.
    pub generator_ema: Option<Generator>,
    pub opt_g: Adam,
    pub opt_d: Adam,
    /// The file held no optimizer state this version reads (an older checkpoint): Adam starts
    /// afresh. Never set by `save_checkpoint`.
    pub fresh_optimizer: bool,
}

impl TrainState {
    /// The state of `trainer` now, described by `meta` (what a checkpoint saves).
    pub fn of(trainer: &GanTrainer, meta: Meta) -> TrainState {
        TrainState {
            meta,
            generator: trainer.generator.clone(),
            discriminator: trainer.discriminator.clone(),
            generator_ema: trainer.ema.as_ref().map(|e| e.generator.clone()),
            opt_g: trainer.opt_g.clone(),
            opt_d: trainer.opt_d.clone(),
            fresh_optimizer: false,
        }
    }

    /// The run's settings stored in the checkpoint (its model is the checkpoint's), if any.
    pub fn config(&self) -> Option<TrainConfig> {
        let mut value = self.meta.train.clone()?;
        if let serde_json::Value::Object(fields) = &mut value {
            fields.insert("model".into(), serde_json::to_value(&self.meta.model).ok()?);
        }
        TrainConfig::from_json_value(value).ok()
    }
}

/// The `train` entry of a checkpoint's description: the settings without their model (the
/// description holds that once).
pub fn settings_json(config: &TrainConfig) -> Option<serde_json::Value> {
    let mut value = serde_json::to_value(config).ok()?;
    if let serde_json::Value::Object(fields) = &mut value {
        fields.remove("model");
    }
    Some(value)
}

pub fn save_checkpoint(path: &Path, state: &TrainState) -> Result<()> {
    let mut c = Container::default();
    let mut meta = state.meta.clone();
    meta.kind = FileKind::Checkpoint;
    c.push(
        "meta",
        serde_json::to_vec_pretty(&meta).map_err(|e| Error::msg(e.to_string()))?,
    );
    c.push("generator", module_bytes(&state.generator, path)?);
    c.push("discriminator", module_bytes(&state.discriminator, path)?);
    if let Some(ema) = &state.generator_ema {
        c.push("generator_ema", module_bytes(ema, path)?);
    }
    c.push("adam_g", state.opt_g.to_bytes());
    c.push("adam_d", state.opt_d.to_bytes());
    c.write(path)
}

/// The discriminator in the checkpoint `bytes` (read from `path`) when it judges like one of
/// `model` would (same width, scales, normalisation, size and channels); None for a model file or
/// another shape.
/// A fine-tune from a checkpoint keeps its trained critic instead of starting one from noise.
pub fn matching_discriminator(
    bytes: &[u8],
    path: &Path,
    model: &ModelConfig,
    device: &Device,
) -> Result<Option<Discriminator>> {
    let c = Container::from_bytes(bytes, path)?;
    let meta = meta_of(&c, path)?;
    let m = &meta.model;
    let same = (
        m.ndf,
        m.num_d,
        m.norm,
        m.size,
        m.in_channels,
        m.out_channels,
        m.d_classes,
    ) == (
        model.ndf,
        model.num_d,
        model.norm,
        model.size,
        model.in_channels,
        model.out_channels,
        model.d_classes,
    );
    match (c.get("discriminator"), same) {
        (Some(data), true) => Ok(Some(load_module(
            model.init_discriminator(device),
            data,
            path,
            "discriminator",
        )?)),
        _ => Ok(None),
    }
}

/// Loads a checkpoint onto `device`; `opt_g`/`opt_d` are fresh optimizers to fill.
pub fn load_checkpoint(
    path: &Path,
    device: &Device,
    opt_g: Adam,
    opt_d: Adam,
) -> Result<TrainState> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    checkpoint_from_bytes(&bytes, path, device, opt_g, opt_d)
}

/// As `load_checkpoint`, from the file's bytes; `path` names the source in errors.
pub fn checkpoint_from_bytes(
    bytes: &[u8],
    path: &Path,
    device: &Device,
    opt_g: Adam,
    opt_d: Adam,
) -> Result<TrainState> {
    let c = Container::from_bytes(bytes, path)?;
    let meta = meta_of(&c, path)?;
    if meta.kind != FileKind::Checkpoint {
        return Err(Error::bad_file(
            path,
            "is a model file without training state; use it with render, or start a new run (fine-tuning)",
        ));
    }
    let need = |name: &str| {
        c.get(name).ok_or_else(|| {
            Error::bad_file(
                path,
                format!("has no `{name}` section; the checkpoint is incomplete"),
            )
        })
    };
    let model = &meta.model;
    let generator = load_module(
        template_init(|| model.init_generator(device)),
        need("generator")?,
        path,
        "generator",
    )?;
    let discriminator = load_module(
        template_init(|| model.init_discriminator(device)),
        need("discriminator")?,
        path,
        "discriminator",
    )?;
    let generator_ema = match c.get("generator_ema") {
        Some(data) => Some(load_module(
            template_init(|| model.init_generator(device)),
            data,
            path,
            "averaged generator",
        )?),
        None => None,
    };
    let opt = |mut opt: Adam, name: &str| -> Result<Adam> {
        opt.load_bytes(need(name)?).map_err(|e| {
            Error::bad_file(
                path,
                format!("the `{name}` optimizer state is damaged ({e})"),
            )
        })?;
        Ok(opt)
    };
    // Checkpoints written before the fused Adam hold Burn's optimizer records (`opt_g`, `opt_d`):
    // their models load, and Adam starts afresh.
    let older = c.get("adam_g").is_none()
        && c.get("adam_d").is_none()
        && c.get("opt_g").is_some()
        && c.get("opt_d").is_some();
    let (opt_g, opt_d) = if older {
        (opt_g, opt_d)
    } else {
        (opt(opt_g, "adam_g")?, opt(opt_d, "adam_d")?)
    };
    Ok(TrainState {
        meta,
        generator,
        discriminator,
        generator_ema,
        opt_g,
        opt_d,
        fresh_optimizer: older,
    })
}
