//! The picture of what a style does: one row per held-out pair, layout | true photo | no style |
//! a style drawn by the prior | its own photo's style | another pair's style.

use image::RgbImage;

use super::StyleMode;
use crate::data::augment::{AugmentConfig, resize_pair};
use crate::data::dataset::{Dataset, load_pair};
use crate::error::{Error, Result};
use crate::render::Renderer;

/// The rendered columns, left to right.
const MODES: [StyleMode; 4] = [
    StyleMode::None,
    StyleMode::Prior,
    StyleMode::Own,
    StyleMode::Other,
];

/// The grid of the first `rows` readable pairs of `dataset` (six columns, see the module doc).
pub fn style_grid(renderer: &Renderer, dataset: &Dataset, rows: usize) -> Result<RgbImage> {
    let size = renderer.meta.model.size as u32;
    let load = AugmentConfig::eval(size).load_size;
    let palette = &renderer.palette;
    let mut cells: Vec<Vec<RgbImage>> = Vec::new();
    for (i, source) in dataset.pairs.iter().enumerate() {
        if cells.len() == rows {
            break;
        }
        let Ok(pair) = load_pair(source, palette).map(|p| resize_pair(&p, load)) else {
            continue;
        };
        let mut row = vec![pair.labels.to_rgb(palette), pair.photo.clone()];
        for mode in MODES {
            let style = mode.style_for(i, &pair, dataset, renderer, None, load)?;
            row.push(renderer.render(&pair.labels, &style, None)?);
        }
        cells.push(row);
    }
    if cells.is_empty() {
        return Err(Error::bad_file(
            &dataset.root,
            "no pair could be read for the style grid",
        ));
    }
    let mut grid = RgbImage::new((2 + MODES.len() as u32) * size, cells.len() as u32 * size);
    for (r, row) in cells.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            image::imageops::replace(
                &mut grid,
                cell,
                (c as u32 * size) as i64,
                (r as u32 * size) as i64,
            );
        }
    }
    Ok(grid)
}
