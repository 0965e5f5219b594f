//! The `facade-studio` command line: train, render, eval and bench, headless, with progress bars.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use facade_studio::backend::{self, BackendChoice};
use facade_studio::data::Dataset;
use facade_studio::events::TrainEvent;
use facade_studio::image_io::save_png;
use facade_studio::label_map::LabelMap;
use facade_studio::model::{ModelConfig, NormKind};
use facade_studio::palette::Palette;
use facade_studio::render::{Renderer, default_model_path};
use facade_studio::train::{self, TrainConfig, TrainJob};
use facade_studio::{bench, eval};

#[derive(Parser)]
#[command(
    name = "facade-studio",
    version,
    about = "Paint facade layouts and render them with pix2pix; train the model.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    app: AppArgs,
}

/// With no subcommand: open the painting window.
#[derive(Args)]
struct AppArgs {
    /// A project (.ron) or label image to open.
    file: Option<PathBuf>,
    /// Model file or run folder for the live preview (default: the shipped model).
    #[arg(long)]
    model: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Open the training tab on this dataset folder.
    #[arg(long)]
    train_data: Option<PathBuf>,
    /// The training tab's run folder.
    #[arg(long)]
    run: Option<PathBuf>,
    /// Start training at once (a new run in --run).
    #[arg(long)]
    start: bool,
    /// Resume the run in --run at once.
    #[arg(long)]
    resume: bool,
    /// Apply a script of edits at start: a RON list such as
    /// `[Rect(a: (10, 10), b: (40, 60), class: 2), Stroke(points: [(5, 5), (50, 9)], radius: 3, class: 6)]`.
    #[arg(long)]
    script: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Train pix2pix (labels → photo) on a facades folder.
    Train(TrainArgs),
    /// Render label images into photos.
    Render(RenderArgs),
    /// Measure a model on a split: mean L1, PSNR, SSIM, and an image grid.
    Eval(EvalArgs),
    /// Time rendering and training steps per model width.
    Bench(BenchArgs),
    /// Write the generator of a run or checkpoint as a model file (optionally half precision).
    Export(ExportArgs),
    /// Get the facades dataset.
    #[command(subcommand)]
    Dataset(DatasetCommand),
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Download and extract an archive (resumes after a broken connection; checks size and
    /// SHA-256 when given; extracts only regular files inside --out).
    Download(DownloadArgs),
}

#[derive(Args)]
struct DownloadArgs {
    /// http:// or file:// address of a .tar.gz (default: the pix2pix facades archive).
    #[arg(long, default_value = facade_studio::data::download::FACADES_URL)]
    url: String,
    /// Folder to extract into.
    #[arg(long, default_value = "datasets")]
    out: PathBuf,
    /// Expected SHA-256 of the archive (hex).
    #[arg(long)]
    sha256: Option<String>,
    /// Expected size of the archive in bytes.
    #[arg(long)]
    size: Option<u64>,
    /// Keep the downloaded archive next to the extracted files.
    #[arg(long)]
    keep_archive: bool,
}

#[derive(Args)]
struct ExportArgs {
    /// Run folder, checkpoint or model file.
    #[arg(long)]
    model: PathBuf,
    /// The model file to write (.fsw).
    #[arg(long)]
    output: PathBuf,
    /// Store the weights in half precision (half the size).
    #[arg(long)]
    half: bool,
    /// Name stored in the model (shown in the app's status bar).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Args)]
struct TrainArgs {
    /// Dataset folder (pix2pix layout N.jpg, or CMP base cmp_bNNNN.jpg + .png).
    #[arg(long)]
    data: PathBuf,
    /// Run folder: config, checkpoints, samples, losses.csv.
    #[arg(long)]
    out: PathBuf,
    /// Total epochs (with --resume, training continues until this many are done).
    #[arg(long, default_value_t = 200)]
    epochs: u64,
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
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Learning rate (2e-4 as published); with --resume it replaces the run's own.
    #[arg(long)]
    lr: Option<f64>,
    /// Weight of the L1 term.
    #[arg(long, default_value_t = 100.0)]
    l1_weight: f32,
    /// Hold out the last N pairs (not trained on; the sample renders come from them).
    #[arg(long, default_value_t = 0)]
    holdout: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Checkpoint every N steps (and at the end).
    #[arg(long, default_value_t = 1000)]
    checkpoint_every: u64,
    /// Render the fixed samples every N steps.
    #[arg(long, default_value_t = 200)]
    sample_every: u64,
    /// Stop after N steps in total.
    #[arg(long)]
    max_steps: Option<u64>,
    /// Continue the run in --out from its newest good checkpoint.
    #[arg(long)]
    resume: bool,
    /// Start the generator from this model (fine-tuning).
    #[arg(long)]
    init_from: Option<PathBuf>,
    /// Normalisation layers [default: batch; with --resume: the run's].
    #[arg(long, value_enum)]
    norm: Option<NormArg>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum NormArg {
    Batch,
    Instance,
    None,
}

#[derive(Args)]
struct RenderArgs {
    /// Model file (.fsw) or run folder; default: the shipped model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// A label image, or a folder of them.
    #[arg(long)]
    input: PathBuf,
    /// Output PNG, or a folder (when --input is a folder).
    #[arg(long)]
    output: PathBuf,
    /// Test-time dropout seed for a variation (0 = deterministic).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Render N variations of each input (seeds --seed+1 … --seed+N), written as STEM-vK.png.
    #[arg(long, default_value_t = 1)]
    variations: u64,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

#[derive(Args)]
struct EvalArgs {
    #[arg(long)]
    model: Option<PathBuf>,
    /// Dataset folder to evaluate on.
    #[arg(long)]
    data: PathBuf,
    /// Evaluate only the last N pairs of --data (a held-out split).
    #[arg(long)]
    last: Option<usize>,
    /// Report folder: metrics.json and grid.png.
    #[arg(long)]
    out: PathBuf,
    /// Print the metrics as one JSON object.
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

#[derive(Args)]
struct BenchArgs {
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
    /// Timed training steps (after 2 warm-up steps).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Measure stroke-to-preview latency through the app's render worker instead (50 strokes).
    #[arg(long)]
    preview: bool,
    /// Model for --preview (default: the shipped model).
    #[arg(long)]
    model: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(a)) => cmd_train(a),
        Some(Command::Render(a)) => cmd_render(a),
        Some(Command::Eval(a)) => cmd_eval(a),
        Some(Command::Bench(a)) => cmd_bench(a),
        Some(Command::Export(a)) => cmd_export(a),
        Some(Command::Dataset(DatasetCommand::Download(a))) => cmd_download(a),
        None => open_studio(cli.app),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

#[cfg(feature = "studio")]
fn open_studio(app: AppArgs) -> Result<()> {
    facade_studio::ui::run(facade_studio::ui::StudioOptions {
        model: app.model,
        backend: app.backend,
        open: app.file,
        train_data: app.train_data,
        script: app.script,
        run_dir: app.run,
        start_training: if app.resume {
            Some(true)
        } else if app.start {
            Some(false)
        } else {
            None
        },
        ..Default::default()
    })
    .map_err(|e| {
        anyhow::anyhow!("the window could not open: {e}. Is a display available (X11/Wayland)?")
    })
}

#[cfg(not(feature = "studio"))]
fn open_studio(_app: AppArgs) -> Result<()> {
    anyhow::bail!(
        "this build has no window (built without the `studio` feature); use a subcommand (see --help) or rebuild with default features"
    )
}

fn select_device(choice: BackendChoice) -> Result<backend::SelectedDevice> {
    let device = backend::select(choice, &mut |m| eprintln!("note: {m}"))?;
    Ok(device)
}

/// Prints a line above `pb`, or on stderr when there is no bar or it is hidden (stderr is not a
/// terminal: indicatif then drops `println`, and a log would lose the line).
fn say(pb: Option<&ProgressBar>, line: impl AsRef<str>) {
    match pb {
        Some(pb) if !pb.is_hidden() => pb.println(line),
        _ => eprintln!("{}", line.as_ref()),
    }
}

fn bar(len: u64, template: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.enable_steady_tick(Duration::from_millis(250));
    pb
}

fn cmd_train(a: TrainArgs) -> Result<()> {
    let ngf = a.ngf.unwrap_or(64);
    let given = ModelConfig::new()
        .with_ngf(ngf)
        .with_ndf(a.ndf.unwrap_or(ngf))
        .with_size(a.size.unwrap_or(256))
        .with_norm(match a.norm.unwrap_or(NormArg::Batch) {
            NormArg::Batch => NormKind::Batch,
            NormArg::Instance => NormKind::Instance,
            NormArg::None => NormKind::None,
        });
    // Resuming without model options keeps the run's model (and says nothing about it).
    let no_model_options =
        a.ngf.is_none() && a.ndf.is_none() && a.size.is_none() && a.norm.is_none();
    let model = match a.resume && no_model_options {
        true => train::run::run_model(&a.out).unwrap_or(given),
        false => given,
    };
    let train = TrainConfig {
        data: a.data,
        holdout: a.holdout,
        epochs: a.epochs,
        decay_epochs: a.decay_epochs.unwrap_or(a.epochs / 2).min(a.epochs),
        batch: a.batch,
        lr: a.lr.unwrap_or(2e-4),
        l1_weight: a.l1_weight,
        seed: a.seed,
        checkpoint_every: a.checkpoint_every,
        sample_every: a.sample_every,
        max_steps: a.max_steps,
        ..TrainConfig::default()
    };
    let handle = train::spawn(TrainJob {
        run_dir: a.out.clone(),
        model,
        train,
        backend: a.backend,
        resume: a.resume,
        init_from: a.init_from,
        yield_to: None,
        lr_override: a.lr.filter(|_| a.resume),
        faults: Default::default(),
    });
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
                    pb.set_message(format!(
                        "ep {} G_GAN {:.3} G_L1 {:.3} D_real {:.3} D_fake {:.3}",
                        l.epoch, l.g_gan, l.g_l1, l.d_real, l.d_fake
                    ));
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

fn load_renderer(model: Option<PathBuf>, choice: BackendChoice) -> Result<Renderer> {
    let path = model.unwrap_or_else(default_model_path);
    let device = select_device(choice)?;
    let renderer = Renderer::load(&path, device)?;
    Ok(renderer)
}

fn render_file(
    renderer: &Renderer,
    palette: &Palette,
    input: &Path,
    output: &Path,
    seed: u64,
    variations: u64,
) -> Result<()> {
    let (map, report) = LabelMap::load_image(input, palette)?;
    if report.unknown_fraction() > 0.05 {
        eprintln!(
            "warning: {}: {:.0}% of pixels are far from every palette colour; is it a label map?",
            input.display(),
            report.unknown_fraction() * 100.0
        );
    }
    if variations <= 1 {
        let photo = renderer.render(&map, Some(seed))?;
        save_png(&photo, output)?;
        return Ok(());
    }
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    for k in 1..=variations {
        let photo = renderer.render(&map, Some(seed + k))?;
        save_png(&photo, &output.with_file_name(format!("{stem}-v{k}.png")))?;
    }
    Ok(())
}

fn cmd_render(a: RenderArgs) -> Result<()> {
    let renderer = load_renderer(a.model, a.backend)?;
    let palette = renderer.palette.clone();
    if a.input.is_dir() {
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&a.input)
            .with_context(|| format!("reading {}", a.input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg")
                })
            })
            .collect();
        inputs.sort();
        if inputs.is_empty() {
            bail!(
                "{}: no PNG or JPEG label images in this folder",
                a.input.display()
            );
        }
        std::fs::create_dir_all(&a.output)
            .with_context(|| format!("creating {}", a.output.display()))?;
        let pb = bar(
            inputs.len() as u64,
            "rendering [{bar:30}] {pos}/{len} ({eta})",
        );
        let mut failed = 0;
        for input in &inputs {
            let stem = input
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let out = a.output.join(format!("{stem}.png"));
            if let Err(e) = render_file(&renderer, &palette, input, &out, a.seed, a.variations) {
                say(Some(&pb), format!("skipped: {e:#}"));
                failed += 1;
            }
            pb.inc(1);
        }
        pb.finish_and_clear();
        eprintln!(
            "rendered {} of {} images into {}",
            inputs.len() - failed,
            inputs.len(),
            a.output.display()
        );
        if failed == inputs.len() {
            bail!("no image could be rendered");
        }
        Ok(())
    } else {
        render_file(
            &renderer,
            &palette,
            &a.input,
            &a.output,
            a.seed,
            a.variations,
        )
    }
}

fn cmd_eval(a: EvalArgs) -> Result<()> {
    let renderer = load_renderer(a.model, a.backend)?;
    let mut dataset = Dataset::open(&a.data)?;
    if let Some(n) = a.last {
        dataset = dataset.split_last(n).1;
    }
    let pb = bar(
        dataset.len() as u64,
        "evaluating [{bar:30}] {pos}/{len} ({eta})",
    );
    let (report, grid) = eval::evaluate(&renderer, &dataset, 8, &mut |done, _| {
        pb.set_position(done as u64)
    })?;
    pb.finish_and_clear();
    eval::write_report(&a.out, &report, &grid)?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} pairs: L1 {:.4}  PSNR {:.2} dB  SSIM {:.4}  (report in {})",
            report.pairs,
            report.l1,
            report.psnr,
            report.ssim,
            a.out.display()
        );
    }
    Ok(())
}

fn cmd_bench(a: BenchArgs) -> Result<()> {
    if a.preview {
        let model = a.model.clone().unwrap_or_else(default_model_path);
        let r = bench::preview_latency(&model, a.backend, 50, 8)?;
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
    let device = select_device(a.backend)?;
    let widths = a.ngf.map(|n| vec![n]).unwrap_or_else(|| vec![16, 32, 64]);
    if !a.json {
        println!("device: {}", device.description);
        println!(
            "{:>4} {:>5} {:>7} {:>14} {:>14} {:>18} {:>12}",
            "ngf",
            "size",
            "backend",
            "render p50 ms",
            "render p95 ms",
            "train step p50 ms",
            "peak RSS MB"
        );
    }
    for ngf in widths {
        let row = bench::bench_width(&device, ngf, a.size, a.renders.max(1), a.steps.max(1));
        if a.json {
            println!("{}", serde_json::to_string(&row)?);
        } else {
            println!(
                "{:>4} {:>5} {:>7} {:>14.1} {:>14.1} {:>18.1} {:>12.0}",
                row.ngf,
                row.size,
                row.backend,
                row.render_ms_p50,
                row.render_ms_p95,
                row.train_step_ms_p50,
                row.peak_rss_mb
            );
        }
    }
    Ok(())
}

fn cmd_export(a: ExportArgs) -> Result<()> {
    let source = facade_studio::render::resolve_model_path(&a.model)?;
    let device = backend::cpu_device();
    let loaded = facade_studio::checkpoint::load_generator(&source, &device.device)?;
    let mut meta = loaded.meta.clone();
    if let Some(name) = a.name {
        meta.name = name;
    }
    if a.half {
        facade_studio::checkpoint::save_model_half(&a.output, &meta, &loaded.generator)?;
    } else {
        facade_studio::checkpoint::save_model(&a.output, &meta, &loaded.generator)?;
    }
    let size = std::fs::metadata(&a.output).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote {} ({:.1} MB, step {}, ngf {}) from {}",
        a.output.display(),
        size as f64 / 1e6,
        meta.step,
        meta.model.ngf,
        source.display()
    );
    Ok(())
}

fn cmd_download(a: DownloadArgs) -> Result<()> {
    use facade_studio::data::download::{DownloadSpec, download, extract};
    let name = a
        .url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("dataset.tar.gz")
        .to_string();
    let archive = a.out.join(&name);
    let spec = DownloadSpec {
        size: a.size,
        sha256: a.sha256.clone(),
        ..DownloadSpec::new(a.url.clone())
    };
    let pb = bar(
        0,
        "downloading {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})",
    );
    download(&spec, &archive, &mut |done, total| {
        if let Some(t) = total {
            pb.set_length(t);
        }
        pb.set_position(done);
    })?;
    pb.finish_and_clear();
    let files = extract(&archive, &a.out)?;
    if !a.keep_archive {
        let _ = std::fs::remove_file(&archive);
    }
    let train = a.out.join("facades").join("train");
    eprintln!("extracted {files} files into {}", a.out.display());
    if train.is_dir() {
        eprintln!(
            "train with: facade-studio train --data {} --out runs/mine",
            train.display()
        );
    }
    Ok(())
}
