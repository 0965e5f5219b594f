//! `train`: options laid over a preset, the run, and its progress on the terminal.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use indicatif::ProgressBar;

use facade_studio::backend::{BackendChoice, Precision};
use facade_studio::eval;
use facade_studio::events::TrainEvent;
use facade_studio::model::{NormKind, Upsample};
use facade_studio::train::history::RunHistory;
use facade_studio::train::{self, GanLoss, Recipe, Start, TrainConfig, TrainJob};

use super::{bar, say};

/// Options left out take the preset's value (`TrainConfig` and `ModelConfig` hold the defaults).
#[derive(Args)]
pub(crate) struct TrainArgs {
    /// Dataset folder (pix2pix layout N.jpg, or CMP base cmp_bNNNN.jpg + .png).
    #[arg(long)]
    data: PathBuf,
    /// Run folder: config, checkpoints, samples, losses.csv.
    #[arg(long)]
    out: PathBuf,
    /// Where unset options come from: `default` (nearest + 3×3 upsampling, two discriminators,
    /// feature matching, weight average), `paper` (pix2pix exactly as published) or
    /// `second-step` (default + label modulation, hinge loss, D at 4× the rate with β1 0,
    /// DiffAugment, focal frequency loss, L1 ×10, lr 1e-4) or `oasis` (the second step with an
    /// OASIS discriminator of width 16 instead of PatchGANs, no modulation, DiffAugment without
    /// colour jitter).
    #[arg(long, value_enum, default_value_t = Recipe::Default)]
    preset: Recipe,
    /// Total epochs (with --resume, training continues until this many are done) [default: 200].
    #[arg(long)]
    epochs: Option<u64>,
    /// Epochs of linear learning-rate decay at the end (default: half of --epochs).
    #[arg(long)]
    decay_epochs: Option<u64>,
    /// Generator width [default: 64, the paper's model; with --resume: the run's own].
    #[arg(long)]
    ngf: Option<usize>,
    /// Discriminator width (default: same as --ngf).
    #[arg(long)]
    ndf: Option<usize>,
    /// Training resolution, a power of two [default: 256, as published; with --resume: the run's].
    #[arg(long)]
    size: Option<usize>,
    /// Images per step [default: 1].
    #[arg(long)]
    batch: Option<usize>,
    /// Learning rate (2e-4 as published); with --resume it replaces the run's own.
    #[arg(long)]
    lr: Option<f64>,
    /// Weight of the L1 term [default: 100].
    #[arg(long)]
    l1_weight: Option<f32>,
    /// Weight of the discriminator feature-matching loss (0 = off) [default: 10; paper: 0].
    #[arg(long)]
    lambda_feat: Option<f32>,
    /// Hidden features of the decoder's label modulation (SPADE/CLADE-like; 0 = none) [default: 0;
    /// with --resume: the run's]. A fine-tuned model gains it at zero.
    #[arg(long)]
    modulation: Option<usize>,
    /// Adversarial loss [default: bce, as published; hinge: SPADE's].
    #[arg(long, value_enum)]
    gan_loss: Option<GanLoss>,
    /// Discriminator learning rate as a multiple of --lr [default: 1; SPADE: 4].
    #[arg(long)]
    d_lr_scale: Option<f64>,
    /// Adam's β1 for both networks [default: 0.5, as published; SPADE: 0].
    #[arg(long)]
    beta1: Option<f32>,
    /// DiffAugment (colour, translation, cutout) on what the discriminator sees [default: off].
    #[arg(long, value_enum)]
    diff_augment: Option<OnOff>,
    /// With --diff-augment: also jitter the photo's colours (off: translation and cutout only)
    /// [default: on].
    #[arg(long, value_enum)]
    diff_augment_colour: Option<OnOff>,
    /// Weight of the focal frequency loss (0 = off) [default: 0].
    #[arg(long)]
    ffl_weight: Option<f32>,
    /// Weight of the spectral envelope loss: the render's power at each spatial frequency,
    /// ring by ring on a log scale, against its photo's (0 = off) [default: 0].
    #[arg(long)]
    spectral_weight: Option<f32>,
    /// With --spectral-weight: the weight at the end of the learning rate's decay, reached
    /// linearly as the rate falls (so the demand for texture grows through the decay)
    /// [default: constant].
    #[arg(long, value_name = "W")]
    spectral_weight_end: Option<f32>,
    /// With --spectral-weight: leave the grid's lattice frequencies out of the loss's rings, so
    /// that a lattice earns no credit for missing texture [default: off].
    #[arg(long, value_enum)]
    spectral_skip_lattice: Option<OnOff>,
    /// With --spectral-weight: compare only the frequencies at least F cycles/pixel from zero
    /// (0.5 is the finest), so the demand for texture falls on the finest scales [default: 0].
    #[arg(long, value_name = "F")]
    spectral_from: Option<f32>,
    /// Decay of the generator's weight average used for samples and exports (0 = off)
    /// [default: 0.999; paper: 0].
    #[arg(long)]
    ema_decay: Option<f64>,
    /// Decoder upsampling [default: nearest-conv; paper: transposed; with --resume: the run's].
    #[arg(long, value_enum)]
    upsample: Option<UpsampleArg>,
    /// Discriminators at full, half, … resolution [default: 2; paper: 1; with --resume: the run's].
    #[arg(long)]
    num_d: Option<usize>,
    /// The discriminator [default: patch (PatchGANs, --num-d of them); with --resume: the
    /// run's]. oasis: one U-Net of width --ndf that labels each pixel of a photo as one of the
    /// task's classes or "fake" (OASIS, with LabelMix; feature matching and --gan-loss do not
    /// apply). It starts from the shipped segmenter when that has its shape (--ndf 16).
    #[arg(long, value_enum)]
    discriminator: Option<DiscriminatorArg>,
    /// With --discriminator oasis: start it from the shipped segmenter when that has its shape
    /// (off: from fresh weights) [default: on].
    #[arg(long, value_enum)]
    oasis_from_segmenter: Option<OnOff>,
    /// Teach the generator to take a style (per-class colours of the target photo, dropped at
    /// random so it also renders without one) [default: on; paper: off; with --resume: the run's].
    #[arg(long, value_enum)]
    style: Option<OnOff>,
    /// What the input is (a file in palettes/tasks/): `labels` (CMP facade label maps), `sketch` (black
    /// lines on white, e.g. from `dataset derive --kind edges`) or `cityscapes` (Cityscapes label
    /// maps) [default: labels; with --resume: the run's].
    #[arg(long)]
    task: Option<String>,
    /// Share of the steps that show the generator no style (so it renders without one)
    /// [default: 0.25]; with --resume it replaces the run's own.
    #[arg(long)]
    style_none: Option<f64>,
    /// Hold out the last N pairs (not trained on; the sample renders come from them) [default: 0].
    #[arg(long)]
    holdout: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Checkpoint every N steps (and at the end) [default: 1000].
    #[arg(long)]
    checkpoint_every: Option<u64>,
    /// Render the fixed samples every N steps [default: 200].
    #[arg(long)]
    sample_every: Option<u64>,
    /// At each checkpoint, also train the learned judges on the held-out renders (`eval --judge
    /// both`; ~2.6 minutes a checkpoint for 40 pairs on a 2-core CPU) [default: off, also when
    /// resuming a run that had them].
    #[arg(long, value_enum)]
    checkpoint_judges: Option<OnOff>,
    /// Stop after N steps in total.
    #[arg(long)]
    max_steps: Option<u64>,
    /// Continue the run in --out from its newest good checkpoint.
    #[arg(long)]
    resume: bool,
    /// Start the generator from this model (fine-tuning). A transposed-convolution model
    /// fine-tuned with nearest-conv upsampling starts from its least-squares projection.
    #[arg(long)]
    init_from: Option<PathBuf>,
    /// Normalisation layers [default: instance; paper: batch; with --resume: the run's].
    #[arg(long, value_enum)]
    norm: Option<NormArg>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// The GPU's float type: f32, f16, or flex32 (f32 storage, reduced-precision arithmetic
    /// where the device allows). See docs/speed.md for what each measured.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    precision: Precision,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiscriminatorArg {
    Patch,
    Oasis,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum UpsampleArg {
    Transposed,
    NearestConv,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum NormArg {
    Batch,
    Instance,
    None,
}

/// The run's settings: the preset's (`TrainConfig` holds every default), with every option
/// given laid over them.
pub(crate) fn train_config(a: &TrainArgs) -> TrainConfig {
    let base = TrainConfig::recipe(a.preset, a.ngf.unwrap_or(64));
    let mut model = base.model.clone();
    model.ndf = a.ndf.unwrap_or(model.ndf);
    model.size = a.size.unwrap_or(model.size);
    model.num_d = a.num_d.unwrap_or(model.num_d);
    model.modulation = a.modulation.unwrap_or(model.modulation);
    if let Some(norm) = a.norm {
        model.norm = match norm {
            NormArg::Batch => NormKind::Batch,
            NormArg::Instance => NormKind::Instance,
            NormArg::None => NormKind::None,
        };
    }
    if let Some(up) = a.upsample {
        model.upsample = match up {
            UpsampleArg::Transposed => Upsample::Transposed,
            UpsampleArg::NearestConv => Upsample::NearestConv,
        };
    }
    if let Some(style) = a.style {
        model.style_channels = match style {
            OnOff::On => facade_studio::style::CHANNELS,
            OnOff::Off => 0,
        };
    }
    // Resuming keeps the run's task and plan unless options change them.
    let saved = match a.resume {
        true => TrainConfig::read(&train::RunDir::new(&a.out).config()).ok(),
        false => None,
    };
    let task = a
        .task
        .clone()
        .or(saved.as_ref().map(|c| c.task.clone()))
        .unwrap_or_else(facade_studio::task::labels);
    // Styles are class colours of facade labels; other tasks train without them unless asked.
    if a.style.is_none() && task != facade_studio::task::LABELS {
        model.style_channels = 0;
    }
    // An OASIS discriminator (asked for, or the preset's) tells the task's classes apart, or
    // the facade classes of derived pairs that keep their labels.
    let oasis = match a.discriminator {
        Some(d) => d == DiscriminatorArg::Oasis,
        None => model.d_classes > 0,
    };
    let oasis_layout = oasis && train::config::reads_layout(&task, &a.data);
    model.d_classes = match oasis {
        true => train::config::discriminator_classes(&task, oasis_layout),
        false => 0,
    };
    // Resuming without model options keeps the run's model (and says nothing about it).
    let no_model_options = a.ngf.is_none()
        && a.ndf.is_none()
        && a.size.is_none()
        && a.norm.is_none()
        && a.upsample.is_none()
        && a.num_d.is_none()
        && a.modulation.is_none()
        && a.discriminator.is_none()
        && a.style.is_none()
        && a.task.is_none();
    if a.resume && no_model_options {
        model = saved.as_ref().map_or(model, |c| c.model.clone());
    }
    let epochs = a
        .epochs
        .or(saved.as_ref().map(|c| c.epochs))
        .unwrap_or(base.epochs);
    // A resumed run keeps its decay unless its length changes.
    let decay_epochs = a.decay_epochs.or(saved
        .as_ref()
        .filter(|_| a.epochs.is_none())
        .map(|s| s.decay_epochs));
    let mut config = TrainConfig {
        model,
        task,
        data: a.data.clone(),
        holdout: a.holdout.unwrap_or(base.holdout),
        batch: a.batch.unwrap_or(base.batch),
        lr: a.lr.unwrap_or(base.lr),
        l1_weight: a.l1_weight.unwrap_or(base.l1_weight),
        lambda_feat: a.lambda_feat.unwrap_or(base.lambda_feat),
        ema_decay: a.ema_decay.unwrap_or(base.ema_decay),
        gan_loss: a.gan_loss.unwrap_or(base.gan_loss),
        d_lr_scale: a.d_lr_scale.unwrap_or(base.d_lr_scale),
        beta1: a.beta1.unwrap_or(base.beta1),
        diff_augment: a.diff_augment.map_or(base.diff_augment, |d| d == OnOff::On),
        diff_augment_colour: (a.diff_augment_colour)
            .map_or(base.diff_augment_colour, |d| d == OnOff::On),
        ffl_weight: a.ffl_weight.unwrap_or(base.ffl_weight),
        spectral_weight: a.spectral_weight.unwrap_or(base.spectral_weight),
        spectral_weight_end: a.spectral_weight_end.or(base.spectral_weight_end),
        spectral_skip_lattice: (a.spectral_skip_lattice)
            .map_or(base.spectral_skip_lattice, |s| s == OnOff::On),
        spectral_from: a.spectral_from.unwrap_or(base.spectral_from),
        oasis_from_segmenter: a
            .oasis_from_segmenter
            .map_or(base.oasis_from_segmenter, |o| o == OnOff::On),
        oasis_layout,
        style_none: a
            .style_none
            .or(saved.as_ref().map(|c| c.style_none))
            .unwrap_or(base.style_none),
        seed: a.seed.unwrap_or(base.seed),
        checkpoint_every: a.checkpoint_every.unwrap_or(base.checkpoint_every),
        sample_every: a.sample_every.unwrap_or(base.sample_every),
        checkpoint_judges: (a.checkpoint_judges).map_or(base.checkpoint_judges, |j| j == OnOff::On),
        max_steps: a.max_steps,
        ..base
    };
    config.set_length(epochs, decay_epochs);
    config
}

pub(crate) fn cmd_train(a: TrainArgs) -> Result<()> {
    let start = match (&a.init_from, a.resume) {
        (_, true) => Start::Resume,
        (Some(model), false) => Start::FineTune(model.clone()),
        (None, false) => Start::Fresh,
    };
    if a.resume {
        let run = RunHistory::read(&train::RunDir::new(&a.out));
        say(
            None,
            format!("resuming {}: {}", a.out.display(), run.summary()),
        );
        for problem in &run.problems {
            say(None, problem);
        }
        if let Some((step, f)) = run.figures.last() {
            say(
                None,
                format!("last held-out figures, {}", figures_line(*step, f)),
            );
        }
    }
    let config = train_config(&a);
    let folder = a.data.join(facade_studio::data::dataset::LAYOUT_FOLDER);
    if config.oasis_layout {
        let line = "the OASIS discriminator segments the photos into the facade classes of";
        say(None, format!("{line} {}", folder.display()));
    } else if config.model.d_classes > 0 && config.task != facade_studio::task::LABELS {
        say(
            None,
            format!(
                "note: the OASIS discriminator segments the photos into the {} task's own classes: {} does not hold every pair's facade labels (`dataset derive` from CMP facades pairs writes them)",
                config.task,
                folder.display()
            ),
        );
    }
    let handle = train::spawn(TrainJob {
        start,
        lr_override: a.lr.filter(|_| a.resume),
        precision: a.precision,
        ..TrainJob::new(&a.out, config, a.backend)
    });
    report_training(handle)
}

/// One line for the held-out figures at a checkpoint.
pub(crate) fn figures_line(step: u64, f: &eval::Figures) -> String {
    let r = &f.realism;
    let miou = f.consistency.as_ref().map_or(String::new(), |c| {
        format!(
            ", mIoU {:.3} (real {:.3})",
            c.renders.mean_iou, c.real.mean_iou
        )
    });
    let judges: Vec<String> = f.judge.iter().map(|v| v.short_text()).collect();
    let judges = match judges.is_empty() {
        true => String::new(),
        false => format!(", judges {}", judges.join(", ")),
    };
    format!(
        "step {step}: held-out L1 {:.4}, sharpness {:.2}, HF {:.2}, grid {:.2}, colour spread {:.2}, saturation {:.2}{miou}{judges}",
        f.l1, r.sharpness, r.hf_power, r.grid, r.colour_spread, r.saturation
    )
}

/// Shows a run's events as progress bars and lines; the run's outcome.
pub(crate) fn report_training(handle: train::TrainHandle) -> Result<()> {
    let loading = bar(0, "loading data {bar:30} {pos}/{len}");
    let mut steps: Option<ProgressBar> = None;
    let mut outcome = Ok(());
    for event in handle.events.iter() {
        match event {
            TrainEvent::Loading { done, total } => {
                loading.set_length(total as u64);
                loading.set_position(done as u64);
            }
            TrainEvent::Started {
                start_step,
                total_steps,
                steps_per_epoch,
                train_pairs,
                skipped,
                backend,
            } => {
                loading.finish_and_clear();
                eprintln!(
                    "training on {backend}: {train_pairs} pairs ({skipped} skipped), {steps_per_epoch} steps/epoch, steps {start_step}..{total_steps}"
                );
                let pb = bar(
                    total_steps,
                    "{elapsed_precise} [{bar:30}] {pos}/{len} steps ({per_sec}, ETA {eta}) {msg}",
                );
                pb.set_position(start_step);
                pb.reset_eta();
                steps = Some(pb);
            }
            TrainEvent::Losses(l) => {
                if let Some(pb) = &steps {
                    pb.set_position(l.step + 1);
                    pb.set_message(format!("ep {} {}", l.epoch, l.to_line()));
                }
            }
            TrainEvent::Epoch {
                epoch,
                mean_l1,
                seconds,
            } => {
                let line = format!("epoch {epoch}: mean G_L1 {mean_l1:.4} ({seconds:.0} s)");
                say(steps.as_ref(), line);
            }
            TrainEvent::Warning(w) => say(
                Some(steps.as_ref().unwrap_or(&loading)),
                format!("warning: {w}"),
            ),
            TrainEvent::Restored(r) => {
                say(steps.as_ref(), format!("warning: {r}"));
                if let Some(pb) = &steps {
                    pb.set_position(r.step);
                }
            }
            TrainEvent::Evaluated { step, figures } => {
                say(steps.as_ref(), figures_line(step, &figures))
            }
            TrainEvent::Checkpoint { .. } | TrainEvent::Sample { .. } => {}
            TrainEvent::Paused { .. } | TrainEvent::Resumed { .. } => {}
            TrainEvent::Finished { step, checkpoint } => {
                if let Some(pb) = &steps {
                    pb.finish();
                }
                eprintln!(
                    "finished at step {step}; checkpoint {}",
                    checkpoint.display()
                );
            }
            TrainEvent::Stopped { step, .. } => eprintln!("stopped at step {step}"),
            TrainEvent::Failed(e) => {
                if let Some(pb) = &steps {
                    pb.abandon();
                }
                loading.finish_and_clear();
                outcome = Err(anyhow::anyhow!(e));
            }
        }
    }
    handle.join();
    outcome
}
