//! `render`: label images (a file or a folder) into photos.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use facade_studio::backend::BackendChoice;
use facade_studio::image_io::save_png;
use facade_studio::label_map::LabelMap;
use facade_studio::render::Renderer;
use facade_studio::render::tiled::Tiling;
use facade_studio::segment::Segmenter;
use facade_studio::style::Style;
use facade_studio::style::photo::{LabelSource, restyle_file, style_of_file};
use facade_studio::task::{InputKind, Task};

use super::{bar, load_task_renderer, say};

#[derive(Args)]
pub(crate) struct RenderArgs {
    /// Model file (.fsw) or run folder; default: the task's shipped model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// What the input is (a file in palettes/tasks/): `labels` (a CMP facade label map), `sketch` (black
    /// lines on white), `grey` (a photo to colourise, rendered at its own size, tile by tile) or
    /// `cityscapes` (a Cityscapes label map); the model must have been trained for it.
    #[arg(long, default_value = facade_studio::task::LABELS)]
    task: String,
    /// A label image (or sketch, or photo to colourise), or a folder of them.
    #[arg(long, required_unless_present = "from_photo")]
    input: Option<PathBuf>,
    /// Restyle a facade photo: the shipped segmenter reads its labels (the photo's aspect, at
    /// the model's scale) and the render takes the photo's own colours unless --style,
    /// --style-seed or --colour say otherwise.
    #[arg(long, conflicts_with = "input", value_name = "PHOTO")]
    from_photo: Option<PathBuf>,
    /// With --from-photo: also save the labels it read (edit them, then render with --input).
    #[arg(long, requires = "from_photo", value_name = "PNG")]
    labels_out: Option<PathBuf>,
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
    /// Render in the look of this facade photo: each class takes the photo's mean colour over
    /// it (the photo's labels come from the segmenter, or from the pair if it is a pix2pix pair).
    #[arg(long, conflicts_with = "style_seed")]
    style: Option<PathBuf>,
    /// The seed of the style the model's style prior draws for the layout (a plausible style
    /// near one of its training photos'; classes set with --colour are kept and the rest drawn
    /// to go with them). Without it, the prior draws by --seed (each variation its own style).
    #[arg(long)]
    style_seed: Option<u64>,
    /// Leave the classes no style sets to the model (its own, average colours) instead of
    /// drawing them from the style prior.
    #[arg(long, conflicts_with_all = ["style", "style_seed"])]
    model_colours: bool,
    /// Set one class's colour, CLASS=#RRGGBB (a name or the app's 1-based number; repeat for
    /// more; over --style or --style-seed).
    #[arg(long = "colour", value_name = "CLASS=#RRGGBB")]
    colours: Vec<String>,
    #[command(flatten)]
    detail: super::DetailArg,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

impl RenderArgs {
    /// How to render: whole, or tiles when asked or when the output keeps the input's size
    /// (`keep_size`: a photo to colourise, a restyled photo).
    fn tiling(&self, keep_size: bool) -> Tiling {
        match (self.tileable, self.tiles || keep_size) {
            (true, _) => Tiling::Wrapped,
            (false, true) => Tiling::Tiles,
            (false, false) => Tiling::Whole,
        }
    }
}

pub(crate) fn render_file(
    renderer: &Renderer,
    task: &Task,
    input: &Path,
    output: &Path,
    style: &Style,
    a: &RenderArgs,
) -> Result<()> {
    let read = task.load_input(input)?;
    if let Some(note) = &read.note {
        eprintln!("note: {}: {note}", input.display());
    }
    let tiling = a.tiling(task.input == InputKind::Grey);
    render_map(renderer, &read.map, output, style, a, tiling)
}

/// Renders `map` into `output`, or --variations of it as STEM-vK.png.
fn render_map(
    renderer: &Renderer,
    map: &LabelMap,
    output: &Path,
    style: &Style,
    a: &RenderArgs,
    tiling: Tiling,
) -> Result<()> {
    if a.variations <= 1 {
        let style = completed(style, map, a.seed, a, renderer);
        let photo = renderer.render_as(map, &style, Some(a.seed), tiling)?;
        save_png(&photo, output)?;
        return Ok(());
    }
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    for k in 1..=a.variations {
        let style = completed(style, map, a.seed + k, a, renderer);
        let photo = renderer.render_as(map, &style, Some(a.seed + k), tiling)?;
        save_png(&photo, &output.with_file_name(format!("{stem}-v{k}.png")))?;
    }
    Ok(())
}

/// The style a render of `map` with dropout seed `seed` uses: `style`, with the classes it leaves
/// free drawn by the model's style prior (by --style-seed, else by `seed`) — unless the style
/// is a photo's (--style, --from-photo), --model-colours is given, or the model takes none.
fn completed(
    style: &Style,
    map: &LabelMap,
    seed: u64,
    a: &RenderArgs,
    renderer: &Renderer,
) -> Style {
    if a.model_colours || a.style.is_some() || a.from_photo.is_some() || !renderer.takes_style() {
        return style.clone();
    }
    let present = facade_studio::style::classes_of(map);
    (renderer.style_bank()).sample_for(&present, style, a.style_seed.unwrap_or(seed))
}

/// `--from-photo`: the photo's labels from the segmenter, rendered in its own style (or the one
/// asked for) at the photo's aspect, tile by tile.
fn render_from_photo(renderer: &Renderer, photo: &Path, a: &RenderArgs) -> Result<()> {
    if a.task != facade_studio::task::LABELS {
        bail!(
            "--from-photo reads facade labels from the photo (the shipped segmenter); use it with --task labels"
        );
    }
    let (labels, own, source) = restyle_file(
        photo,
        &renderer.palette,
        renderer.unit(),
        Segmenter::shipped_on_cpu,
    )?;
    if source == LabelSource::Pair {
        eprintln!(
            "note: {}: a pix2pix pair: its own labels are used",
            photo.display()
        );
    }
    if let Some(out) = &a.labels_out {
        save_png(&labels.to_rgb(&renderer.palette), out)?;
    }
    let style = match a.style.is_some() || a.style_seed.is_some() {
        true => style_of_args(a, renderer)?,
        false if renderer.takes_style() => with_colours(own, a, renderer)?,
        false => {
            eprintln!(
                "note: {}: this model takes no style, so the render keeps the photo's layout but not its colours",
                renderer.source.display()
            );
            Style::none()
        }
    };
    render_map(renderer, &labels, &a.output, &style, a, a.tiling(true))
}

/// The style `--style`, `--style-seed` and `--colour` ask for (none: the model's choice).
fn style_of_args(a: &RenderArgs, renderer: &Renderer) -> Result<Style> {
    let asked = a.style.is_some() || a.style_seed.is_some() || !a.colours.is_empty();
    if asked && !renderer.takes_style() {
        bail!(
            "{}: this model takes no style (it was trained before styles, or with --style off); render without --style/--style-seed/--colour, or use the shipped model",
            renderer.source.display()
        );
    }
    let palette = &renderer.palette;
    let style = match (&a.style, a.style_seed) {
        (Some(photo), _) => {
            let (style, _) = style_of_file(photo, palette, Segmenter::shipped_on_cpu)?;
            style
        }
        (None, Some(_)) if renderer.style_bank().is_empty() => bail!(
            "{}: this model holds no gallery of training styles; use --style PHOTO or --colour",
            renderer.source.display()
        ),
        // The prior completes the style per layout (see `completed`).
        (None, _) => Style::none(),
    };
    with_colours(style, a, renderer)
}

/// `style` with the --colour overrides.
fn with_colours(mut style: Style, a: &RenderArgs, renderer: &Renderer) -> Result<Style> {
    for c in &a.colours {
        style
            .set_from_arg(c, &renderer.palette)
            .map_err(|e| anyhow!("--colour {e}"))?;
    }
    Ok(style)
}

pub(crate) fn cmd_render(a: RenderArgs) -> Result<()> {
    let renderer = load_task_renderer(&a.task, a.model.clone(), a.backend, a.detail.amount)?;
    let task = Task::resolve(&a.task)?;
    let input = match (&a.from_photo, &a.input) {
        (Some(photo), _) => return render_from_photo(&renderer, photo, &a),
        (None, Some(input)) => input.clone(),
        (None, None) => bail!("give --input (a picture or a folder) or --from-photo PHOTO"),
    };
    let style = style_of_args(&a, &renderer)?;
    if input.is_dir() {
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&input)
            .with_context(|| format!("reading {}", input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| facade_studio::image_io::is_image_path(p))
            .collect();
        inputs.sort();
        if inputs.is_empty() {
            bail!("{}: no PNG or JPEG images in this folder", input.display());
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
            if let Err(e) = render_file(&renderer, &task, input, &out, &style, &a) {
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
        render_file(&renderer, &task, &input, &a.output, &style, &a)
    }
}
