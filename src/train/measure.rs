//! What a run shows of itself between steps: the fixed sample grid and the held-out figures at
//! each checkpoint (also kept in the run folder's `evals.jsonl`).

use image::RgbImage;

use super::gan::GanTrainer;
use crate::data::augment::Resized;
use crate::error::{Error, Result};
use crate::eval::judge::{Exhibit, JudgeConfig, Verdict, judge};
use crate::eval::{Figures, RealSide, Totals};
use crate::fsutil::atomic_write;
use crate::label_map::LabelMap;
use crate::model::{DropoutMasks, Generator};
use crate::models::RunDir;
use crate::palette::Palette;
use crate::render::{encode, tensor_to_images};
use crate::segment::Segmenter;
use crate::style::Style;

/// Held-out pairs measured at each checkpoint (at most this many, the first of the split).
pub const EVAL_PAIRS: usize = 40;

/// The generator that renders, prepared, and the device (without autodiff) it is on.
fn renderer_of(trainer: &GanTrainer) -> (Generator, burn::prelude::Device) {
    let device = burn::prelude::Device::clone(&trainer.device).inner();
    (trainer.render_generator().for_rendering(), device)
}

/// The deterministic render of `labels` by `generator` on `device`.
fn render_labels(
    generator: &Generator,
    labels: &LabelMap,
    palette: &Palette,
    device: &burn::prelude::Device,
) -> Result<RgbImage> {
    let none = Style::none();
    let input = encode(
        &[labels],
        generator.takes_style().then_some(&none),
        palette,
        device,
    );
    let out = generator.forward(input, &mut DropoutMasks::off());
    tensor_to_images(out)?
        .pop()
        .ok_or_else(|| Error::msg("empty render"))
}

/// labels | truth | prediction, one row per sample pair.
pub fn sample_grid(
    trainer: &GanTrainer,
    samples: &[Resized],
    palette: &Palette,
) -> Result<RgbImage> {
    let s = trainer.config.size as u32;
    let (generator, device) = renderer_of(trainer);
    let mut grid = RgbImage::new(3 * s, s * samples.len().max(1) as u32);
    for (row, pair) in samples.iter().enumerate() {
        let pred = render_labels(&generator, &pair.labels, palette, &device)?;
        let y = row as i64 * s as i64;
        image::imageops::replace(&mut grid, &pair.labels.to_rgb(palette), 0, y);
        image::imageops::replace(&mut grid, &pair.photo, s as i64, y);
        image::imageops::replace(&mut grid, &pred, 2 * s as i64, y);
    }
    Ok(grid)
}

/// The renders of the held-out pairs' layouts by the generator that renders (no style).
pub fn held_out_renders(
    trainer: &GanTrainer,
    held: &[Resized],
    palette: &Palette,
) -> Result<Vec<RgbImage>> {
    let (generator, device) = renderer_of(trainer);
    held.iter()
        .map(|pair| render_labels(&generator, &pair.labels, palette, &device))
        .collect()
}

/// The held-out figures of `renders` (one a pair; label consistency when a segmenter is given);
/// `reals` are the held-out photos' sides measured with the same segmenter, one a pair.
pub fn held_out_figures(
    renders: &[RgbImage],
    held: &[Resized],
    reals: &[RealSide],
    segmenter: Option<&Segmenter>,
) -> Result<Figures> {
    if held.len() != reals.len() || held.len() != renders.len() {
        return Err(Error::msg(format!(
            "{} held-out pairs but {} measured photos and {} renders",
            held.len(),
            reals.len(),
            renders.len()
        )));
    }
    let mut totals = Totals::new(segmenter.map(|s| s.classes()));
    for ((render, pair), real) in renders.iter().zip(held).zip(reals) {
        totals.add_beside(render, pair, None, segmenter, real)?;
    }
    Ok(totals.finish(segmenter))
}

/// The learned judges' verdicts on `renders` against the held-out photos (colour, then
/// luminance; `eval --judge both`'s settings), trained on `device`.
pub fn held_out_judges(
    renders: &[RgbImage],
    held: &[Resized],
    device: &burn::prelude::Device,
) -> Result<Vec<Verdict>> {
    if held.len() != renders.len() {
        return Err(Error::msg(format!(
            "{} held-out pairs but {} renders",
            held.len(),
            renders.len()
        )));
    }
    let exhibits: Vec<Exhibit> = renders
        .iter()
        .zip(held)
        .map(|(render, pair)| Exhibit {
            photo: pair.photo.clone(),
            render: render.clone(),
            ids: pair.labels.ids.clone(),
        })
        .collect();
    [false, true]
        .into_iter()
        .map(|grey| {
            judge(
                &exhibits,
                &JudgeConfig {
                    grey,
                    ..JudgeConfig::default()
                },
                device,
            )
        })
        .collect()
}

/// The held-out photos' sides for [`held_out_figures`], measured once per run.
pub fn real_sides(held: &[Resized], segmenter: Option<&Segmenter>) -> Result<Vec<RealSide>> {
    held.iter()
        .map(|pair| RealSide::of(&pair.photo, segmenter))
        .collect()
}

/// Appends one line of JSON (`{"step": …, figures}`) to the run's `evals.jsonl`.
pub fn log_figures(run: &RunDir, step: u64, figures: &Figures) -> Result<()> {
    use std::io::Write;
    let path = run.evals();
    let mut line = serde_json::json!({ "step": step });
    if let (Some(obj), Ok(serde_json::Value::Object(f))) =
        (line.as_object_mut(), serde_json::to_value(figures))
    {
        obj.extend(f);
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    writeln!(file, "{line}").map_err(|e| Error::io(&path, e))
}

/// The step of one `evals.jsonl` line, if it is one.
fn step_of(line: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()?
        .get("step")?
        .as_u64()
}

/// Drops the lines of `evals.jsonl` after `step` (a resumed run measures those checkpoints again).
pub fn trim_figures(run: &RunDir, step: u64) -> Result<()> {
    let path = run.evals();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|line| step_of(line).is_some_and(|s| s <= step))
        .map(|line| format!("{line}\n"))
        .collect();
    atomic_write(&path, kept.as_bytes())
}

/// The figures of every checkpoint in a run folder's `evals.jsonl`, by step (a step logged twice
/// keeps its later line; a line that cannot be read is skipped).
pub fn checkpoint_figures(run: &RunDir) -> Vec<(u64, Figures)> {
    let Ok(text) = std::fs::read_to_string(run.evals()) else {
        return Vec::new();
    };
    let by_step: std::collections::BTreeMap<u64, Figures> = text
        .lines()
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            Some((step_of(line)?, serde_json::from_value(value).ok()?))
        })
        .collect();
    by_step.into_iter().collect()
}
