//! The GPU path's test helpers: the wgpu device (or a skip), pixel differences, and training
//! the same start on the CPU and on the GPU.

use facade_studio::backend::{self, BackendChoice};
use facade_studio::train::GanTrainer;

pub fn wgpu_or_skip() -> Option<backend::SelectedDevice> {
    let mut notes = Vec::new();
    let selected = backend::select(BackendChoice::Wgpu, &mut |m| notes.push(m)).unwrap();
    match selected.backend {
        backend::BackendKind::Wgpu => Some(selected),
        _ => {
            let e = notes.join("; ");
            assert!(
                !super::required("FACADE_REQUIRE_WGPU"),
                "FACADE_REQUIRE_WGPU is set but wgpu is unavailable: {e}"
            );
            eprintln!("SKIPPED: no wgpu adapter here ({e})");
            None
        }
    }
}

/// The largest and the mean absolute difference of two images' channel values (same size).
pub fn pixel_diff(a: &image::RgbImage, b: &image::RgbImage) -> (i32, f64) {
    assert_eq!(a.dimensions(), b.dimensions());
    assert_eq!(a.as_raw().len(), b.as_raw().len());
    let diffs: Vec<i32> = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as i32 - *y as i32).abs())
        .collect();
    let max = diffs.iter().max().copied().unwrap_or(0);
    (max, diffs.iter().sum::<i32>() as f64 / diffs.len() as f64)
}

/// One starting state (seed 3) saved as a checkpoint in `dir` and loaded as a trainer on the CPU
/// and on `gpu`; also the checkpoint's description.
pub fn same_start(
    config: &facade_studio::model::ModelConfig,
    objective: facade_studio::train::gan::Objective,
    gpu: &backend::SelectedDevice,
    dir: &std::path::Path,
) -> (GanTrainer, GanTrainer, facade_studio::checkpoint::Meta) {
    use burn::module::Module;
    use facade_studio::train::gan::adam;
    use facade_studio::train::state::{TrainState, load_checkpoint, save_checkpoint};
    let cpu = backend::cpu_device();
    let start = GanTrainer::new(config.clone(), &cpu.device, 3, objective);
    let path = dir.join("start.fsw");
    let meta = facade_studio::checkpoint::Meta {
        styles: Default::default(),
        kind: facade_studio::checkpoint::FileKind::Checkpoint,
        ..super::model_meta("start", config)
    };
    save_checkpoint(&path, &TrainState::of(&start, meta.clone())).unwrap();
    let on = |device: &burn::prelude::Device| {
        let s = load_checkpoint(&path, device, adam(0.5), adam(0.5)).unwrap();
        GanTrainer::from_models(
            config.clone(),
            device.clone().autodiff(),
            s.generator.train(),
            s.discriminator.train(),
            3,
            objective,
        )
    };
    (on(&cpu.device), on(&gpu.device), meta)
}

/// Every loss of a CPU step `h` and a GPU step `d` agrees within `rel` of the larger + 1e-3.
pub fn assert_losses_agree(
    step: u64,
    h: &facade_studio::train::gan::Losses,
    d: &facade_studio::train::gan::Losses,
    rel: f32,
) {
    for (name, a, b) in [
        ("G_GAN", h.g_gan, d.g_gan),
        ("G_L1", h.g_l1, d.g_l1),
        ("G_feat", h.g_feat, d.g_feat),
        ("G_freq", h.g_freq, d.g_freq),
        ("D_real", h.d_real, d.d_real),
        ("D_fake", h.d_fake, d.d_fake),
        ("G_spec", h.g_spec, d.g_spec),
    ] {
        assert!(
            (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-3,
            "step {step} {name}: CPU {a} vs GPU {b}"
        );
    }
}

/// One 64×64 pair, no style.
pub fn batch64() -> facade_studio::data::Batch {
    let map = facade_studio::bench::synthetic_layout(64, 5);
    let palette = facade_studio::palette::Palette::cmp_facades();
    let mut batch = facade_studio::data::Batch::new(64);
    let pair = facade_studio::data::augment::Resized {
        style: Default::default(),
        layout: None,
        photo: super::photo_for(&map),
        labels: map,
    };
    batch.push(&pair, 0, 0, false, &palette);
    batch
}

/// Three steps of `recipe` (on a tiny 64² `config`) from one start on the CPU and on the GPU
/// path: every loss agrees within 2 % + 1e-3 (the default recipe's tolerance below), and
/// `check` holds for the CPU's losses.
pub fn three_steps_agree(
    recipe: &facade_studio::train::TrainConfig,
    config: facade_studio::model::ModelConfig,
    check: impl Fn(&facade_studio::train::gan::Losses) -> bool,
) {
    let Some(gpu) = wgpu_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let objective = facade_studio::train::gan::Objective::from(recipe);
    let (mut host, mut device, _) = same_start(&config, objective, &gpu, tmp.path());
    let batch = batch64();
    for step in 0..3 {
        let (h, d) = (
            host.step(&batch, step, 1e-4),
            device.step(&batch, step, 1e-4),
        );
        assert!(check(&h) && h.is_finite() && d.is_finite(), "{h:?} {d:?}");
        assert_losses_agree(step, &h, &d, 0.02);
    }
}

/// The shipped model's render of a 256² synthetic layout in its first gallery style, on `device`.
pub fn render_shipped(device: backend::SelectedDevice) -> image::RgbImage {
    let model = facade_studio::models::default_model_path();
    let map = facade_studio::bench::synthetic_layout(256, 4);
    let r = facade_studio::render::Renderer::load(&model, device).unwrap();
    let style = r.style_bank().styles.first().cloned().unwrap_or_default();
    r.render(&map, &style, None).unwrap()
}
