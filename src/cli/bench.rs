//! `bench`: render and training-step timings.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use facade_studio::backend::BackendChoice;
use facade_studio::bench;
use facade_studio::models::default_model_path;
use facade_studio::train::Recipe;

use super::select_device;
use facade_studio::backend::Precision;

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// One width to measure (default: 16, 32 and 64).
    #[arg(long)]
    ngf: Option<usize>,
    #[arg(long, default_value_t = 256)]
    size: usize,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Timed renders (after 3 warm-up renders).
    #[arg(long, default_value_t = 20)]
    renders: usize,
    /// Timed training steps (after 3 warm-up steps; on a GPU they compile and tune the kernels).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Images per training step; several (`--batch 1,4,16`) measure each in one process (the
    /// GPU's kernels are compiled and tuned once).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    batch: Vec<usize>,
    /// The GPU's float type for the whole run: f32, f16 or flex32 (f32 storage, arithmetic at
    /// half precision where the device allows). The CPU runs f32 only.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    precision: Precision,
    /// Time the published recipe (transposed convolutions, one discriminator, no feature
    /// matching or weight average) instead of the default one.
    #[arg(long, conflicts_with = "recipe")]
    paper: bool,
    /// The recipe whose model and losses are timed (`default`, `paper`, `second-step`).
    #[arg(long, value_enum)]
    recipe: Option<Recipe>,
    /// Discriminator width (default: the recipe's, the same as --ngf).
    #[arg(long)]
    ndf: Option<usize>,
    /// The discriminator timed (default: the recipe's): PatchGANs, or an OASIS U-Net (`train
    /// --discriminator oasis`).
    #[arg(long, value_enum)]
    discriminator: Option<super::train::DiscriminatorArg>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Measure stroke-to-preview latency through the app's render worker instead (50 strokes).
    #[arg(long)]
    preview: bool,
    /// Model for --preview (default: the shipped model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// For --preview.
    #[command(flatten)]
    detail: super::DetailArg,
}

pub(crate) fn cmd_bench(a: BenchArgs) -> Result<()> {
    if a.preview {
        let model = a.model.clone().unwrap_or_else(default_model_path);
        let r = bench::preview_latency(&model, a.backend, 50, 8, a.detail.amount)?;
        if a.json {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            println!(
                "stroke-to-preview latency, {} strokes, ngf {} on {}: p50 {:.1} ms, p95 {:.1} ms",
                r.strokes, r.ngf, r.backend, r.p50_ms, r.p95_ms
            );
        }
        return Ok(());
    }
    let mut device = select_device(a.backend)?;
    a.precision.configure(&mut device)?;
    let widths = a.ngf.map(|n| vec![n]).unwrap_or_else(|| vec![16, 32, 64]);
    if !a.json {
        println!("device: {}", device.description);
        println!(
            "{:>4} {:>5} {:>7} {:>14} {:>14} {:>18} {:>5} {:>9} {:>12}",
            "ngf",
            "size",
            "backend",
            "render p50 ms",
            "render p95 ms",
            "train step p50 ms",
            "batch",
            "images/s",
            "peak RSS MB"
        );
    }
    let runs = widths
        .iter()
        .flat_map(|&ngf| a.batch.iter().map(move |&batch| (ngf, batch)));
    for (ngf, batch) in runs {
        let spec = bench::BenchSpec {
            ngf,
            size: a.size,
            batch,
            render_runs: a.renders.max(1),
            train_steps: a.steps.max(1),
            recipe: match (a.paper, a.recipe) {
                (true, _) => Recipe::Paper,
                (false, recipe) => recipe.unwrap_or_default(),
            },
            ndf: a.ndf,
            oasis: a
                .discriminator
                .map(|d| d == super::train::DiscriminatorArg::Oasis),
        };
        let row = bench::bench_width(&device, &spec);
        if a.json {
            println!("{}", serde_json::to_string(&row)?);
        } else {
            println!(
                "{:>4} {:>5} {:>7} {:>14.1} {:>14.1} {:>18.1} {:>5} {:>9.2} {:>12.0}",
                row.ngf,
                row.size,
                row.backend,
                row.render_ms_p50,
                row.render_ms_p95,
                row.train_step_ms_p50,
                row.batch,
                row.train_images_per_s,
                row.peak_rss_mb
            );
        }
    }
    Ok(())
}
