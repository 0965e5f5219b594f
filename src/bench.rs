//! `facade-studio bench`: render latency and training-step time per model width, with peak
//! memory, on synthetic data (no dataset needed).

use std::time::Instant;

use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::backend::SelectedDevice;
use crate::data::Batch;
use crate::label_map::LabelMap;
use crate::model::DropoutMasks;
use crate::palette::Palette;
use crate::render::{encode, tensor_to_images};
use crate::style::Style;
use crate::train::gan::Objective;
use crate::train::{GanTrainer, TrainConfig};

#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchRow {
    pub ngf: usize,
    pub size: usize,
    pub backend: String,
    pub device: String,
    pub render_ms_p50: f64,
    pub render_ms_p95: f64,
    pub render_runs: usize,
    pub train_step_ms_p50: f64,
    pub train_steps: usize,
    /// Images per training step.
    pub batch: usize,
    /// Training throughput: batch / step time.
    pub train_images_per_s: f64,
    /// "default" (nearest + 3×3 upsampling, two discriminators, feature matching, weight
    /// average), "paper" (the published pix2pix) or "second-step"; "+ oasis D (ndf N)" when an
    /// OASIS discriminator replaced the recipe's.
    pub recipe: String,
    pub threads: usize,
    pub peak_rss_mb: f64,
    /// Device memory the GPU allocator holds after the training steps (its pools keep what they
    /// reserved, so this is about the peak); absent on the CPU.
    pub gpu_reserved_mb: Option<f64>,
    /// The device's float type ("f32", or "f16" / "flex32" when `bench --precision` set it).
    pub precision: String,
    /// How wgpu ran plain convolutions ([`crate::kernels::gpu_conv`]); "cpu" on the CPU.
    pub conv: String,
}

/// What one bench row measures.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    pub ngf: usize,
    pub size: usize,
    pub batch: usize,
    pub render_runs: usize,
    pub train_steps: usize,
    pub recipe: crate::train::Recipe,
    /// The discriminator's width (default: the recipe's, `ngf`).
    pub ndf: Option<usize>,
    /// Some(true): an OASIS discriminator over the labels palette's classes; Some(false):
    /// PatchGANs; None: the recipe's.
    pub oasis: Option<bool>,
}

/// Peak resident memory of this process so far, in MB (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[rank.min(s.len() - 1)]
}

/// A facade-like random layout: wall, a grid of windows, a door.
pub fn synthetic_layout(size: u32, seed: u64) -> LabelMap {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut map = LabelMap::filled(size, size, 1);
    let cols = rng.random_range(3..6u32);
    let rows = rng.random_range(3..6u32);
    for r in 0..rows {
        for c in 0..cols {
            let x0 = size * (2 * c + 1) / (2 * cols + 1);
            let y0 = size * (2 * r + 1) / (2 * rows + 1);
            for y in y0..(y0 + size / (2 * rows + 2)).min(size) {
                for x in x0..(x0 + size / (2 * cols + 2)).min(size) {
                    map.set(x, y, 2);
                }
            }
        }
    }
    map
}

/// Measures one width. `render_runs` ≥ 20 and `train_steps` ≥ 10 are what the issue asks for.
pub fn bench_width(device: &SelectedDevice, spec: &BenchSpec) -> BenchRow {
    let BenchSpec {
        ngf,
        size,
        batch: batch_size,
        render_runs,
        train_steps,
        recipe,
        ndf,
        oasis,
    } = *spec;
    let batch_size = batch_size.max(1);
    let palette = Palette::cmp_facades();
    let mut train = TrainConfig::recipe(recipe, ngf);
    train.model.ndf = ndf.unwrap_or(train.model.ndf);
    let recipe_d_classes = train.model.d_classes;
    if let Some(oasis) = oasis {
        train.model.d_classes = if oasis { palette.len() } else { 0 };
    }
    let config = train.model.clone().with_size(size);
    let dev = &device.device;
    dev.seed(7);
    let generator = config.init_generator(dev).for_rendering();
    let map = synthetic_layout(size as u32, 1);
    let none = Style::none();
    let style = generator.takes_style().then_some(&none);
    let render_once = || {
        let t = Instant::now();
        let input = encode(&[&map], style, &palette, dev);
        let out = generator.forward(input, &mut DropoutMasks::off());
        let _ = tensor_to_images(out);
        t.elapsed().as_secs_f64() * 1000.0
    };
    for _ in 0..3 {
        render_once();
    }
    let renders: Vec<f64> = (0..render_runs).map(|_| render_once()).collect();
    drop(generator);

    let mut trainer = GanTrainer::new(config.clone(), dev, 7, Objective::from(&train));
    let styled = config.takes_style();
    let mut batch = match styled {
        true => Batch::styled(size),
        false => Batch::new(size),
    };
    let mut rng = StdRng::seed_from_u64(3);
    let plane = 3 * size * size;
    let mut encoded = Vec::new();
    palette.encode_planar(&map.ids, &mut encoded);
    if styled {
        Style::none().encode_planar(&map.ids, map.width, &mut encoded);
    }
    batch.input = encoded.repeat(batch_size);
    batch.labels = map.ids.repeat(batch_size);
    batch.target = (0..plane * batch_size)
        .map(|_| rng.random_range(-1.0..1.0f32))
        .collect();
    batch.n = batch_size;
    // Warm-up steps: on a GPU the first ones compile and tune every kernel.
    const WARM_UP: usize = 3;
    let mut steps = Vec::new();
    for i in 0..(train_steps + WARM_UP) {
        let t = Instant::now();
        trainer.step(&batch, i as u64, 2e-4);
        if i >= WARM_UP {
            steps.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let gpu_reserved_mb = device
        .on_wgpu()
        .then(|| dev.memory_pool_usage())
        .flatten()
        .map(|u| u.bytes_reserved as f64 / (1 << 20) as f64);
    BenchRow {
        ngf,
        size,
        backend: device.backend.to_string(),
        device: device.description.clone(),
        render_ms_p50: percentile(&renders, 50.0),
        render_ms_p95: percentile(&renders, 95.0),
        render_runs,
        train_step_ms_p50: percentile(&steps, 50.0),
        train_steps,
        batch: batch_size,
        train_images_per_s: batch_size as f64 * 1000.0 / percentile(&steps, 50.0),
        recipe: match (recipe_d_classes, train.model.d_classes) {
            (0, 1..) => format!("{} + oasis D (ndf {})", recipe.name(), train.model.ndf),
            (1.., 0) => format!("{} + PatchGAN D", recipe.name()),
            _ => recipe.name().into(),
        },
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        peak_rss_mb: peak_rss_mb(),
        gpu_reserved_mb,
        precision: format!("{:?}", dev.settings().float_dtype).to_lowercase(),
        conv: match device.on_wgpu() {
            true => crate::kernels::gpu_conv(),
            false => "cpu",
        }
        .into(),
    }
}

/// Stroke-to-preview latency through the app's render path (document → latest-wins render
/// worker → image), painted like a person paints: each stroke is `moves` pointer events 16 ms
/// apart, each asking for a render; the clock runs from the stroke's last event until the render
/// of that last state arrives.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PreviewLatency {
    pub ngf: usize,
    pub backend: String,
    pub strokes: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

pub fn preview_latency(
    model: &std::path::Path,
    choice: crate::backend::BackendChoice,
    strokes: usize,
    moves: usize,
    detail: f32,
) -> crate::error::Result<PreviewLatency> {
    use crate::document::Document;
    use crate::events::{RenderEvent, RenderRequest};
    use crate::render::worker::RenderWorker;
    use std::time::Duration;

    let worker = RenderWorker::start(model.to_path_buf(), choice, Box::new(|| {}));
    let (ngf, backend) = match worker.events.recv_timeout(Duration::from_secs(120)) {
        Ok(RenderEvent::ModelReady { model, .. }) => (model.ngf, model.device),
        Ok(RenderEvent::ModelFailed(e)) => return Err(crate::error::Error::msg(e)),
        _ => return Err(crate::error::Error::msg("the render worker did not start")),
    };
    let palette = Palette::cmp_facades();
    let mut doc = Document::new(crate::generate::sample::random_sample(
        256, 256, 1, &palette,
    ));
    let mut rng = StdRng::seed_from_u64(5);
    let mut latencies = Vec::new();
    let request = |doc: &Document| {
        worker.request(RenderRequest {
            revision: doc.revision,
            map: doc.map.clone(),
            style: Style::none(),
            seed: 0,
            detail,
        })
    };
    // One warm-up render.
    request(&doc);
    let _ = worker.events.recv_timeout(Duration::from_secs(120));
    for _ in 0..strokes {
        let (x, y) = (rng.random_range(20..236), rng.random_range(20..236));
        doc.begin_stroke((x, y), 4, rng.random_range(0..12));
        request(&doc);
        for m in 1..moves as i32 {
            std::thread::sleep(Duration::from_millis(16));
            doc.extend_stroke((x + 3 * m, y + 2 * m));
            request(&doc);
        }
        doc.finish_stroke();
        let last = doc.revision;
        let t = Instant::now();
        loop {
            match worker.events.recv_timeout(Duration::from_secs(120)) {
                Ok(RenderEvent::Rendered { revision, .. }) if revision == last => break,
                Ok(RenderEvent::RenderFailed { error, .. }) => {
                    return Err(crate::error::Error::msg(error));
                }
                Ok(_) => {}
                Err(_) => {
                    return Err(crate::error::Error::msg(
                        "the render worker stopped answering",
                    ));
                }
            }
        }
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(PreviewLatency {
        ngf,
        backend,
        strokes,
        p50_ms: percentile(&latencies, 50.0),
        p95_ms: percentile(&latencies, 95.0),
    })
}
