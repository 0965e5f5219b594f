//! A training run on its own thread: the step loop as a small struct with named steps — start
//! (fresh, resumed or fine-tuned), poll the owner's commands, train a step, recover from a failed
//! step, and after a step log, sample and checkpoint — and events for whoever watches (the CLI's
//! progress bars or the app's training panel).

use crate::task::Task;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, TryRecvError, unbounded};

use super::TrainConfig;
use super::gan::{GanTrainer, Losses};
use super::loss_log::LossLog;
use super::measure;
use super::run_data::{Data, checkpoint_segmenter};
use super::start::{self, Start};
use super::state::{TrainState, save_checkpoint, settings_json};
use crate::backend::{self, BackendChoice, BackendKind, Precision, SelectedDevice};
use crate::checkpoint::{self, FileKind, Meta};
use crate::data::{Batch, Prefetcher};
use crate::error::{Error, Result};
use crate::events::{Restore, StepLosses, TrainCommand, TrainEvent};
use crate::image_io::save_png;
use crate::models::RunDir;
use crate::segment::Segmenter;

/// What to train, where, and how.
#[derive(Debug, Clone)]
pub struct TrainJob {
    pub run: RunDir,
    /// The run's settings, model included (a resumed run keeps its checkpoint's; see
    /// [`Start::Resume`]).
    pub config: TrainConfig,
    pub backend: BackendChoice,
    /// The GPU's float type (f32 unless `--precision` says otherwise; the CPU is f32 only).
    pub precision: Precision,
    pub start: Start,
    /// A learning rate that replaces the run's own when resuming (after a divergence).
    pub lr_override: Option<f64>,
    /// While this flag is set (the app's render worker is rendering), the trainer waits before
    /// its next step, so the live preview keeps the CPU.
    pub yield_to: Option<Arc<AtomicBool>>,
    /// Deliberate failures, for tests that prove recovery (empty in normal use).
    #[doc(hidden)]
    pub faults: Faults,
}

impl TrainJob {
    /// A fresh run of `config` on `backend` into `run`: nothing to yield to, no faults. Set the
    /// other fields with struct update syntax.
    pub fn new(run: impl Into<PathBuf>, config: TrainConfig, backend: BackendChoice) -> TrainJob {
        TrainJob {
            run: RunDir::new(run),
            config,
            backend,
            precision: Precision::F32,
            start: Start::Fresh,
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

impl Faults {
    /// True (once) when `step` is in `at`.
    fn fire(at: &mut Vec<u64>, step: u64) -> bool {
        let before = at.len();
        at.retain(|&s| s != step);
        at.len() != before
    }
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

    /// A handle whose trainer has already ended, having sent what `events` holds (tests of the
    /// owner's side).
    #[cfg(test)]
    pub(crate) fn ended(events: Receiver<TrainEvent>) -> TrainHandle {
        TrainHandle {
            events,
            commands: unbounded().0,
            thread: None,
        }
    }
}

/// Starts `job` on a new thread.
pub fn spawn(job: TrainJob) -> TrainHandle {
    let (etx, erx) = unbounded();
    let (ctx, crx) = unbounded();
    let failed = etx.clone();
    let thread = std::thread::Builder::new()
        .name("trainer".into())
        .spawn(move || {
            match backend::guarded(|| train_job(&job, &etx, &crx)) {
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
        .map_err(|e| {
            let _ = failed.send(TrainEvent::Failed(format!(
                "the trainer could not start ({e}); nothing was written"
            )));
        })
        .ok();
    TrainHandle {
        events: erx,
        commands: ctx,
        thread,
    }
}

/// Why a step failed.
enum Failure {
    /// A NaN or infinite loss or weight: go back, at half the learning rate.
    Diverged(String),
    /// The GPU failed (out of memory, a lost device): go back, on the CPU.
    Gpu(String),
    /// Anything else ends the run (the checkpoints on disk are intact).
    Fatal(String),
}

/// A run in progress: everything the loop's steps share.
struct Run<'a> {
    job: &'a TrainJob,
    events: &'a Sender<TrainEvent>,
    config: TrainConfig,
    device: SelectedDevice,
    trainer: GanTrainer,
    data: Data,
    segmenter: Option<Segmenter>,
    /// The held-out photos measured by the segmenter, once, at the first checkpoint.
    reals: std::cell::OnceCell<Vec<crate::eval::RealSide>>,
    meta: Meta,
    /// The next step to train, and the step the run ends at.
    step: u64,
    total: u64,
    start_step: u64,
    started: Instant,
    base_seconds: f64,
    prefetch: Prefetcher,
    log: LossLog,
    /// Mean G_L1 of the epoch so far (sum, count).
    epoch_l1: (f64, u64),
    faults: Faults,
    /// Times the run went back to its last good state since it last wrote a checkpoint.
    restores: usize,
}

/// What the owner asked for between steps.
#[derive(PartialEq)]
enum Flow {
    Train,
    Stop,
}

fn train_job(
    job: &TrainJob,
    events: &Sender<TrainEvent>,
    commands: &Receiver<TrainCommand>,
) -> Result<()> {
    let mut run = Run::start(job, events)?;
    while run.step < run.total {
        if run.poll(commands) == Flow::Stop {
            return run.stop();
        }
        run.wait_for_preview();
        match run.train_step() {
            Ok(losses) => run.after_step(losses)?,
            Err(failure) => run.recover(failure)?,
        }
    }
    run.finish()
}

impl<'a> Run<'a> {
    /// Device, models, data and logs; sends `Started`.
    fn start(job: &'a TrainJob, events: &'a Sender<TrainEvent>) -> Result<Run<'a>> {
        job.config.validate().map_err(Error::msg)?;
        let notice = &mut |m| {
            let _ = events.send(TrainEvent::Warning(m));
        };
        let mut device = backend::select(job.backend, notice)?;
        job.precision.configure(&mut device)?;
        let dir = job.run.path();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let begun = start::begin(
            &job.run,
            &job.start,
            &job.config,
            job.lr_override,
            &device.device,
            events,
        )?;
        let config = begun.config;
        let task = Task::resolve(&config.task)?;
        let data = Data::load(&config, &task, events)?;
        // Label consistency needs label maps: the labels task's held-out inputs, or the facade
        // labels kept beside derived pairs.
        let layouts = data.held.iter().all(|p| p.layout.is_some());
        let segmenter = match config.task == crate::task::LABELS || layouts {
            true => checkpoint_segmenter(&data.held, events),
            false => None,
        };
        let spe = data.schedule.steps_per_epoch();
        let total = config
            .max_steps
            .map_or(config.epochs * spe, |m| m.min(config.epochs * spe));
        config.write(&job.run.config())?;
        let _ = events.send(TrainEvent::Started {
            start_step: begun.step,
            total_steps: total,
            steps_per_epoch: spe,
            train_pairs: data.pairs.len(),
            skipped: data.skipped,
            backend: device.description.clone(),
        });
        let meta = Meta {
            kind: FileKind::Checkpoint,
            name: job.run.name(),
            step: begun.step,
            model: config.model.clone(),
            train: settings_json(&config),
            seconds: begun.seconds,
            styles: data.style_bank(&config.model),
            task: task.name,
            palette: task.palette_source,
        };
        let log = LossLog::open(&job.run.losses(), begun.step)?;
        measure::trim_figures(&job.run, begun.step)?;
        Ok(Run {
            job,
            events,
            prefetch: data.prefetch(begun.step, config.style_share()),
            config,
            device,
            trainer: begun.trainer,
            data,
            segmenter,
            reals: std::cell::OnceCell::new(),
            meta,
            step: begun.step,
            total,
            start_step: begun.step,
            started: Instant::now(),
            base_seconds: begun.seconds,
            log,
            epoch_l1: (0.0, 0),
            faults: job.faults.clone(),
            restores: 0,
        })
    }

    fn send(&self, event: TrainEvent) {
        let _ = self.events.send(event);
    }

    fn seconds(&self) -> f64 {
        self.base_seconds + self.started.elapsed().as_secs_f64()
    }

    /// Commands between steps: pausing waits here until resumed or stopped.
    fn poll(&mut self, commands: &Receiver<TrainCommand>) -> Flow {
        match commands.try_recv() {
            Ok(TrainCommand::Pause) => {
                self.send(TrainEvent::Paused { step: self.step });
                loop {
                    match commands.recv() {
                        Ok(TrainCommand::Resume) => {
                            self.send(TrainEvent::Resumed { step: self.step });
                            return Flow::Train;
                        }
                        Ok(TrainCommand::Stop) | Err(_) => return Flow::Stop,
                        Ok(TrainCommand::Pause) => {}
                    }
                }
            }
            Ok(TrainCommand::Stop) | Err(TryRecvError::Disconnected) => Flow::Stop,
            Ok(TrainCommand::Resume) | Err(TryRecvError::Empty) => Flow::Train,
        }
    }

    /// While the app's preview renders, wait (at most 5 s) so painting stays responsive.
    fn wait_for_preview(&self) {
        if let Some(flag) = &self.job.yield_to {
            let waited = Instant::now();
            while flag.load(Ordering::Acquire) && waited.elapsed().as_secs() < 5 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }

    /// One D + G step; a failure (a NaN or infinite loss or weight, a GPU that fails) changes
    /// nothing that lasts and is returned for [`Run::recover`].
    fn train_step(&mut self) -> std::result::Result<Losses, Failure> {
        let step = self.step;
        let mut batch: Batch = self
            .prefetch
            .next()
            .ok_or_else(|| Failure::Fatal("the data loader stopped unexpectedly".into()))?;
        let lr = self.config.lr_at(self.data.schedule.epoch_of(step));
        if Faults::fire(&mut self.faults.nan_at, step) {
            batch.input[0] = f32::NAN;
        }
        let on_gpu = self.device.backend == BackendKind::Wgpu;
        let gpu_fault = on_gpu && Faults::fire(&mut self.faults.gpu_failure_at, step);
        // A GPU that runs out of memory or goes away makes Burn panic inside the step.
        let trainer = &mut self.trainer;
        let outcome = backend::guarded(|| {
            if gpu_fault {
                panic!("injected fault: can't allocate buffer of size: 268435456");
            }
            trainer.step(&batch, step, lr)
        });
        match outcome {
            Ok(l) if l.is_finite() && self.trainer.weights_finite() => Ok(l),
            Ok(l) => Err(Failure::Diverged(format!(
                "a loss or a weight is not finite ({})",
                self.row(l, step).to_line()
            ))),
            Err(e) if on_gpu => Err(Failure::Gpu(format!("the GPU failed ({e})"))),
            Err(e) => Err(Failure::Fatal(e)),
        }
    }

    /// Goes back to the last good state (newest checkpoint, or the starting weights) — on the
    /// CPU after a GPU failure, at half the learning rate after a divergence — and trains on;
    /// gives up after [`MAX_RESTORES`] failures with no checkpoint in between.
    fn recover(&mut self, failure: Failure) -> Result<()> {
        let failed = self.step;
        let (reason, gpu) = match failure {
            Failure::Diverged(reason) => (reason, false),
            Failure::Gpu(reason) => (reason, true),
            Failure::Fatal(e) => {
                return Err(Error::msg(format!(
                    "step {failed}: the trainer failed ({e}); the last checkpoint in the run folder is intact"
                )));
            }
        };
        self.restores += 1;
        if self.restores > MAX_RESTORES {
            let last = self
                .job
                .run
                .newest_checkpoint()
                .map_or_else(|| "none yet".into(), |p| p.display().to_string());
            return Err(Error::msg(format!(
                "step {failed}: {reason}, again after going back to the last good state {MAX_RESTORES} times; training stopped. The last good checkpoint ({last}) is kept: resume from it with a lower --lr."
            )));
        }
        if gpu {
            self.device = backend::cpu_device();
        } else {
            self.config.lr *= 0.5;
        }
        let (trainer, at, from) = start::last_good_state(
            &self.job.run,
            &self.job.start,
            &self.config,
            &self.device.device,
            self.events,
        )?;
        self.trainer = trainer;
        self.meta.step = at;
        self.meta.train = settings_json(&self.config);
        self.prefetch = self.data.prefetch(at, self.config.style_share());
        self.log = LossLog::open(&self.job.run.losses(), at)?;
        measure::trim_figures(&self.job.run, at)?;
        self.epoch_l1 = (0.0, 0);
        self.send(TrainEvent::Restored(Restore {
            failed_step: failed,
            step: at,
            from,
            lr: self.config.lr,
            backend: self.device.description.clone(),
            reason,
        }));
        self.step = at;
        Ok(())
    }

    /// Step `step`'s losses as the log and the watchers get them.
    fn row(&self, losses: Losses, step: u64) -> StepLosses {
        let epoch = self.data.schedule.epoch_of(step);
        StepLosses {
            step,
            epoch,
            g_gan: losses.g_gan,
            g_l1: losses.g_l1,
            g_feat: losses.g_feat,
            d_real: losses.d_real,
            d_fake: losses.d_fake,
            lr: self.config.lr_at(epoch),
            seconds: self.meta.seconds,
            g_freq: losses.g_freq,
            g_spec: losses.g_spec,
        }
    }

    /// Log the losses; sample, close the epoch and checkpoint when it is time.
    fn after_step(&mut self, losses: Losses) -> Result<()> {
        let (step, done) = (self.step, self.step + 1);
        let epoch = self.data.schedule.epoch_of(step);
        self.meta.step = done;
        self.meta.seconds = self.seconds();
        let row = self.row(losses, step);
        self.log.append(&row)?;
        self.send(TrainEvent::Losses(row));
        self.epoch_l1 = (self.epoch_l1.0 + losses.g_l1 as f64, self.epoch_l1.1 + 1);
        if done % self.config.sample_every == 0 || done == self.total {
            self.sample(done);
        }
        if done % self.data.schedule.steps_per_epoch() == 0 {
            self.send(TrainEvent::Epoch {
                epoch,
                mean_l1: (self.epoch_l1.0 / self.epoch_l1.1.max(1) as f64) as f32,
                seconds: self.meta.seconds,
            });
            self.epoch_l1 = (0.0, 0);
        }
        if done % self.config.checkpoint_every == 0 || done == self.total {
            let path = self.checkpoint()?;
            self.send(TrainEvent::Checkpoint { step: done, path });
            self.restores = 0;
            self.measure(done);
        }
        self.step = done;
        Ok(())
    }

    /// A sample is a view, not state: if it cannot be rendered (a GPU failing between steps),
    /// say so and train on; a failing GPU shows up in the next step, which recovers.
    fn sample(&self, step: u64) {
        let rendered = backend::guarded(|| {
            measure::sample_grid(&self.trainer, &self.data.samples, &self.data.palette)
        })
        .and_then(|r| r.map_err(|e| e.to_string()));
        match rendered {
            Ok(grid) => {
                if let Err(e) = save_png(&grid, &self.job.run.sample(step)) {
                    self.send(TrainEvent::Warning(e.to_string()));
                }
                self.send(TrainEvent::Sample { step, image: grid });
            }
            Err(e) => self.send(TrainEvent::Warning(format!(
                "the sample at step {step} could not be rendered: {e}"
            ))),
        }
    }

    /// The held-out figures at a checkpoint (a view too: a failure is a warning).
    fn measure(&self, step: u64) {
        if self.data.held.is_empty() {
            return;
        }
        let measured = backend::guarded(|| {
            let segmenter = self.segmenter.as_ref();
            let reals = match self.reals.get() {
                Some(reals) => reals,
                None => {
                    let reals = measure::real_sides(&self.data.held, segmenter)?;
                    self.reals.get_or_init(|| reals)
                }
            };
            let renders =
                measure::held_out_renders(&self.trainer, &self.data.held, &self.data.palette)?;
            let mut figures =
                measure::held_out_figures(&renders, &self.data.held, reals, segmenter)?;
            if self.config.checkpoint_judges {
                figures.judge = self.judge(step, &renders);
            }
            Ok(figures)
        })
        .and_then(|r| r.map_err(|e: crate::error::Error| e.to_string()))
        .and_then(|f| {
            measure::log_figures(&self.job.run, step, &f).map_err(|e| e.to_string())?;
            Ok(f)
        });
        match measured {
            Ok(figures) => self.send(TrainEvent::Evaluated {
                step,
                figures: Box::new(figures),
            }),
            Err(e) => self.send(TrainEvent::Warning(format!(
                "the held-out pairs could not be measured at step {step}: {e}"
            ))),
        }
    }

    /// The learned judges' verdicts on a checkpoint's held-out renders, on the training device
    /// (none, with a warning, when they cannot be had: fewer than 2 held-out pairs, say).
    fn judge(&self, step: u64, renders: &[image::RgbImage]) -> Vec<crate::eval::judge::Verdict> {
        let device = burn::prelude::Device::clone(&self.trainer.device).inner();
        measure::held_out_judges(renders, &self.data.held, &device).unwrap_or_else(|e| {
            self.send(TrainEvent::Warning(format!(
                "no learned judges at step {step}: {e}"
            )));
            Vec::new()
        })
    }

    /// Writes the state at `self.meta.step` and keeps the newest `keep_checkpoints`.
    fn checkpoint(&self) -> Result<PathBuf> {
        let path = self.job.run.checkpoint(self.meta.step);
        save_checkpoint(&path, &TrainState::of(&self.trainer, self.meta.clone()))?;
        let keep = self.config.keep_checkpoints.max(1);
        for (_, old) in self.job.run.checkpoints().into_iter().skip(keep) {
            let _ = std::fs::remove_file(old);
        }
        Ok(path)
    }

    /// Stopped by the owner: checkpoint what was trained since the start (or the start itself
    /// when the folder has no checkpoint yet).
    fn stop(mut self) -> Result<()> {
        self.meta.seconds = self.seconds();
        let path = if self.meta.step > self.start_step || self.job.run.checkpoints().is_empty() {
            Some(self.checkpoint()?)
        } else {
            self.job.run.newest_checkpoint()
        };
        self.send(TrainEvent::Stopped {
            step: self.step,
            checkpoint: path,
        });
        Ok(())
    }

    /// The end: the rendering generator as `model.fsw` (unless the run was already complete).
    fn finish(self) -> Result<()> {
        if self.start_step >= self.total {
            let checkpoint = self
                .job
                .run
                .newest_checkpoint()
                .unwrap_or_else(|| self.job.run.checkpoint(self.start_step));
            self.send(TrainEvent::Finished {
                step: self.start_step,
                checkpoint,
            });
            return Ok(());
        }
        checkpoint::save_model(
            &self.job.run.model(),
            &self.meta,
            &self.trainer.render_generator(),
        )?;
        self.send(TrainEvent::Finished {
            step: self.total,
            checkpoint: self.job.run.checkpoint(self.total),
        });
        Ok(())
    }
}
