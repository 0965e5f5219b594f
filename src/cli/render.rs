//! `render`: label images (a file or a folder) into photos.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use facade_studio::backend::BackendChoice;
use facade_studio::image_io::save_png;
use facade_studio::label_map::LabelMap;
use facade_studio::palette::Palette;
use facade_studio::render::Renderer;
use facade_studio::render::tiled::Tiling;

use super::{bar, load_renderer, say};

#[derive(Args)]
pub(crate) struct RenderArgs {
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

pub(crate) fn render_file(
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

pub(crate) fn cmd_render(a: RenderArgs) -> Result<()> {
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
