//! Evaluating a generator on a split: mean L1, PSNR and SSIM against the real photos, and an
//! image grid (labels | truth | render) for the first pairs.

pub mod metrics;

use std::path::Path;

use image::RgbImage;

use crate::data::augment::{AugmentConfig, resize_pair};
use crate::data::dataset::{Dataset, load_pair};
use crate::error::{Error, Result};
use crate::fsutil::atomic_write;
use crate::image_io::save_png;
use crate::render::Renderer;

#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    pub model: String,
    pub data: String,
    pub pairs: usize,
    pub skipped: usize,
    /// Mean absolute error per channel, pixel values scaled to [0, 1].
    pub l1: f64,
    /// Mean PSNR in dB (8-bit peak).
    pub psnr: f64,
    /// Mean SSIM (Gaussian window σ = 1.5, averaged over R, G, B).
    pub ssim: f64,
    pub ngf: usize,
    pub backend: String,
}

/// Renders every pair of `dataset` with `renderer` and measures the results. `progress(done,
/// total)` is called after each pair; the grid of the first `grid_rows` pairs is returned too.
pub fn evaluate(
    renderer: &Renderer,
    dataset: &Dataset,
    grid_rows: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(EvalReport, RgbImage)> {
    let size = renderer.meta.model.size as u32;
    let augment = AugmentConfig::eval(size);
    let (mut l1, mut psnr, mut ssim, mut n, mut skipped) = (0.0, 0.0, 0.0, 0usize, 0usize);
    let rows = grid_rows.min(dataset.len()).max(1) as u32;
    let mut grid = RgbImage::new(3 * size, rows * size);
    for (i, source) in dataset.pairs.iter().enumerate() {
        let pair = match load_pair(source, &renderer.palette) {
            Ok(p) => resize_pair(&p, augment.load_size),
            Err(e) => {
                eprintln!("skipped: {e}");
                skipped += 1;
                continue;
            }
        };
        let render = renderer.render(&pair.labels, None)?;
        l1 += metrics::mean_abs_error(&render, &pair.photo);
        psnr += metrics::psnr(&render, &pair.photo);
        ssim += metrics::ssim(&render, &pair.photo);
        if (n as u32) < rows {
            let y = n as i64 * size as i64;
            image::imageops::replace(&mut grid, &pair.labels.to_rgb(&renderer.palette), 0, y);
            image::imageops::replace(&mut grid, &pair.photo, size as i64, y);
            image::imageops::replace(&mut grid, &render, 2 * size as i64, y);
        }
        n += 1;
        progress(i + 1, dataset.len());
    }
    if n == 0 {
        return Err(Error::bad_file(
            &dataset.root,
            "no pair could be read for evaluation",
        ));
    }
    // Unreadable pairs leave no empty rows at the bottom.
    let filled = (n as u32).min(rows);
    if filled < rows {
        grid = image::imageops::crop_imm(&grid, 0, 0, 3 * size, filled * size).to_image();
    }
    let k = n as f64;
    Ok((
        EvalReport {
            model: renderer.source.display().to_string(),
            data: dataset.root.display().to_string(),
            pairs: n,
            skipped,
            l1: l1 / k,
            psnr: psnr / k,
            ssim: ssim / k,
            ngf: renderer.meta.model.ngf,
            backend: renderer.device.backend.to_string(),
        },
        grid,
    ))
}

/// Writes `metrics.json` and `grid.png` into `out`.
pub fn write_report(out: &Path, report: &EvalReport, grid: &RgbImage) -> Result<()> {
    let json = serde_json::to_vec_pretty(report).map_err(|e| Error::msg(e.to_string()))?;
    atomic_write(&out.join("metrics.json"), &json)?;
    save_png(grid, &out.join("grid.png"))
}
