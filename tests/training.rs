//! Training: the loss falls on a fixed pair; checkpoints round-trip bit-exactly; a run resumes
//! where it stopped; the run folder has its loss log and samples.

mod common;

use facade_studio::backend::BackendChoice;
use facade_studio::checkpoint;
use facade_studio::data::Batch;
use facade_studio::data::augment::resize_pair;
use facade_studio::data::dataset::{Dataset, load_pair};
use facade_studio::events::TrainEvent;
use facade_studio::palette::Palette;
use facade_studio::render::Renderer;
use facade_studio::train::gan::Objective;
use facade_studio::train::{
    GanLoss, GanTrainer, RunDir, Start, TrainConfig, TrainJob, loss_log, spawn,
};

use burn::prelude::*;

fn fixed_batch(size: u32) -> Batch {
    let dir = tempfile::tempdir().unwrap();
    common::make_dataset(dir.path(), 1, size);
    let palette = Palette::cmp_facades();
    let ds = Dataset::open(dir.path()).unwrap();
    let pair = resize_pair(&load_pair(&ds.pairs[0], &palette).unwrap(), size);
    let mut batch = Batch::styled(size as usize);
    let style = facade_studio::style::Style::of_photo(&pair.photo, &pair.labels);
    batch.push_styled(&pair, (0, 0, false), &palette, &style);
    batch
}

#[test]
fn l1_falls_by_half_on_one_fixed_pair() {
    let size = 32;
    let batch = fixed_batch(size);
    let mut trainer = GanTrainer::new(
        common::tiny_model(size as usize),
        &Device::flex(),
        1,
        Objective::from(&TrainConfig::default()),
    );
    let mut l1 = Vec::new();
    let mut d_total = Vec::new();
    for step in 0..300 {
        let losses = trainer.step(&batch, step, 2e-4);
        assert!(losses.is_finite(), "step {step}: {losses:?}");
        l1.push(losses.g_l1);
        d_total.push(losses.d_real + losses.d_fake);
    }
    let first: f32 = l1[..10].iter().sum::<f32>() / 10.0;
    let last: f32 = l1[l1.len() - 10..].iter().sum::<f32>() / 10.0;
    assert!(last < first / 2.0, "L1 went from {first} to {last}");
    // D is learning too: its loss moves away from the start (2·ln 2 for a coin-flip D).
    let d_first: f32 = d_total[..5].iter().sum::<f32>() / 5.0;
    let d_later: f32 = d_total[50..60].iter().sum::<f32>() / 10.0;
    assert!(
        (d_later - d_first).abs() > 0.05,
        "D loss stuck at {d_first} → {d_later}"
    );
}

fn job(data: &std::path::Path, run: &std::path::Path, max_steps: u64, resume: bool) -> TrainJob {
    job_with(data, run, max_steps, resume, TrainConfig::default())
}

/// The second-step recipe's parts all on: hinge loss, a 4× faster D with β1 0, DiffAugment,
/// focal frequency loss, L1 ×10 and a label modulation in the decoder.
fn second_step(config: TrainConfig) -> TrainConfig {
    TrainConfig {
        model: config.model.with_modulation(8),
        gan_loss: GanLoss::Hinge,
        d_lr_scale: 4.0,
        beta1: 0.0,
        diff_augment: true,
        ffl_weight: 10.0,
        l1_weight: 10.0,
        ..config
    }
}

fn job_with(
    data: &std::path::Path,
    run: &std::path::Path,
    max_steps: u64,
    resume: bool,
    base: TrainConfig,
) -> TrainJob {
    // A tiny model with the recipe's modulation and discriminator.
    let model = common::tiny_model(32)
        .with_modulation(base.model.modulation)
        .with_d_classes(base.model.d_classes);
    let train = TrainConfig {
        model,
        data: data.to_path_buf(),
        holdout: 1,
        checkpoint_every: 3,
        sample_every: 2,
        samples: 1,
        max_steps: Some(max_steps),
        seed: 9,
        ..base
    };
    TrainJob {
        start: if resume { Start::Resume } else { Start::Fresh },
        ..TrainJob::new(run, train, BackendChoice::Cpu)
    }
}

fn run_to_end(job: TrainJob) -> Vec<TrainEvent> {
    let events = run_to_end_allow_fail(job);
    if let Some(TrainEvent::Failed(e)) = events.last() {
        panic!("training failed: {e}");
    }
    events
}

#[test]
fn a_run_checkpoints_and_resumes_with_the_same_step_count() {
    let data = tempfile::tempdir().unwrap();
    common::make_dataset(data.path(), 4, 32);
    let run = tempfile::tempdir().unwrap();
    let events = run_to_end(job(data.path(), run.path(), 7, false));
    assert!(matches!(
        events.last(),
        Some(TrainEvent::Finished { step: 7, .. })
    ));
    assert!(events.iter().any(|e| matches!(
        e,
        TrainEvent::Started {
            train_pairs: 3,
            start_step: 0,
            ..
        }
    )));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::Sample { .. }))
    );
    let steps: Vec<u64> = RunDir::new(run.path())
        .checkpoints()
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(steps, [7, 6, 3]);
    assert!(run.path().join("samples/step-00000002.png").is_file());
    assert!(run.path().join("config.json").is_file());
    assert!(run.path().join("model.fsw").is_file());

    // Starting again in the same folder without --resume is refused.
    let again = run_to_end_allow_fail(job(data.path(), run.path(), 7, false));
    assert!(matches!(again.last(), Some(TrainEvent::Failed(e)) if e.contains("--resume")));

    // Resume to 10 steps: starts at 7, the log has each step once.
    let events = run_to_end(job(data.path(), run.path(), 10, true));
    assert!(
        events.iter().any(|e| matches!(
            e,
            TrainEvent::Started {
                start_step: 7,
                total_steps: 10,
                ..
            }
        )),
        "{events:?}"
    );
    let rows = loss_log::read(&RunDir::new(run.path()).losses()).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.step).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
}

fn run_to_end_allow_fail(job: TrainJob) -> Vec<TrainEvent> {
    let handle = spawn(job);
    let events: Vec<TrainEvent> = handle.events.iter().collect();
    handle.join();
    events
}

#[test]
fn resuming_reproduces_the_uninterrupted_losses() {
    resumes_exactly(TrainConfig::default());
}

#[test]
fn the_second_step_recipe_resumes_exactly_too() {
    // Its augmentation draws, modulation weights and D's rate survive a resume (with the
    // spectral envelope loss on as well, the lattice and the coarse scales left out of its rings,
    // and its weight rising through a decay that begins at step 3, where the resume starts).
    let rows = resumes_exactly(TrainConfig {
        epochs: 4,
        decay_epochs: 3,
        spectral_weight: 1.0,
        spectral_weight_end: Some(2.0),
        spectral_skip_lattice: true,
        spectral_from: 0.2,
        ..second_step(TrainConfig::default())
    });
    assert!(
        rows.iter().all(|r| r.g_freq > 0.0 && r.g_spec > 0.0),
        "focal frequency and spectral envelope logged"
    );
}

fn resumes_exactly(base: TrainConfig) -> Vec<facade_studio::events::StepLosses> {
    let data = tempfile::tempdir().unwrap();
    common::make_dataset(data.path(), 4, 32);
    let job = |run: &std::path::Path, steps: u64, resume: bool| {
        job_with(data.path(), run, steps, resume, base.clone())
    };
    let straight = tempfile::tempdir().unwrap();
    run_to_end(job(straight.path(), 8, false));
    let split = tempfile::tempdir().unwrap();
    run_to_end(job(split.path(), 5, false));
    // Drop the final checkpoint at 5 so the resume starts from step 3 and re-trains 3, 4.
    std::fs::remove_file(RunDir::new(split.path()).checkpoint(5)).unwrap();
    run_to_end(job(split.path(), 8, true));
    let a = loss_log::read(&RunDir::new(straight.path()).losses()).unwrap();
    let b = loss_log::read(&RunDir::new(split.path()).losses()).unwrap();
    assert_eq!(a.len(), 8);
    assert_eq!(b.len(), 8);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.step, y.step);
        assert_eq!(
            (
                x.g_gan, x.g_l1, x.g_feat, x.d_real, x.d_fake, x.g_freq, x.g_spec
            ),
            (
                y.g_gan, y.g_l1, y.g_feat, y.d_real, y.d_fake, y.g_freq, y.g_spec
            ),
            "step {}",
            x.step
        );
    }
    a
}

#[test]
fn the_second_step_recipe_learns_and_augments_what_d_sees() {
    let size = 32;
    let batch = fixed_batch(size);
    let config = second_step(TrainConfig::default().with_model(common::tiny_model(size as usize)));
    let trainer = |config: &TrainConfig| {
        GanTrainer::new(
            config.model.clone(),
            &Device::flex(),
            1,
            Objective::from(config),
        )
    };
    // The same start, with and without DiffAugment: D judges other pictures at once.
    let plain = TrainConfig {
        diff_augment: false,
        ..config.clone()
    };
    let first = trainer(&config).step(&batch, 0, 1e-4);
    let first_plain = trainer(&plain).step(&batch, 0, 1e-4);
    assert_eq!(first.g_l1, first_plain.g_l1, "same generator");
    assert_ne!(first.d_real, first_plain.d_real, "augmented real pair");
    // Hinge losses of an untrained D sit near the margin (1 each), not at BCE's ln 2.
    assert!((0.5..1.5).contains(&first.d_real), "{first:?}");

    let mut t = trainer(&config);
    let mut rows = Vec::new();
    for step in 0..200 {
        let losses = t.step(&batch, step, 2e-4);
        assert!(losses.is_finite(), "step {step}: {losses:?}");
        rows.push(losses);
    }
    let mean = |f: fn(&facade_studio::train::gan::Losses) -> f32, r: std::ops::Range<usize>| {
        let n = r.len() as f32;
        rows[r].iter().map(f).sum::<f32>() / n
    };
    let (l1_first, l1_last) = (mean(|l| l.g_l1, 0..10), mean(|l| l.g_l1, 190..200));
    let (ffl_first, ffl_last) = (mean(|l| l.g_freq, 0..10), mean(|l| l.g_freq, 190..200));
    assert!(l1_last < 0.75 * l1_first, "L1 {l1_first} → {l1_last}");
    assert!(
        ffl_last < 0.75 * ffl_first,
        "focal frequency {ffl_first} → {ffl_last}"
    );
}

/// An OASIS discriminator (12 classes) with DiffAugment on, the rest as `config`.
fn oasis(config: TrainConfig) -> TrainConfig {
    TrainConfig {
        model: config.model.with_d_classes(12),
        diff_augment: true,
        beta1: 0.0,
        ..config
    }
}

#[test]
fn the_oasis_discriminator_resumes_exactly_too() {
    // Its LabelMix draws and DiffAugment of the one-hot labels survive a resume.
    let rows = resumes_exactly(oasis(TrainConfig::default()));
    assert!(rows.iter().all(|r| r.g_feat == 0.0), "no feature matching");
}

#[test]
fn the_oasis_discriminator_learns_the_layout_of_real_photos() {
    let size = 32;
    let batch = fixed_batch(size);
    let config = oasis(TrainConfig::default().with_model(common::tiny_model(size as usize)));
    let mut trainer = GanTrainer::new(
        config.model.clone(),
        &Device::flex(),
        1,
        Objective::from(&config),
    );
    let mut rows = Vec::new();
    for step in 0..150 {
        let losses = trainer.step(&batch, step, 2e-4);
        assert!(losses.is_finite(), "step {step}: {losses:?}");
        rows.push(losses);
    }
    // An untrained D spreads its belief over the 12 classes and "fake": about ln 13 per pixel.
    let uniform = 13f32.ln();
    assert!((rows[0].d_real - uniform).abs() < 0.3, "{:?}", rows[0]);
    let mean = |f: fn(&facade_studio::train::gan::Losses) -> f32, r: std::ops::Range<usize>| {
        let n = r.len() as f32;
        rows[r].iter().map(f).sum::<f32>() / n
    };
    // It learns to read the photo's classes, and the generator learns the photo.
    let (real_first, real_last) = (mean(|l| l.d_real, 0..10), mean(|l| l.d_real, 140..150));
    let (l1_first, l1_last) = (mean(|l| l.g_l1, 0..10), mean(|l| l.g_l1, 140..150));
    assert!(
        real_last < 0.7 * real_first,
        "D on real {real_first} → {real_last}"
    );
    assert!(l1_last < 0.75 * l1_first, "L1 {l1_first} → {l1_last}");
}

#[test]
fn the_oasis_discriminator_starts_from_the_shipped_segmenter_when_it_fits() {
    use facade_studio::model::ModelConfig;
    use facade_studio::train::start::oasis_from_segmenter;
    let device = Device::flex();
    let fits = ModelConfig::new().with_ndf(16).with_d_classes(12);
    let d = oasis_from_segmenter(&fits, &device).expect("the shipped segmenter fits ndf 16");
    assert!(oasis_from_segmenter(&fits.clone().with_ndf(32), &device).is_none());
    assert!(oasis_from_segmenter(&ModelConfig::new().with_ndf(16), &device).is_none());
    // It reads a photo as the segmenter does, with "fake" at zero.
    let seg = facade_studio::segment::Segmenter::load(
        &facade_studio::models::default_segmenter_path(),
        facade_studio::backend::cpu_device(),
    )
    .unwrap();
    let photo = image::RgbImage::from_fn(256, 256, |x, y| {
        image::Rgb([(x % 200) as u8, (y % 150) as u8, ((x * y) % 97) as u8])
    });
    let input = facade_studio::segment::photo_tensor(&photo, &device);
    let logits = d.segment(input.clone()).unwrap();
    assert_eq!(logits.dims(), [1, 13, 256, 256]);
    let theirs = seg
        .generator
        .forward_logits(input, &mut facade_studio::model::DropoutMasks::off());
    let diff: f32 = (logits.clone().narrow(1, 0, 12) - theirs)
        .abs()
        .max()
        .into_scalar();
    assert!(diff < 1e-4, "{diff}");
    let fake: f32 = logits.narrow(1, 12, 1).abs().max().into_scalar();
    assert_eq!(fake, 0.0);

    // A run starts its discriminator there unless told not to.
    let config = TrainConfig {
        model: ModelConfig::new()
            .with_width(8)
            .with_ndf(16)
            .with_d_classes(12),
        ..TrainConfig::default()
    };
    let start = |config: &TrainConfig| {
        let trainer = facade_studio::train::start::starting_trainer(config, None, &device).unwrap();
        let input = facade_studio::segment::photo_tensor(&photo, &trainer.device);
        let logits = trainer
            .discriminator
            .segment(input)
            .unwrap()
            .narrow(1, 0, 12);
        let logits = Tensor::<4>::from_data(logits.into_data(), &device);
        (logits
            - d.segment(facade_studio::segment::photo_tensor(&photo, &device))
                .unwrap()
                .narrow(1, 0, 12))
        .abs()
        .max()
        .into_scalar::<f32>()
    };
    assert!(start(&config) < 1e-4, "from the segmenter");
    let fresh = TrainConfig {
        oasis_from_segmenter: false,
        ..config.clone()
    };
    assert!(start(&fresh) > 0.1, "from fresh weights");
}

#[test]
fn a_saved_checkpoint_renders_bit_identically() {
    let data = tempfile::tempdir().unwrap();
    common::make_dataset(data.path(), 3, 32);
    let run = tempfile::tempdir().unwrap();
    run_to_end(job(data.path(), run.path(), 3, false));
    let map = facade_studio::bench::synthetic_layout(32, 4);
    let cpu = || facade_studio::backend::cpu_device();
    let from_ckpt = Renderer::load(run.path(), cpu()).unwrap();
    let from_model = Renderer::load(&run.path().join("model.fsw"), cpu()).unwrap();
    let a = from_ckpt
        .render(&map, &facade_studio::style::Style::none(), None)
        .unwrap();
    let b = from_model
        .render(&map, &facade_studio::style::Style::none(), None)
        .unwrap();
    assert_eq!(a, b, "checkpoint and exported model render the same pixels");
    // Re-save the loaded generator and load again: still identical.
    let resaved = run.path().join("resaved.fsw");
    checkpoint::save_model(&resaved, &from_model.meta, &from_model.generator).unwrap();
    let c = Renderer::load(&resaved, cpu())
        .unwrap()
        .render(&map, &facade_studio::style::Style::none(), None)
        .unwrap();
    assert_eq!(a, c);
    assert_eq!(a.dimensions(), (32, 32));
    let varied = from_model
        .render(&map, &facade_studio::style::Style::none(), Some(5))
        .unwrap();
    assert_eq!(
        varied,
        from_model
            .render(&map, &facade_studio::style::Style::none(), Some(5))
            .unwrap()
    );
}

#[test]
fn damaged_weights_files_are_refused_with_the_file_name() {
    let data = tempfile::tempdir().unwrap();
    common::make_dataset(data.path(), 3, 32);
    let run = tempfile::tempdir().unwrap();
    run_to_end(job(data.path(), run.path(), 4, false));
    let model = run.path().join("model.fsw");
    let bytes = std::fs::read(&model).unwrap();
    let torn = run.path().join("torn.fsw");
    std::fs::write(&torn, &bytes[..bytes.len() / 2]).unwrap();
    let err = Renderer::load(&torn, facade_studio::backend::cpu_device())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("torn.fsw") && err.contains("checksum"),
        "{err}"
    );
    let flipped = run.path().join("flipped.fsw");
    let mut b2 = bytes.clone();
    let mid = b2.len() / 2;
    b2[mid] ^= 0x40;
    std::fs::write(&flipped, &b2).unwrap();
    assert!(Renderer::load(&flipped, facade_studio::backend::cpu_device()).is_err());
    let junk = run.path().join("junk.fsw");
    std::fs::write(&junk, b"hello").unwrap();
    let err = Renderer::load(&junk, facade_studio::backend::cpu_device())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("junk.fsw") && err.contains("not a Facade Studio weights file"),
        "{err}"
    );
    // A torn newest checkpoint: resume falls back to the previous one with a warning.
    let newest = RunDir::new(run.path()).checkpoints()[0].1.clone();
    let nb = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &nb[..nb.len() - 10]).unwrap();
    let events = run_to_end_allow_fail(job(data.path(), run.path(), 5, true));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::Warning(w) if w.contains("checksum"))),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::Started { start_step: 3, .. })),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(TrainEvent::Finished { step: 5, .. })),
        "{events:?}"
    );
}

/// With `checkpoint_judges`, each checkpoint's held-out figures carry the learned judges'
/// verdicts (colour, then luminance) in the event and in `evals.jsonl`; with a single held-out
/// pair there is nothing to judge against, which is said once a checkpoint while the other
/// figures are still measured.
#[test]
fn checkpoints_can_carry_the_learned_judges_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 4, 32);
    let judged = |holdout: usize, name: &str| {
        let run = tmp.path().join(name);
        let base = TrainConfig {
            checkpoint_judges: true,
            ..TrainConfig::default()
        };
        let job = job_with(&data, &run, 3, false, base);
        let job = TrainJob {
            config: TrainConfig {
                holdout,
                ..job.config
            },
            ..job
        };
        (run_to_end(job), run)
    };

    let (events, run) = judged(2, "two");
    let figures = events.iter().find_map(|e| match e {
        TrainEvent::Evaluated { step: 3, figures } => Some(figures.clone()),
        _ => None,
    });
    let figures = figures.expect("the checkpoint at step 3 measured the held-out pairs");
    let looks: Vec<&str> = figures.judge.iter().map(|v| v.config.looks_at()).collect();
    assert_eq!(looks, ["colour", "luminance"]);
    for v in &figures.judge {
        assert!((0.0..=1.0).contains(&v.accuracy), "{v:?}");
        assert_eq!(v.accuracies.len(), 2, "one accuracy per held-out pair");
    }
    let logged = std::fs::read_to_string(RunDir::new(&run).evals()).unwrap();
    let line: serde_json::Value = serde_json::from_str(logged.lines().last().unwrap()).unwrap();
    assert_eq!(line["judge"].as_array().map(|j| j.len()), Some(2), "{line}");

    let (events, _) = judged(1, "one");
    let warned = events.iter().any(|e| {
        matches!(e, TrainEvent::Warning(w) if w.starts_with("no learned judges at step 3: ") && w.contains("at least 2 pairs"))
    });
    assert!(warned, "{events:?}");
    let figures = events.iter().find_map(|e| match e {
        TrainEvent::Evaluated { step: 3, figures } => Some(figures.clone()),
        _ => None,
    });
    assert!(figures.is_some_and(|f| f.judge.is_empty() && f.pairs == 1));
}
