//! `export`: a run's generator as a model file.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use facade_studio::backend::{self};
use facade_studio::checkpoint::{FileKind, LoadedGenerator};

#[derive(Args)]
pub(crate) struct ExportArgs {
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
    /// Another model of the same architecture (a fine-tune of --model, or what it was fine-tuned
    /// from): write the weights blended between the two, `--mix` of the way to this one (network
    /// interpolation; MODEL.md measures a blend). Everything else (styles, task) is --model's.
    #[arg(long, requires = "mix")]
    mix_with: Option<PathBuf>,
    /// With --mix-with: how far to move towards it, 0 (--model's weights) to 1 (its weights).
    #[arg(long, requires = "mix_with")]
    mix: Option<f32>,
}

pub(crate) fn cmd_export(a: ExportArgs) -> Result<()> {
    let source = facade_studio::models::resolve_model_path(&a.model)?;
    let device = backend::cpu_device();
    let mut loaded = facade_studio::checkpoint::load_generator(&source, &device.device)?;
    if let (Some(other), Some(w)) = (&a.mix_with, a.mix) {
        loaded = blended(loaded, &source, other, w, &device.device)?;
    }
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

/// `loaded` (from `source`) with its weights moved the fraction `w` of the way to those of the
/// model at `other`, named for both; errors name the file that does not fit.
fn blended(
    loaded: LoadedGenerator,
    source: &Path,
    other: &Path,
    w: f32,
    device: &burn::prelude::Device,
) -> Result<LoadedGenerator> {
    let other_path = facade_studio::models::resolve_model_path(other)?;
    let theirs = facade_studio::checkpoint::load_generator(&other_path, device)?;
    let segmenter = FileKind::Segmenter;
    if theirs.meta.kind == segmenter || loaded.meta.kind == segmenter {
        let file = match theirs.meta.kind == segmenter {
            true => &other_path,
            false => source,
        };
        anyhow::bail!(
            "{}: a segmenter does not blend with a model that renders photos; pass two models (.fsw) or run folders",
            file.display()
        );
    }
    if theirs.meta.task != loaded.meta.task {
        anyhow::bail!(
            "{}: a {} model cannot be blended with {}'s {} model; pick one of the same task",
            other_path.display(),
            theirs.meta.task,
            source.display(),
            loaded.meta.task
        );
    }
    let generator = facade_studio::model::blend::blend(loaded.generator, &theirs.generator, w)
        .map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}; blend models of one architecture (the same --ngf, the same inputs)",
                other_path.display()
            )
        })?;
    let mut meta = loaded.meta;
    meta.name = format!(
        "{} blended {:.0} % towards {}",
        meta.name,
        100.0 * w,
        theirs.meta.name
    );
    Ok(LoadedGenerator { meta, generator })
}
