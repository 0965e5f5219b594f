//! The subcommands of the command line, one module each, and what they share.

pub(crate) mod bench;
pub(crate) mod building;
pub(crate) mod dataset;
pub(crate) mod eval;
pub(crate) mod export;
pub(crate) mod generate;
pub(crate) mod render;
pub(crate) mod segmenter;
pub(crate) mod train;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use facade_studio::backend::{self, BackendChoice};
use facade_studio::models::default_model_path;
use facade_studio::render::Renderer;

pub(crate) fn select_device(choice: BackendChoice) -> Result<backend::SelectedDevice> {
    let device = backend::select(choice, &mut |m| eprintln!("note: {m}"))?;
    Ok(device)
}

/// Prints a line above `pb`, or on stderr when there is no bar or it is hidden (stderr is not a
/// terminal: indicatif then drops `println`, and a log would lose the line).
pub(crate) fn say(pb: Option<&ProgressBar>, line: impl AsRef<str>) {
    match pb {
        Some(pb) if !pb.is_hidden() => pb.println(line),
        _ => eprintln!("{}", line.as_ref()),
    }
}

pub(crate) fn bar(len: u64, template: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.enable_steady_tick(Duration::from_millis(250));
    pb
}

/// The renderer of `model` (default: the task's shipped model), refused unless it was trained
/// for `task`, with the detail step's `detail`.
pub(crate) fn load_task_renderer(
    task: &str,
    model: Option<PathBuf>,
    choice: BackendChoice,
    detail: f32,
) -> Result<Renderer> {
    let task = facade_studio::task::Task::resolve(task)?;
    let path = match model {
        Some(path) => path,
        None => {
            let shipped = task.default_model_path();
            if !shipped.is_file() {
                anyhow::bail!(
                    "no {} model is shipped ({} is missing): train one with `facade-studio train --task {} …` and pass it with --model",
                    task.name,
                    shipped.display(),
                    task.name
                );
            }
            shipped
        }
    };
    let renderer = load_renderer(Some(path.clone()), choice, detail)?;
    task.check_model(&path.display().to_string(), &renderer.meta.task)?;
    Ok(renderer)
}

pub(crate) fn load_renderer(
    model: Option<PathBuf>,
    choice: BackendChoice,
    detail: f32,
) -> Result<Renderer> {
    let path = model.unwrap_or_else(default_model_path);
    let device = select_device(choice)?;
    let mut renderer = Renderer::load(&path, device)?;
    renderer.detail = detail;
    Ok(renderer)
}

/// `--detail`, for every command that renders.
#[derive(clap::Args, Clone, Copy)]
pub(crate) struct DetailArg {
    /// The detail step after the model: how much to raise the finest detail (an unsharp
    /// mask), 0 (the model's own output) to 2.
    #[arg(long = "detail", default_value_t = facade_studio::render::detail::DEFAULT_AMOUNT, value_parser = detail_amount)]
    pub(crate) amount: f32,
}

/// Reads `--detail`: the detail step's amount, in its range.
fn detail_amount(s: &str) -> std::result::Result<f32, String> {
    let amount: f32 = s.parse().map_err(|_| format!("{s} is not a number"))?;
    facade_studio::render::detail::check_amount(amount)
}
