//! A training run on its own thread: data loading, the step loop, samples, checkpoints, the loss
//! log, and events for whoever watches (the CLI's progress bars or the app's training panel).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use burn::module::Module;
use crossbeam_channel::{Receiver, Sender, TryRecvError, unbounded};
use image::RgbImage;

use super::TrainConfig;
use super::gan::{GanTrainer, Objective, adam};
use super::loss_log::LossLog;
use crate::backend::{self, BackendChoice};
use crate::checkpoint::{self, Meta, TrainState};
use crate::data::augment::{AugmentConfig, Resized};
use crate::data::prefetch::{Schedule, preload};
use crate::data::{Batch, Dataset, Prefetcher};
use crate::error::{Error, Result};
use crate::eval::{Figures, Totals};
use crate::events::{Restore, StepLosses, TrainCommand, TrainEvent};
use crate::fsutil::atomic_write;
use crate::image_io::save_png;
use crate::model::ModelConfig;
use crate::palette::Palette;
use crate::render::tensor_to_images;
use crate::segment::{Segmenter, default_segmenter_path};

/// What to train, where, and how.
#[derive(Debug, Clone)]
pub struct TrainJob {
    pub run_dir: PathBuf,
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub backend: BackendChoice,
    /// Continue the run in `run_dir` from its newest good checkpoint.
    pub resume: bool,
    /// Start the generator from these weights (fine-tuning a model).
    pub init_from: Option<PathBuf>,
    /// A learning rate that replaces the run's own when resuming (after a divergence).
    pub lr_override: Option<f64>,
    /// While this flag is set (the app's render worker is rendering), the trainer waits before
    /// its next step, so the live preview keeps the CPU.
    pub yield_to: Option<Arc<AtomicBool>>,
    /// Deliberate failures, for tests that prove recovery (empty in normal use).
    pub faults: Faults,
}

impl TrainJob {
    /// A fresh run of `model` with `train` on `backend` into `run_dir`: no resume, no
    /// fine-tuning, nothing to yield to, no faults. Set the other fields with struct update syntax.
    pub fn new(
        run_dir: PathBuf,
        model: ModelConfig,
        train: TrainConfig,
        backend: BackendChoice,
    ) -> TrainJob {
        TrainJob {
            run_dir,
            model,
            train,
            backend,
            resume: false,
            init_from: None,
            lr_override: None,
            yield_to: None,
            faults: Faults::default(),
        }
    }
}

/// Steps to break on purpose: a NaN fed into the step's input (it spreads through the real
/// computation into losses, gradients and weights), or a GPU failure (a panic inside the step,
/// as burn-wgpu raises on out-of-memory or a lost device; only on the GPU). Each fires once.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub nan_at: Vec<u64>,
    pub gpu_failure_at: Vec<u64>,
}

/// How many times a run goes back to its last good state before it gives up.
pub const MAX_RESTORES: usize = 3;

/// The owner's end of a running trainer.
pub struct TrainHandle {
    pub events: Receiver<TrainEvent>,
    commands: Sender<TrainCommand>,
    thread: Option<JoinHandle<()>>,
}

impl TrainHandle {
    pub fn send(&self, command: TrainCommand) {
        let _ = self.commands.send(command);
    }

    /// Waits for the thread to end (after `Finished`, `Stopped` or `Failed`).
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

/// Starts `job` on a new thread.
pub fn spawn(job: TrainJob) -> TrainHandle {
    let (etx, erx) = unbounded();
    let (ctx, crx) = unbounded();
    let thread = std::thread::Builder::new()
        .name("trainer".into())
        .spawn(move || {
            match backend::guarded(|| run(&job, &etx, &crx)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    let _ = etx.send(TrainEvent::Failed(e.to_string()));
                }
                Err(what) => {
                    let _ = etx.send(TrainEvent::Failed(format!(
                        "the trainer stopped on an internal error ({what}); the last checkpoint in the run folder is intact"
                    )));
                }
            }
        })
        .ok();
    TrainHandle {
        events: erx,
        commands: ctx,
        thread,
    }
}

fn load_resume_state(
    job: &TrainJob,
    device: &burn::prelude::Device,
    events: &Sender<TrainEvent>,
) -> Result<TrainState> {
    let found = checkpoint::list_checkpoints(&job.run_dir);
    if found.is_empty() {
        return Err(Error::bad_file(
            &job.run_dir,
            "holds no checkpoint to resume; start the run without --resume",
        ));
    }
    let mut last_error = None;
    for (_, path) in found {
        // Loaded without autodiff and switched to training (autodiff) once it is known good:
        // tracked tensors that never take part in a backward pass are never freed by Burn's
        // autodiff graph (tracel-ai/burn#4970), so a failed or discarded load must not make any.
        match checkpoint::load_checkpoint(
            &path,
            device,
            adam(job.train.beta1),
            adam(job.train.beta1),
        ) {
            Ok(state) => {
                if state.fresh_optimizer {
                    let _ = events.send(TrainEvent::Warning(format!(
                        "{}: written by an earlier version; its models are used and Adam starts afresh",
                        path.display()
                    )));
                }
                return Ok(state);
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

/// The deterministic render of `labels` by `generator` on `device`.
fn render_labels(
    generator: &crate::model::Generator,
    labels: &crate::label_map::LabelMap,
    palette: &Palette,
    device: &burn::prelude::Device,
) -> Result<RgbImage> {
    let input = crate::render::encode(&[labels], palette, device);
    let out = generator.forward(input, &mut crate::model::DropoutMasks::off());
    tensor_to_images(out)?
        .pop()
        .ok_or_else(|| Error::msg("empty render"))
}

fn sample_grid(trainer: &GanTrainer, samples: &[Resized], palette: &Palette) -> Result<RgbImage> {
    let s = trainer.config.size as u32;
    let generator = trainer.render_generator().for_rendering();
    let device = burn::prelude::Device::clone(&trainer.device).inner();
    let mut grid = RgbImage::new(3 * s, s * samples.len().max(1) as u32);
    for (row, pair) in samples.iter().enumerate() {
        let pred = render_labels(&generator, &pair.labels, palette, &device)?;
        let y = row as i64 * s as i64;
        image::imageops::replace(&mut grid, &pair.labels.to_rgb(palette), 0, y);
        image::imageops::replace(&mut grid, &pair.photo, s as i64, y);
        image::imageops::replace(&mut grid, &pred, 2 * s as i64, y);
    }
    Ok(grid)
}

/// Held-out pairs measured at each checkpoint (at most this many, the first of the split).
const EVAL_PAIRS: usize = 40;

/// The held-out figures of the generator that renders (label consistency when a segmenter is
/// given).
fn held_out_figures(
    trainer: &GanTrainer,
    held: &[Resized],
    segmenter: Option<&Segmenter>,
    palette: &Palette,
) -> Result<Figures> {
    let generator = trainer.render_generator().for_rendering();
    let device = burn::prelude::Device::clone(&trainer.device).inner();
    let mut totals = Totals::new(segmenter.map(|s| s.classes()));
    for pair in held {
        let render = render_labels(&generator, &pair.labels, palette, &device)?;
        totals.add(&render, pair, segmenter)?;
    }
    Ok(totals.finish(segmenter))
}

/// Appends one line of JSON (`{"step": …, figures}`) to the run's `evals.jsonl`.
fn log_figures(run_dir: &Path, step: u64, figures: &Figures) -> Result<()> {
    use std::io::Write;
    let path = run_dir.join(EVALS);
    let mut line = serde_json::json!({ "step": step });
    if let (Some(obj), Ok(serde_json::Value::Object(f))) =
        (line.as_object_mut(), serde_json::to_value(figures))
    {
        obj.extend(f);
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    writeln!(file, "{line}").map_err(|e| Error::io(&path, e))
}

const EVALS: &str = "evals.jsonl";

/// Drops the lines of `evals.jsonl` after `step` (a resumed run measures those checkpoints again).
fn trim_figures(run_dir: &Path, step: u64) -> Result<()> {
    let path = run_dir.join(EVALS);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("step")?.as_u64())
                .is_some_and(|s| s <= step)
        })
        .map(|line| format!("{line}\n"))
        .collect();
    atomic_write(&path, kept.as_bytes())
}

/// The newest checkpoint figures in a run folder's `evals.jsonl`, if any.
pub fn latest_figures(run_dir: &Path) -> Option<(u64, Figures)> {
    let text = std::fs::read_to_string(run_dir.join(EVALS)).ok()?;
    text.lines().rev().find_map(|line| {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let step = value.get("step")?.as_u64()?;
        Some((step, serde_json::from_value(value).ok()?))
    })
}

/// What `config.json` in a run folder holds: the run's model and training settings.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunConfig {
    model: ModelConfig,
    train: TrainConfig,
}

const RUN_CONFIG: &str = "config.json";

/// The model a run folder trains, from its `config.json` (`None` when there is none to read).
pub fn run_model(run_dir: &Path) -> Option<ModelConfig> {
    let text = std::fs::read(run_dir.join(RUN_CONFIG)).ok()?;
    let mut value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    ModelConfig::from_json_value(value.get_mut("model")?.take()).ok()
}

fn save_run_config(run_dir: &Path, model: &ModelConfig, train: &TrainConfig) -> Result<()> {
    let config = RunConfig {
        model: model.clone(),
        train: train.clone(),
    };
    let text = serde_json::to_vec_pretty(&config).map_err(|e| Error::msg(e.to_string()))?;
    atomic_write(&run_dir.join(RUN_CONFIG), &text)
}

/// A trainer holding a checkpoint's state (loaded without autodiff), switched to training.
/// Built directly: a freshly initialised model that is replaced unused would never be freed.
fn trainer_from_state(
    state: TrainState,
    device: &burn::prelude::Device,
    train: &TrainConfig,
) -> GanTrainer {
    let mut trainer = GanTrainer::from_models(
        state.meta.model.clone(),
        device.clone().autodiff(),
        state.generator.train(),
        state.discriminator.train(),
        train.seed,
        Objective::from(train),
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

/// The run's starting weights: seeded from `train.seed`, with the generator of `job.init_from`
/// when fine-tuning. Deterministic, so a run can always go back to them.
///
/// A fine-tune keeps the loaded generator's shape (widths, levels, norm) and takes the run's
/// upsampling and discriminator scales: a generator with transposed convolutions fine-tuned into
/// a nearest + 3×3 model starts from their least-squares projection.
fn starting_trainer(
    job: &TrainJob,
    model: &ModelConfig,
    train: &TrainConfig,
    device: &burn::prelude::Device,
) -> Result<GanTrainer> {
    let mut model = model.clone();
    let mut init = None;
    if let Some(from) = &job.init_from {
        let loaded = checkpoint::load_generator(from, device)?;
        let mut generator = loaded.generator;
        if loaded.meta.model.upsample != model.upsample {
            if model.upsample != crate::model::Upsample::NearestConv {
                return Err(Error::bad_file(
                    from,
                    "uses nearest + 3×3 upsampling, which cannot be turned back into transposed convolutions; fine-tune it with --upsample nearest-conv",
                ));
            }
            generator = generator.into_resize_upsampling();
        }
        model = ModelConfig {
            upsample: model.upsample,
            num_d: model.num_d,
            ..loaded.meta.model.clone()
        };
        init = Some(generator);
    }
    let mut trainer = GanTrainer::new(model, device, train.seed, Objective::from(train));
    if let Some(g) = init {
        trainer.generator = g.train();
        if let Some(ema) = &mut trainer.ema {
            *ema = super::ema::Ema::new(ema.decay, &trainer.generator);
        }
    }
    Ok(trainer)
}

/// The run's last good state on `device`: its newest readable checkpoint, or its starting
/// weights when none is written yet. Returns the trainer, its step, and the checkpoint (if any).
fn last_good_state(
    job: &TrainJob,
    model: &ModelConfig,
    train: &TrainConfig,
    device: &burn::prelude::Device,
    events: &Sender<TrainEvent>,
) -> Result<(GanTrainer, u64, Option<PathBuf>)> {
    if checkpoint::list_checkpoints(&job.run_dir).is_empty() {
        return Ok((starting_trainer(job, model, train, device)?, 0, None));
    }
    let state = load_resume_state(job, device, events)?;
    let step = state.meta.step;
    let source = checkpoint::checkpoint_path(&job.run_dir, step);
    Ok((trainer_from_state(state, device, train), step, Some(source)))
}

/// True (once) when `step` is in `at`.
fn fire(at: &mut Vec<u64>, step: u64) -> bool {
    let before = at.len();
    at.retain(|&s| s != step);
    at.len() != before
}

fn run(
    job: &TrainJob,
    events: &Sender<TrainEvent>,
    commands: &Receiver<TrainCommand>,
) -> Result<()> {
    let send = |e: TrainEvent| {
        let _ = events.send(e);
    };
    job.train.validate().map_err(Error::msg)?;
    job.model.validate().map_err(Error::msg)?;
    let selected = backend::select(job.backend, &mut |m| send(TrainEvent::Warning(m)))?;
    std::fs::create_dir_all(&job.run_dir).map_err(|e| Error::io(&job.run_dir, e))?;

    // Models: a resumed run, a fine-tune, or a fresh start.
    let (trainer, train, start_step, base_seconds) = if job.resume {
        let state = load_resume_state(job, &selected.device, events)?;
        let mut train = state
            .meta
            .train
            .clone()
            .unwrap_or_else(|| job.train.clone());
        train.epochs = job.train.epochs;
        train.decay_epochs = job.train.decay_epochs.min(job.train.epochs);
        train.max_steps = job.train.max_steps;
        train.data = job.train.data.clone();
        if let Some(lr) = job.lr_override {
            train.lr = lr;
        }
        if state.meta.model != job.model {
            send(TrainEvent::Warning(format!(
                "the run folder's model (ngf {}, size {}) is used; model options given now are ignored",
                state.meta.model.ngf, state.meta.model.size
            )));
        }
        let (step, seconds) = (state.meta.step, state.meta.seconds);
        (
            trainer_from_state(state, &selected.device, &train),
            train,
            step,
            seconds,
        )
    } else {
        if !checkpoint::list_checkpoints(&job.run_dir).is_empty() {
            return Err(Error::bad_file(
                &job.run_dir,
                "already holds checkpoints of a run: pass --resume to continue it, or choose another --out",
            ));
        }
        let trainer = starting_trainer(job, &job.model, &job.train, &selected.device)?;
        (trainer, job.train.clone(), 0, 0.0)
    };
    let mut trainer = trainer;
    let mut train = train;
    let model = trainer.config.clone();
    let size = model.size as u32;
    let palette = Palette::cmp_facades();

    // Data: decode everything once, in parallel; skip (and report) what cannot be read.
    let dataset = Dataset::open(&train.data)?;
    let (train_set, val_set) = dataset.split_last(train.holdout);
    if train_set.is_empty() {
        return Err(Error::bad_file(
            &train.data,
            format!(
                "has {} pairs and all are held out (--holdout {}); lower --holdout",
                dataset.len(),
                train.holdout
            ),
        ));
    }
    let augment = AugmentConfig::for_size(size);
    let progress = |done, total| {
        let _ = events.send(TrainEvent::Loading { done, total });
    };
    let (pairs, bad) = preload(
        &train_set,
        &palette,
        augment.load_size,
        train.loader_threads,
        &progress,
    );
    for b in &bad {
        send(TrainEvent::Warning(format!("skipped: {}", b.error)));
    }
    if pairs.is_empty() {
        return Err(Error::bad_file(
            &train.data,
            format!(
                "none of its {} pairs could be read (first problem: {}). Check the dataset or download it again.",
                train_set.len(),
                bad.first().map(|b| b.error.to_string()).unwrap_or_default()
            ),
        ));
    }
    let sample_source = if val_set.is_empty() {
        &train_set
    } else {
        &val_set
    };
    let (first, _) = sample_source.split_last(sample_source.len().saturating_sub(train.samples));
    let (samples, _) = preload(&first, &palette, size, 1, &|_, _| {});
    // Checkpoints measure the held-out pairs; label consistency when the segmenter is there.
    let held = match val_set.is_empty() {
        true => Vec::new(),
        false => {
            let (kept, _) = val_set.split_last(val_set.len().saturating_sub(EVAL_PAIRS));
            preload(&kept, &palette, size, 1, &|_, _| {}).0
        }
    };
    let segment_path = default_segmenter_path();
    let segmenter = match segment_path.is_file() && !held.is_empty() {
        true => match Segmenter::load(&segment_path, backend::cpu_device()) {
            Ok(s) => Some(s),
            Err(e) => {
                send(TrainEvent::Warning(format!(
                    "no label consistency at checkpoints: {e}"
                )));
                None
            }
        },
        false => None,
    };

    let schedule = Schedule {
        pairs: pairs.len(),
        batch: train.batch,
        seed: train.seed,
    };
    let spe = schedule.steps_per_epoch();
    let mut total = train.epochs * spe;
    if let Some(max) = train.max_steps {
        total = total.min(max);
    }
    save_run_config(&job.run_dir, &model, &train)?;
    send(TrainEvent::Started {
        start_step,
        total_steps: total,
        steps_per_epoch: spe,
        train_pairs: pairs.len(),
        skipped: bad.len(),
        backend: selected.description.clone(),
    });

    let mut meta = Meta {
        kind: "checkpoint".into(),
        name: job
            .run_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into()),
        step: start_step,
        model: model.clone(),
        train: Some(train.clone()),
        seconds: base_seconds,
    };
    let keep_checkpoints = train.keep_checkpoints.max(1);
    let checkpoint_now = |trainer: &GanTrainer, meta: &Meta| -> Result<PathBuf> {
        let path = checkpoint::checkpoint_path(&job.run_dir, meta.step);
        let state = TrainState {
            meta: meta.clone(),
            generator: trainer.generator.clone(),
            discriminator: trainer.discriminator.clone(),
            generator_ema: trainer.ema.as_ref().map(|e| e.generator.clone()),
            opt_g: trainer.opt_g.clone(),
            opt_d: trainer.opt_d.clone(),
            fresh_optimizer: false,
        };
        checkpoint::save_checkpoint(&path, &state)?;
        for (_, old) in checkpoint::list_checkpoints(&job.run_dir)
            .into_iter()
            .skip(keep_checkpoints)
        {
            let _ = std::fs::remove_file(old);
        }
        Ok(path)
    };

    if start_step >= total {
        let path = checkpoint::list_checkpoints(&job.run_dir)
            .first()
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| checkpoint::checkpoint_path(&job.run_dir, start_step));
        send(TrainEvent::Finished {
            step: start_step,
            checkpoint: path,
        });
        return Ok(());
    }

    let pairs = Arc::new(pairs);
    let mut prefetch = Prefetcher::start(
        pairs.clone(),
        palette.clone(),
        augment,
        schedule,
        start_step,
        4,
    );
    let mut log = LossLog::open(&job.run_dir, start_step)?;
    trim_figures(&job.run_dir, start_step)?;
    let started = Instant::now();
    let mut epoch_l1 = (0.0f64, 0u64);
    let mut device = selected;
    let mut faults = job.faults.clone();
    // Times the run went back to its last good state since it last wrote a checkpoint.
    let mut restores = 0usize;
    let mut step = start_step;
    while step < total {
        // Commands between steps: pausing waits here; stopping checkpoints what is done.
        let mut stop = false;
        match commands.try_recv() {
            Ok(TrainCommand::Pause) => {
                send(TrainEvent::Paused { step });
                loop {
                    match commands.recv() {
                        Ok(TrainCommand::Resume) => {
                            send(TrainEvent::Resumed { step });
                            break;
                        }
                        Ok(TrainCommand::Stop) | Err(_) => {
                            stop = true;
                            break;
                        }
                        Ok(TrainCommand::Pause) => {}
                    }
                }
            }
            Ok(TrainCommand::Stop) | Err(TryRecvError::Disconnected) => stop = true,
            Ok(TrainCommand::Resume) | Err(TryRecvError::Empty) => {}
        }
        if stop {
            meta.seconds = base_seconds + started.elapsed().as_secs_f64();
            let path = if meta.step > start_step
                || checkpoint::list_checkpoints(&job.run_dir).is_empty()
            {
                Some(checkpoint_now(&trainer, &meta)?)
            } else {
                checkpoint::list_checkpoints(&job.run_dir)
                    .first()
                    .map(|(_, p)| p.clone())
            };
            send(TrainEvent::Stopped {
                step,
                checkpoint: path,
            });
            return Ok(());
        }

        if let Some(flag) = &job.yield_to {
            let waited = Instant::now();
            while flag.load(Ordering::Acquire) && waited.elapsed().as_secs() < 5 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        let mut batch: Batch = prefetch
            .next()
            .ok_or_else(|| Error::msg("the data loader stopped unexpectedly"))?;
        let epoch = schedule.epoch_of(step);
        let lr = train.lr_at(epoch);
        if fire(&mut faults.nan_at, step) {
            batch.input[0] = f32::NAN;
        }
        let gpu_fault =
            device.backend == backend::BackendKind::Wgpu && fire(&mut faults.gpu_failure_at, step);
        // A GPU that runs out of memory or goes away makes Burn panic inside the step.
        let outcome = backend::guarded(|| {
            if gpu_fault {
                panic!("injected fault: can't allocate buffer of size: 268435456");
            }
            trainer.step(&batch, step, lr)
        });
        let failure = match &outcome {
            Ok(l) if l.is_finite() && trainer.weights_finite() => None,
            Ok(l) => Some((
                format!(
                    "a loss or a weight is not finite (G_GAN {}, G_L1 {}, G_feat {}, D_real {}, D_fake {})",
                    l.g_gan, l.g_l1, l.g_feat, l.d_real, l.d_fake
                ),
                false,
            )),
            Err(e) if device.backend == backend::BackendKind::Wgpu => {
                Some((format!("the GPU failed ({e})"), true))
            }
            Err(e) => {
                return Err(Error::msg(format!(
                    "step {step}: the trainer failed ({e}); the last checkpoint in the run folder is intact"
                )));
            }
        };
        // A failed step changes nothing that lasts: go back to the last good state (newest
        // checkpoint, or the starting weights), on the CPU after a GPU failure, at half the
        // learning rate after a divergence, and train on from there.
        if let Some((reason, gpu_failed)) = failure {
            restores += 1;
            if restores > MAX_RESTORES {
                let last = checkpoint::list_checkpoints(&job.run_dir)
                    .first()
                    .map(|(_, p)| p.display().to_string())
                    .unwrap_or_else(|| "none yet".into());
                return Err(Error::msg(format!(
                    "step {step}: {reason}, again after going back to the last good state {MAX_RESTORES} times; training stopped. The last good checkpoint ({last}) is kept: resume from it with a lower --lr."
                )));
            }
            if gpu_failed {
                device = backend::cpu_device();
            } else {
                train.lr *= 0.5;
            }
            let (restored, at, source) =
                last_good_state(job, &model, &train, &device.device, events)?;
            trainer = restored;
            meta.step = at;
            meta.train = Some(train.clone());
            prefetch = Prefetcher::start(pairs.clone(), palette.clone(), augment, schedule, at, 4);
            drop(log);
            log = LossLog::open(&job.run_dir, at)?;
            trim_figures(&job.run_dir, at)?;
            epoch_l1 = (0.0, 0);
            send(TrainEvent::Restored(Restore {
                failed_step: step,
                step: at,
                from: source,
                lr: train.lr,
                backend: device.description.clone(),
                reason,
            }));
            step = at;
            continue;
        }
        let Ok(losses) = outcome else {
            unreachable!("failures are handled above")
        };
        let done = step + 1;
        meta.step = done;
        meta.seconds = base_seconds + started.elapsed().as_secs_f64();
        let row = StepLosses {
            step,
            epoch,
            g_gan: losses.g_gan,
            g_l1: losses.g_l1,
            g_feat: losses.g_feat,
            d_real: losses.d_real,
            d_fake: losses.d_fake,
            lr,
            seconds: meta.seconds,
        };
        log.append(&row)?;
        send(TrainEvent::Losses(row));
        epoch_l1.0 += losses.g_l1 as f64;
        epoch_l1.1 += 1;

        if done % train.sample_every == 0 || done == total {
            // A sample is a view, not state: if it cannot be rendered (a GPU failing between
            // steps), say so and train on; a failing GPU shows up in the next step, which recovers.
            let rendered = backend::guarded(|| sample_grid(&trainer, &samples, &palette))
                .and_then(|r| r.map_err(|e| e.to_string()));
            match rendered {
                Ok(grid) => {
                    let path = job
                        .run_dir
                        .join("samples")
                        .join(format!("step-{done:08}.png"));
                    if let Err(e) = save_png(&grid, &path) {
                        send(TrainEvent::Warning(e.to_string()));
                    }
                    send(TrainEvent::Sample {
                        step: done,
                        image: grid,
                    });
                }
                Err(e) => send(TrainEvent::Warning(format!(
                    "the sample at step {done} could not be rendered: {e}"
                ))),
            }
        }
        if done % spe == 0 {
            send(TrainEvent::Epoch {
                epoch,
                mean_l1: (epoch_l1.0 / epoch_l1.1.max(1) as f64) as f32,
                seconds: meta.seconds,
            });
            epoch_l1 = (0.0, 0);
        }
        if done % train.checkpoint_every == 0 || done == total {
            let path = checkpoint_now(&trainer, &meta)?;
            send(TrainEvent::Checkpoint { step: done, path });
            restores = 0;
            if !held.is_empty() {
                let measured = backend::guarded(|| {
                    held_out_figures(&trainer, &held, segmenter.as_ref(), &palette)
                })
                .and_then(|r| r.map_err(|e| e.to_string()))
                .and_then(|f| {
                    log_figures(&job.run_dir, done, &f).map_err(|e| e.to_string())?;
                    Ok(f)
                });
                match measured {
                    Ok(figures) => send(TrainEvent::Evaluated {
                        step: done,
                        figures: Box::new(figures),
                    }),
                    Err(e) => send(TrainEvent::Warning(format!(
                        "the held-out pairs could not be measured at step {done}: {e}"
                    ))),
                }
            }
        }
        step = done;
    }
    let final_checkpoint = checkpoint::checkpoint_path(&job.run_dir, total);
    checkpoint::save_model(
        &job.run_dir.join(format!("model.{}", checkpoint::EXTENSION)),
        &meta,
        &trainer.render_generator(),
    )?;
    send(TrainEvent::Finished {
        step: total,
        checkpoint: final_checkpoint,
    });
    Ok(())
}
