//! The `facade-studio` command line: train, render, eval and bench, headless, with progress bars.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use facade_studio::backend::{self, BackendChoice};
use facade_studio::data::Dataset;
use facade_studio::events::TrainEvent;
use facade_studio::generate::{FacadeParams, GroundFloor, NormalY, generate_set};
use facade_studio::image_io::save_png;
use facade_studio::label_map::LabelMap;
use facade_studio::model::{ModelConfig, NormKind, Upsample};
use facade_studio::palette::Palette;
use facade_studio::render::tiled::Tiling;
use facade_studio::render::{Renderer, default_model_path};
use facade_studio::segment::{Segmenter, default_segmenter_path};
use facade_studio::train::{self, Start, TrainConfig, TrainJob};
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
    /// Run a script at start: a RON list of edits and app commands, run in order as if chosen in
    /// the window, e.g.
    /// `[Rect(a: (10, 10), b: (40, 60), class: "window"), Stroke(points: [(5, 5), (50, 9)], radius: 3, class: 6), Undo, Redo, Save("out.ron"), ExportRender("render.png")]`.
    ///
    /// Edits (one undo step each): Stroke(points, radius, class), Rect(a, b, class),
    /// Line(a, b, radius, class), Fill(at, class); a class is a palette name (any case) or its
    /// 0-based position in the palette, checked before anything runs. Commands: Undo, Redo,
    /// ZoomIn, ZoomOut, ZoomFit, Zoom100, Vary, RandomSample, Open(path), ImportLabels(path),
    /// Save(path), ExportLabels(path), ExportRender(path), ExportSideBySide(path) and
    /// ExportBundle(folder) (these three wait for the render of the painting as it is at that
    /// step), Quit. Paths are relative to the
    /// current folder; the first step that fails stops the script and says which it was.
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
    /// Generate facades from parameters (metres, floors, bays, ornament) and render them: one
    /// folder per facade (labels.png, albedo.png, facade.json) and an index.json.
    Generate(GenerateArgs),
    /// Get the facades dataset.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// The photo → labels segmenter that `eval` uses for label consistency.
    #[command(subcommand)]
    Segmenter(SegmenterCommand),
}

#[derive(Args)]
struct GenerateArgs {
    /// Output folder (facade-001/, facade-002/, …, index.json).
    #[arg(long)]
    out: PathBuf,
    /// How many facades (seeds --seed, --seed + 1, …).
    #[arg(long, default_value_t = 1)]
    count: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Building width in metres.
    #[arg(long, default_value_t = 16.0)]
    width_m: f32,
    /// Building height in metres.
    #[arg(long, default_value_t = 16.0)]
    height_m: f32,
    /// Pixels per metre.
    #[arg(long, default_value_t = 16.0)]
    px_per_m: f32,
    /// Upper floors: N or MIN-MAX.
    #[arg(long, default_value = "3-5", value_parser = parse_range)]
    floors: (u32, u32),
    /// Window bays per floor: N or MIN-MAX.
    #[arg(long, default_value = "4-6", value_parser = parse_range)]
    bays: (u32, u32),
    /// Window width in metres.
    #[arg(long, default_value_t = 1.2)]
    window_width: f32,
    /// Window height in metres.
    #[arg(long, default_value_t = 1.6)]
    window_height: f32,
    #[arg(long, value_enum, default_value_t = GroundFloor::Shops)]
    ground: GroundFloor,
    /// Probability of balconies on a floor.
    #[arg(long, default_value_t = 0.3)]
    balcony: f32,
    /// Probability of blinds (shutters) beside the windows.
    #[arg(long, default_value_t = 0.35)]
    blind: f32,
    /// Probability of window sills.
    #[arg(long, default_value_t = 0.8)]
    sill: f32,
    /// Probability of a cornice under the roof line.
    #[arg(long, default_value_t = 0.9)]
    cornice: f32,
    /// Probability of molding bands between floors.
    #[arg(long, default_value_t = 0.5)]
    molding: f32,
    /// Probability of pillars at the corners.
    #[arg(long, default_value_t = 0.4)]
    pillar: f32,
    /// Do not mirror bays about the middle.
    #[arg(long)]
    asymmetric: bool,
    /// Render so that the left and right edges continue into each other (repeat along a street).
    #[arg(long)]
    tileable: bool,
    /// Labels, maps and description only, no render.
    #[arg(long)]
    no_render: bool,
    /// Normal map convention: up = OpenGL, glTF, Godot, Blender; down = DirectX, Unreal.
    #[arg(long, value_enum, default_value_t = NormalY::Up)]
    normal_y: NormalY,
    /// Model file or run folder [default: the shipped model].
    #[arg(long)]
    model: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

/// "N" or "MIN-MAX".
fn parse_range(s: &str) -> std::result::Result<(u32, u32), String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u32>()
            .map_err(|_| format!("\"{s}\": give a whole number or a range like 3-5"))
    };
    match s.split_once('-') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => num(s).map(|n| (n, n)),
    }
}

impl GenerateArgs {
    fn params(&self) -> FacadeParams {
        FacadeParams {
            width_m: self.width_m,
            height_m: self.height_m,
            px_per_m: self.px_per_m,
            floors: self.floors,
            bays: self.bays,
            window_width_m: self.window_width,
            window_height_m: self.window_height,
            ground: self.ground,
            balcony: self.balcony,
            blind: self.blind,
            sill: self.sill,
            cornice: self.cornice,
            molding: self.molding,
            pillar: self.pillar,
            symmetric: !self.asymmetric,
            tileable: self.tileable,
            seed: self.seed,
        }
    }
}

fn cmd_generate(a: GenerateArgs) -> Result<()> {
    let params = a.params();
    params.check().map_err(|e| anyhow::anyhow!(e))?;
    let renderer = match a.no_render {
        true => None,
        false => Some(load_renderer(a.model.clone(), a.backend)?),
    };
    let palette = renderer
        .as_ref()
        .map_or_else(Palette::cmp_facades, |r| r.palette.clone());
    let pb = bar(a.count as u64, "generating [{bar:30}] {pos}/{len} ({eta})");
    generate_set(
        &params,
        a.count,
        &a.out,
        &palette,
        renderer.as_ref(),
        a.normal_y,
        |k| pb.set_position(k as u64),
    )?;
    pb.finish_and_clear();
    let (w, h) = params.size_px();
    eprintln!(
        "wrote {} facade{} of {w}×{h} px into {}",
        a.count,
        if a.count == 1 { "" } else { "s" },
        a.out.display()
    );
    Ok(())
}

#[derive(Subcommand)]
enum SegmenterCommand {
    /// Train it on the real photos of a facades folder (the held-out pairs measure it).
    Train(SegmenterTrainArgs),
}

#[derive(Args)]
struct SegmenterTrainArgs {
    /// Dataset folder (pix2pix layout or CMP base).
    #[arg(long)]
    data: PathBuf,
    /// The model file to write (rewritten after every epoch).
    #[arg(long)]
    out: PathBuf,
    /// Hold out the last N pairs (never trained on; measured after each epoch).
    #[arg(long, default_value_t = 40)]
    holdout: usize,
    #[arg(long, default_value_t = 30)]
    epochs: u64,
    /// Width of the U-Net (16 keeps the file under 10 MB).
    #[arg(long, default_value_t = 16)]
    ngf: usize,
    #[arg(long, default_value_t = 5e-4)]
    lr: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Download and extract an archive (resumes after a broken connection; checks size and
    /// SHA-256 when given; extracts only regular files inside --out).
    Download(DownloadArgs),
}

#[derive(Args)]
struct DownloadArgs {
    /// http://, https:// or file:// address of a .tar.gz (default: the pix2pix facades archive).
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

/// Options left out take the preset's value (`TrainConfig` and `ModelConfig` hold the defaults).
#[derive(Args)]
struct TrainArgs {
    /// Dataset folder (pix2pix layout N.jpg, or CMP base cmp_bNNNN.jpg + .png).
    #[arg(long)]
    data: PathBuf,
    /// Run folder: config, checkpoints, samples, losses.csv.
    #[arg(long)]
    out: PathBuf,
    /// Where unset options come from: `default` (nearest + 3×3 upsampling, two discriminators,
    /// feature matching, weight average) or `paper` (pix2pix exactly as published).
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    preset: Preset,
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
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Preset {
    Default,
    Paper,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum UpsampleArg {
    Transposed,
    NearestConv,
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
    /// Render at exactly the input's size, tile by tile with blended overlaps (any size).
    #[arg(long)]
    tiles: bool,
    /// Like --tiles, and the left and right edges continue into each other (a repeating texture).
    #[arg(long)]
    tileable: bool,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

impl RenderArgs {
    fn tiling(&self) -> Tiling {
        match (self.tileable, self.tiles) {
            (true, _) => Tiling::Wrapped,
            (false, true) => Tiling::Tiles,
            (false, false) => Tiling::Whole,
        }
    }
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
    /// The photo → labels segmenter for label consistency [default: the shipped one,
    /// assets/segmenter.fsw].
    #[arg(long)]
    segmenter: Option<PathBuf>,
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
    /// Images per training step.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Time the published recipe (transposed convolutions, one discriminator, no feature
    /// matching or weight average) instead of the default one.
    #[arg(long)]
    paper: bool,
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
        Some(Command::Generate(a)) => cmd_generate(a),
        Some(Command::Segmenter(SegmenterCommand::Train(a))) => cmd_segmenter_train(a),
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
    .map_err(|e| anyhow::anyhow!(no_window_message(&e.to_string())))
}

/// What to say when the window cannot open: why, and what works without a display.
fn no_window_message(cause: &str) -> String {
    format!(
        "the window could not open: {cause}. Is a display available (X11/Wayland)? \
         Without one, every job runs headless from the command line (train, render, eval, bench, \
         export, segmenter, dataset: see `facade-studio --help`), and the window itself runs \
         under a virtual display: `xvfb-run -a facade-studio` (apt-get install xvfb xauth)."
    )
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

/// The run's settings: the preset's (`TrainConfig` holds every default), with every option
/// given laid over them.
fn train_config(a: &TrainArgs) -> TrainConfig {
    let ngf = a.ngf.unwrap_or(64);
    let base = match a.preset {
        Preset::Paper => TrainConfig::paper(ngf),
        Preset::Default => TrainConfig::default().with_model(ModelConfig::new().with_width(ngf)),
    };
    let mut model = base.model.clone();
    model.ndf = a.ndf.unwrap_or(model.ndf);
    model.size = a.size.unwrap_or(model.size);
    model.num_d = a.num_d.unwrap_or(model.num_d);
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
    // Resuming without model options keeps the run's model (and says nothing about it).
    let no_model_options = a.ngf.is_none()
        && a.ndf.is_none()
        && a.size.is_none()
        && a.norm.is_none()
        && a.upsample.is_none()
        && a.num_d.is_none();
    if a.resume && no_model_options {
        model = train::run::run_model(&train::RunDir::new(&a.out)).unwrap_or(model);
    }
    let epochs = a.epochs.unwrap_or(base.epochs);
    TrainConfig {
        model,
        data: a.data.clone(),
        holdout: a.holdout.unwrap_or(base.holdout),
        epochs,
        decay_epochs: a.decay_epochs.unwrap_or(epochs / 2).min(epochs),
        batch: a.batch.unwrap_or(base.batch),
        lr: a.lr.unwrap_or(base.lr),
        l1_weight: a.l1_weight.unwrap_or(base.l1_weight),
        lambda_feat: a.lambda_feat.unwrap_or(base.lambda_feat),
        ema_decay: a.ema_decay.unwrap_or(base.ema_decay),
        seed: a.seed.unwrap_or(base.seed),
        checkpoint_every: a.checkpoint_every.unwrap_or(base.checkpoint_every),
        sample_every: a.sample_every.unwrap_or(base.sample_every),
        max_steps: a.max_steps,
        ..base
    }
}

fn cmd_train(a: TrainArgs) -> Result<()> {
    let start = match (&a.init_from, a.resume) {
        (_, true) => Start::Resume,
        (Some(model), false) => Start::FineTune(model.clone()),
        (None, false) => Start::Fresh,
    };
    let handle = train::spawn(TrainJob {
        start,
        lr_override: a.lr.filter(|_| a.resume),
        ..TrainJob::new(&a.out, train_config(&a), a.backend)
    });
    report_training(handle)
}

/// One line for the held-out figures at a checkpoint.
fn figures_line(step: u64, f: &eval::Figures) -> String {
    let r = &f.realism;
    let miou = f.consistency.as_ref().map_or(String::new(), |c| {
        format!(
            ", mIoU {:.3} (real {:.3})",
            c.renders.mean_iou, c.real.mean_iou
        )
    });
    format!(
        "step {step}: held-out L1 {:.4}, sharpness {:.2}, HF {:.2}, grid {:.2}, colour spread {:.2}, saturation {:.2}{miou}",
        f.l1, r.sharpness, r.hf_power, r.grid, r.colour_spread, r.saturation
    )
}

/// Shows a run's events as progress bars and lines; the run's outcome.
fn report_training(handle: train::TrainHandle) -> Result<()> {
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
                        "ep {} G_GAN {:.3} G_L1 {:.3} G_feat {:.3} D_real {:.3} D_fake {:.3}",
                        l.epoch, l.g_gan, l.g_l1, l.g_feat, l.d_real, l.d_fake
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
    a: &RenderArgs,
) -> Result<()> {
    let (seed, variations, tiling) = (a.seed, a.variations, a.tiling());
    let (map, report) = LabelMap::load_image(input, palette)?;
    if report.is_suspicious() {
        eprintln!(
            "warning: {}: {:.0}% of pixels are far from every palette colour; is it a label map?",
            input.display(),
            report.unknown_fraction() * 100.0
        );
    }
    if variations <= 1 {
        let photo = renderer.render_as(&map, Some(seed), tiling)?;
        save_png(&photo, output)?;
        return Ok(());
    }
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    for k in 1..=variations {
        let photo = renderer.render_as(&map, Some(seed + k), tiling)?;
        save_png(&photo, &output.with_file_name(format!("{stem}-v{k}.png")))?;
    }
    Ok(())
}

fn cmd_render(a: RenderArgs) -> Result<()> {
    let renderer = load_renderer(a.model.clone(), a.backend)?;
    let palette = renderer.palette.clone();
    if a.input.is_dir() {
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&a.input)
            .with_context(|| format!("reading {}", a.input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| facade_studio::image_io::is_image_path(p))
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
            if let Err(e) = render_file(&renderer, &palette, input, &out, &a) {
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
        render_file(&renderer, &palette, &a.input, &a.output, &a)
    }
}

fn cmd_eval(a: EvalArgs) -> Result<()> {
    let renderer = load_renderer(a.model, a.backend)?;
    // An explicit --segmenter must load; the shipped one is used when it is there.
    let segmenter = match a.segmenter {
        Some(path) => Some(Segmenter::load(&path, renderer.device.clone())?),
        None => {
            let path = default_segmenter_path();
            match path.is_file() {
                true => Some(Segmenter::load(&path, renderer.device.clone())?),
                false => None,
            }
        }
    };
    let mut dataset = Dataset::open(&a.data)?;
    if let Some(n) = a.last {
        dataset = dataset.split_last(n).1;
    }
    let pb = bar(
        dataset.len() as u64,
        "evaluating [{bar:30}] {pos}/{len} ({eta})",
    );
    let (report, grid) = eval::evaluate(
        &renderer,
        segmenter.as_ref(),
        &dataset,
        8,
        &mut |done, _| pb.set_position(done as u64),
    )?;
    pb.finish_and_clear();
    eval::write_report(&a.out, &report, &grid)?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.figures.to_text(&renderer.palette));
        println!("(report in {})", a.out.display());
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
    for ngf in widths {
        let spec = bench::BenchSpec {
            ngf,
            size: a.size,
            batch: a.batch,
            render_runs: a.renders.max(1),
            train_steps: a.steps.max(1),
            paper: a.paper,
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

fn cmd_segmenter_train(a: SegmenterTrainArgs) -> Result<()> {
    use facade_studio::segment::train::{SegmenterJob, train_segmenter};
    let device = select_device(a.backend)?;
    eprintln!("training the segmenter on {}", device.description);
    let job = SegmenterJob {
        data: a.data,
        out: a.out.clone(),
        holdout: a.holdout,
        epochs: a.epochs,
        ngf: a.ngf,
        lr: a.lr,
        seed: a.seed,
    };
    train_segmenter(&job, &device, &mut |r| {
        let held = r.held_out.as_ref().map_or(String::new(), |c| {
            format!(
                "; held out: pixel acc {:.3}, class acc {:.3}, mIoU {:.3}",
                c.pixel_accuracy, c.mean_class_accuracy, c.mean_iou
            )
        });
        eprintln!(
            "epoch {}/{}: loss {:.4}{held} ({:.0} s)",
            r.epoch + 1,
            r.epochs,
            r.mean_loss,
            r.seconds
        );
    })?;
    eprintln!("wrote {}", a.out.display());
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
