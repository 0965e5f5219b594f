//! The `facade-studio` command line: train, render, eval and bench, headless, with progress bars.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use facade_studio::backend::BackendChoice;

mod cli;

use cli::bench::{BenchArgs, cmd_bench};
use cli::building::{BuildingArgs, cmd_building};
use cli::dataset::{DatasetCommand, cmd_derive, cmd_download};
use cli::eval::{EvalArgs, cmd_eval};
use cli::export::{ExportArgs, cmd_export};
use cli::generate::{GenerateArgs, cmd_generate};
use cli::render::{RenderArgs, cmd_render};
use cli::segmenter::{SegmenterCommand, cmd_segmenter_train};
use cli::train::{TrainArgs, cmd_train};

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
    /// Start on a blank canvas of this size, e.g. 512x256 (instead of a random facade).
    #[arg(long, value_name = "WxH", value_parser = parse_canvas_size)]
    blank: Option<(u32, u32)>,
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
    /// step), SetTask(name) (a shipped task: labels, sketch, grey; later classes are its), Quit. Paths are relative to the
    /// current folder; the first step that fails stops the script and says which it was.
    #[arg(long)]
    script: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Train pix2pix (labels → photo) on a facades folder.
    Train(Box<TrainArgs>),
    /// Render label images into photos.
    Render(RenderArgs),
    /// Measure a model on a split: mean L1, PSNR, SSIM, and an image grid.
    Eval(EvalArgs),
    /// Time rendering and training steps per model width.
    Bench(BenchArgs),
    /// Write the generator of a run or checkpoint as a model file (optionally half precision).
    Export(ExportArgs),
    /// Generate facades from parameters (metres, floors, bays, ornament) and render them: one
    /// folder per facade (labels, render, emission/height/normal/ORM maps, facade.json), atlases
    /// of each map and an index.json.
    Generate(GenerateArgs),
    /// Generate a whole building: four walls of one style around a footprint (the front with
    /// the entrance and shops, the sides and back plainer, floors and cornice meeting at the
    /// corners), a flat roof, and one building.glb beside each wall's bundle.
    Building(BuildingArgs),
    /// Get the facades dataset.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// The photo → labels segmenter that `eval` uses for label consistency.
    #[command(subcommand)]
    Segmenter(SegmenterCommand),
}

fn main() {
    facade_studio::kernels::memory::one_malloc_arena();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(a)) => cmd_train(*a),
        Some(Command::Render(a)) => cmd_render(a),
        Some(Command::Eval(a)) => cmd_eval(a),
        Some(Command::Bench(a)) => cmd_bench(a),
        Some(Command::Generate(a)) => cmd_generate(a),
        Some(Command::Building(a)) => cmd_building(a),
        Some(Command::Segmenter(SegmenterCommand::Train(a))) => cmd_segmenter_train(a),
        Some(Command::Export(a)) => cmd_export(a),
        Some(Command::Dataset(DatasetCommand::Download(a))) => cmd_download(a),
        Some(Command::Dataset(DatasetCommand::Derive(a))) => cmd_derive(a),
        None => open_studio(cli.app),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

#[cfg(feature = "studio")]
fn open_studio(app: AppArgs) -> Result<()> {
    facade_studio::ui::launch(facade_studio::ui::StudioOptions {
        model: app.model,
        backend: app.backend,
        open: app.file,
        blank: app.blank,
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

/// `--blank WxH`: each side 1 to the project format's limit.
fn parse_canvas_size(text: &str) -> std::result::Result<(u32, u32), String> {
    use facade_studio::document::project::MAX_SIDE;
    let side = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (1..=MAX_SIDE).contains(v))
    };
    let sides = text.split_once(['x', 'X', '×']);
    sides
        .and_then(|(w, h)| Some((side(w)?, side(h)?)))
        .ok_or_else(|| {
            format!(
                "{text:?} is no canvas size: give WIDTHxHEIGHT in pixels, e.g. 512x256, each side 1 to {MAX_SIDE}"
            )
        })
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

#[cfg(test)]
mod tests {
    use super::parse_canvas_size;

    #[test]
    fn a_canvas_size_is_width_x_height_within_the_project_limit() {
        assert_eq!(parse_canvas_size("512x256"), Ok((512, 256)));
        assert_eq!(parse_canvas_size("40×24"), Ok((40, 24)));
        for bad in ["0x256", "512", "axb", "9000x10", "512x-1"] {
            let message = parse_canvas_size(bad).unwrap_err();
            assert!(
                message.contains(bad) && message.contains("e.g. 512x256"),
                "{message}"
            );
        }
    }
}
