//! `export`: a run's generator as a model file.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use facade_studio::backend::{self};

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
}

pub(crate) fn cmd_export(a: ExportArgs) -> Result<()> {
    let source = facade_studio::models::resolve_model_path(&a.model)?;
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
